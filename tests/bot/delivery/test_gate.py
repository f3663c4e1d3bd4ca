"""The shared limiter reads one Telegram refusal as done: a button press answered already."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest

from bot.delivery.gate import RateGate, SharedLimiter

GONE = "Query is too old and response timeout expired or query id is invalid"


async def _refused(*_args: Any, **_kwargs: Any) -> bool:
    raise BadRequest(GONE)


async def test_a_press_answered_already_does_not_stop_the_handler() -> None:
    # A redelivered update: the worker that died had answered the press.
    limiter = SharedLimiter(RateGate(30))
    answered = await limiter.process_request(_refused, (), {}, "answerCallbackQuery", {}, None)
    assert answered is True


async def test_other_refusals_still_reach_the_handler() -> None:
    limiter = SharedLimiter(RateGate(30))
    with pytest.raises(BadRequest):
        await limiter.process_request(_refused, (), {}, "editMessageText", {}, None)

"""Anything a client can send: forged button data and odd digits get a polite answer, no error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.linking import invite_code
from tests.factories.plans import load_seed
from tests.harness import BotHarness

NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC = 2001
STRANGER = 2099
HUGE = "99999999999999999999"


@pytest.fixture
async def bot(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        code = await invite_code(harness, "市发改委")
        await harness.command(harness.user(NDRC, "联络员"), "/start", code)
        yield harness


@pytest.mark.parametrize(
    ("user_id", "data"),
    [
        (NDRC, "tk:\u0661:1"),  # ARABIC-INDIC DIGIT ONE
        (NDRC, "rq:\u0661:ok"),
        (NDRC, "nz:\u0661:due"),
        (NDRC, "ack:\u0661"),
        (COORDINATOR_ID, "rv:a:\u0661"),
        (COORDINATOR_ID, "ch:\u0661"),
        (NDRC, f"tk:{HUGE}:1"),
        (STRANGER, f"rq:{HUGE}:ok"),
        (NDRC, f"ack:{HUGE}"),
        (COORDINATOR_ID, f"rv:a:{HUGE}"),
        (STRANGER, "rp:p"),
        (STRANGER, "rp:p:x"),
        (NDRC, "rp:t:1"),
        (NDRC, "rp:t:a:b"),
        (NDRC, "rp:c:x"),
        (NDRC, "rp:zz"),
    ],
)
async def test_forged_button_data_is_a_stale_button(
    bot: BotHarness, user_id: int, data: str
) -> None:
    user = bot.user(user_id)
    await bot.command(user, "/whoami")  # a message of the bot's to press on
    calls = await bot.send(bot.updates.callback(user, data))
    assert not bot.errors
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == "该按钮已失效,请重新发送命令。"


@pytest.mark.parametrize(
    ("user_id", "command", "args", "expected"),
    [
        # NEW TAI LUE THAM DIGIT ONE: str.isdigit() says yes, int() cannot read it.
        (NDRC, "/task", ["\u19da"], "“\u19da”不是任务编号"),
        (NDRC, "/report", ["\u19da"], "“\u19da”不是任务编号"),
        # SUPERSCRIPT TWO and CIRCLED DIGIT TWO read as 2 (NFKC), as a person means them.
        (NDRC, "/task", ["\u00b2"], "任务 2"),
        (STRANGER, "/task", ["\u00b2"], "您还没有绑定任何单位"),
        (NDRC, "/report", ["\u2461"], "报送 任务 2"),
        (COORDINATOR_ID, "/period", ["\u00b2"], None),
        (COORDINATOR_ID, "/deadline", ["\u00b2", "2026-09-30"], None),
        (COORDINATOR_ID, "/period", [HUGE], None),
    ],
)
async def test_digits_that_are_not_numbers_get_an_answer(
    bot: BotHarness, user_id: int, command: str, args: list[str], expected: str | None
) -> None:
    calls = await bot.command(bot.user(user_id), command, *args)
    assert not bot.errors
    [answer] = [c for c in calls if c.method == "sendMessage"]
    assert answer.text
    assert "出错" not in answer.text
    if expected is not None:
        assert expected in answer.text


async def test_full_width_digits_are_numbers(bot: BotHarness) -> None:
    # Chinese keyboards often type digits full width: /task １２ is /task 12.
    await bot.command(bot.user(NDRC), "/task", "\uff12")
    assert "任务 2" in bot.api.last_text(NDRC)
    await bot.command(bot.user(COORDINATOR_ID), "/period", "\uff12\uff10")
    assert not bot.errors
    assert "20" in bot.api.last_text(COORDINATOR_ID)

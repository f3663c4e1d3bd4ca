"""Test harness: a recording fake Bot API, update builders and a driver for PTB Applications."""

from __future__ import annotations

from tests.harness.fake_bot_api import (
    ApiCall,
    ButtonRows,
    FakeBotAPI,
    HtmlError,
    JSONDict,
    MessageLike,
    message_dict,
    parse_telegram_html,
)
from tests.harness.updates import BotHarness, UpdateFactory

TEST_TOKEN = "123456:TEST"  # a dummy; FakeBotAPI refuses anything that looks like a real token

__all__ = [
    "TEST_TOKEN",
    "ApiCall",
    "BotHarness",
    "ButtonRows",
    "FakeBotAPI",
    "HtmlError",
    "JSONDict",
    "MessageLike",
    "UpdateFactory",
    "message_dict",
    "parse_telegram_html",
]

"""Test harness: the recording Bot API emulator, update builders and a driver for PTB apps."""

from __future__ import annotations

from bot.cli.emulator import ApiCall, HtmlError, JSONDict, parse_telegram_html
from tests.harness.driver import BotHarness
from tests.harness.fake_bot_api import ButtonRows, FakeBotAPI, MessageLike, message_dict
from tests.harness.updates import UpdateFactory

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

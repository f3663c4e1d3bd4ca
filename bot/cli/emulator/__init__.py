"""A Bot API emulator: Telegram's answers in memory, for the console and the tests."""

from bot.cli.emulator.api import BotApiEmulator, typed_text
from bot.cli.emulator.rules import ApiError
from bot.cli.emulator.telegram_html import HtmlError, html_to_text, parse_telegram_html
from bot.cli.emulator.wire import ApiCall, JSONDict

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "HtmlError",
    "JSONDict",
    "html_to_text",
    "parse_telegram_html",
    "typed_text",
]

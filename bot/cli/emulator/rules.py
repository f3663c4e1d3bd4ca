"""What Telegram checks before it accepts a call: lengths, HTML, buttons, command menus."""

from __future__ import annotations

import re
from typing import Any, Final, TypeAlias

from bot.cli.emulator.telegram_html import HtmlError, parse_telegram_html

JSONDict: TypeAlias = dict[str, Any]

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_BUTTON_URL_RE: Final = re.compile(r"(https?|tg)://\S+")
_BUTTON_ACTIONS: Final = frozenset(
    {
        "callback_data",
        "url",
        "login_url",
        "web_app",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)


class ApiError(Exception):
    """An error answer: Telegram's HTTP status plus its description."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}

    def body(self) -> JSONDict:
        """The JSON body Telegram answers with."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def rendered(params: JSONDict, key: str, entities_key: str, limit: int, too_long: str) -> JSONDict:
    """A text or caption parameter as the message will hold it: plain text plus entities."""
    text = params.get(key)
    if text is None:
        return {}
    text = str(text)
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            plain, entities = parse_telegram_html(text)
        except HtmlError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
    else:
        # MarkdownV2 is not parsed: the text is kept as sent.
        plain, entities = text, list(params.get(entities_key) or [])
    if len(plain) > limit:
        raise ApiError(400, too_long)
    content: JSONDict = {key: plain}
    if entities:
        content[entities_key] = entities
    return content


def text_content(params: JSONDict) -> JSONDict:
    """The ``text`` of sendMessage or editMessageText, checked as Telegram checks it."""
    content = rendered(
        params, "text", "entities", MAX_TEXT_LENGTH, "Bad Request: message is too long"
    )
    if not content.get("text", "").strip():
        raise ApiError(400, "Bad Request: message text is empty")
    return content


def caption_content(params: JSONDict) -> JSONDict:
    """The ``caption`` of a photo or document, checked as Telegram checks it."""
    return rendered(
        params,
        "caption",
        "caption_entities",
        MAX_CAPTION_LENGTH,
        "Bad Request: message caption is too long",
    )


def checked_markup(markup: object) -> JSONDict | None:
    """The ``reply_markup`` parameter, refused as Telegram refuses a bad inline keyboard."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        if not isinstance(row, list):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button")
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: JSONDict) -> None:
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not _BUTTON_URL_RE.fullmatch(str(url)):
        raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid")
    if not _BUTTON_ACTIONS & button.keys():
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: Text buttons are "
            "unallowed in the inline keyboard",
        )


def check_commands(commands: list[JSONDict]) -> None:
    """A command menu for setMyCommands: names Telegram accepts, descriptions of 1–256."""
    for command in commands:
        if not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")


def visible_state(message: JSONDict) -> tuple[Any, ...]:
    """What an edit must change, or Telegram answers "message is not modified"."""
    keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
    return tuple(message.get(key) for key in keys)

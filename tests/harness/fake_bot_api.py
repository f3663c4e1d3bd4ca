"""A recording fake of the Telegram Bot API, plugged into PTB as its ``BaseRequest``."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import IO, Any, Final, TypeAlias
from urllib.parse import unquote, urlsplit

from telegram import Message
from telegram.request import BaseRequest, RequestData

JSONDict: TypeAlias = dict[str, Any]
ChatKey: TypeAlias = int | str
MessageLike: TypeAlias = "ApiCall | JSONDict | Message"
ButtonRows: TypeAlias = list[list[tuple[str, str | None]]]

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024

MESSAGE_SENDING_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
MESSAGE_EDITING_METHODS: Final = frozenset(
    {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}
)

# Real bot tokens are "<digits>:<35 url-safe chars>"; tests must only ever use dummies such as
# "123456:TEST", so a look-alike in a request URL means a real token leaked into a test.
_REAL_TOKEN_RE: Final = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
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
# Parameters the Bot API takes as JSON-serialized objects; PTB hands them over as dicts already,
# but a caller using ``api_kwargs`` may pass a pre-encoded string.
_JSON_PARAMETERS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "commands",
        "scope",
        "menu_button",
        "media",
        "allowed_updates",
    }
)
_DEFAULT_DESCRIPTIONS: Final = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after {retry_after}",
    502: "Bad Gateway",
}
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request as the fake received and answered it."""

    method: str
    params: JSONDict
    result: Any = None
    status: int = 200
    description: str | None = None
    injected: bool = False  # the failure was asked for via fail_next(), not a validation finding

    @property
    def ok(self) -> bool:
        """Whether Telegram would have accepted the call."""
        return self.status == 200

    @property
    def message(self) -> JSONDict | None:
        """The Message the call produced (sent or edited), or None."""
        if isinstance(self.result, dict) and "message_id" in self.result:
            return self.result
        return None

    @property
    def text(self) -> str | None:
        """The rendered text (or caption) of the produced message, as the user sees it."""
        message = self.message
        if message is None:
            return None
        text = message.get("text", message.get("caption"))
        return text if isinstance(text, str) else None


class ApiError(Exception):
    """An error answer: Telegram's HTTP status plus its description."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}


class HtmlError(ValueError):
    """The text is not valid in Telegram's HTML subset."""


@dataclass(slots=True)
class _Failure:
    method: str | None
    chat_id: str | None
    status: int
    description: str
    parameters: JSONDict
    remaining: int | None  # None: until clear_failures()

    def matches(self, method: str, params: JSONDict) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == self.chat_id


# --- Telegram's HTML subset ------------------------------------------------------------------

_HTML_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    # Not in the brief's list, but real Telegram accepts it; rejecting it would be a false alarm.
    "tg-emoji": "custom_emoji",
}
_TAG_RE: Final = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[^\s=<>/\"']+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))?)*)\s*>"
)
_ATTR_RE: Final = re.compile(
    r"([^\s=<>/\"']+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>]+)))?"
)
_CHAR_REF_RE: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_REFS: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape_attribute(value: str) -> str:
    return _CHAR_REF_RE.sub(lambda m: _decode_char_ref(m) or m.group(0), value)


def _decode_char_ref(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_REFS[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def parse_telegram_html(text: str) -> tuple[str, list[JSONDict]]:
    """Parse ``text`` the way Telegram parses ``parse_mode=HTML``; return (plain text, entities).

    Stricter than Telegram in one way, on purpose: a bare ``&`` or ``>`` outside a tag is an
    error here (Telegram tolerates some), because it almost always means user text was echoed
    without ``html.escape``. Entity offsets and lengths are in UTF-16 code units, as in the API.
    """
    plain: list[str] = []
    offset = 0  # UTF-16 length of the plain text so far
    stack: list[tuple[str, int, dict[str, str], int]] = []  # tag, start, attributes, byte pos
    pre_languages: dict[int, str] = {}  # stack depth of a <pre> -> language from inner <code>
    entities: list[JSONDict] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            match = _TAG_RE.match(text, pos)
            if match is None:
                raise HtmlError(
                    f'unescaped "<" at byte offset {_byte_offset(text, pos)} (write &lt;)'
                )
            closing = match.group(1) == "/"
            name = match.group(2).lower()
            if name not in _HTML_ENTITY_TYPES:
                kind = "end" if closing else "start"
                raise HtmlError(
                    f'Unsupported {kind} tag "{name}" at byte offset {_byte_offset(text, pos)}'
                )
            if closing:
                if not stack:
                    raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(text, pos)}")
                open_name, start, attributes, _ = stack.pop()
                if open_name != name:
                    raise HtmlError(
                        f"Unmatched end tag at byte offset {_byte_offset(text, pos)}, "
                        f'expected "</{open_name}>", found "</{name}>"'
                    )
                entity = _html_entity(open_name, start, offset - start, attributes)
                language = attributes.get("class", "")
                if (
                    open_name == "code"
                    and stack
                    and stack[-1][0] == "pre"
                    and language.startswith("language-")
                ):
                    # <pre><code class="language-x"> is one pre entity with a language.
                    pre_languages[len(stack)] = language.removeprefix("language-")
                    entity = None
                pre_language = pre_languages.pop(len(stack) + 1, "") if open_name == "pre" else ""
                if pre_language and entity is not None:
                    entity["language"] = pre_language
                if entity is not None:
                    entities.append(entity)
            else:
                attributes = {
                    m.group(1).lower(): _unescape_attribute(
                        next((g for g in m.groups()[1:] if g is not None), "")
                    )
                    for m in _ATTR_RE.finditer(match.group(3))
                }
                if name == "span" and attributes.get("class") != "tg-spoiler":
                    raise HtmlError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset '
                        f"{_byte_offset(text, pos)}"
                    )
                stack.append((name, offset, attributes, pos))
            pos = match.end()
        elif char == ">":
            raise HtmlError(f'unescaped ">" at byte offset {_byte_offset(text, pos)} (write &gt;)')
        elif char == "&":
            ref = _CHAR_REF_RE.match(text, pos)
            decoded = _decode_char_ref(ref) if ref else None
            if ref is None or decoded is None:
                raise HtmlError(
                    f'unescaped "&" at byte offset {_byte_offset(text, pos)} (write &amp;)'
                )
            plain.append(decoded)
            offset += _utf16_length(decoded)
            pos = ref.end()
        else:
            plain.append(char)
            offset += 2 if ord(char) > 0xFFFF else 1
            pos += 1
    if stack:
        name, _, _, start_pos = stack[-1]
        raise HtmlError(
            f'Can\'t find end tag corresponding to start tag "{name}" '
            f"at byte offset {_byte_offset(text, start_pos)}"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities


def _html_entity(
    tag: str, offset: int, length: int, attributes: dict[str, str]
) -> JSONDict | None:
    if length == 0:
        return None  # Telegram drops empty entities
    entity: JSONDict = {"type": _HTML_ENTITY_TYPES[tag], "offset": offset, "length": length}
    if tag == "a":
        if not attributes.get("href"):
            return None  # Telegram ignores a link without a target
        entity["url"] = attributes["href"]
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    return entity


# --- the fake ----------------------------------------------------------------------------------


def _chat_key(chat_id: object) -> ChatKey:
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdigit() else text


def _decode_json_value(name: str, value: Any) -> Any:
    if name in _JSON_PARAMETERS and isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _read_upload(filename: str, content: bytes | IO[bytes], mime_type: str) -> JSONDict:
    if isinstance(content, bytes):
        data = content
    else:
        position = content.tell() if content.seekable() else None
        data = content.read()
        if position is not None:
            content.seek(position)  # leave the caller's handle as PTB would find it
    return {"filename": filename, "size": len(data), "bytes": data, "mime_type": mime_type}


def _replace_attach_uris(value: Any, uploads: dict[str, JSONDict], used: set[str]) -> Any:
    if isinstance(value, str) and value.startswith("attach://"):
        name = value.removeprefix("attach://")
        if name in uploads:
            used.add(name)
            return uploads[name]
        return value
    if isinstance(value, dict):
        return {k: _replace_attach_uris(v, uploads, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_attach_uris(v, uploads, used) for v in value]
    return value


def _visible_state(message: JSONDict) -> tuple[Any, ...]:
    keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
    return tuple(message.get(key) for key in keys)


class FakeBotAPI(BaseRequest):
    """A ``BaseRequest`` that answers Bot API calls in memory and records each one.

    Pass the same instance to ``ApplicationBuilder.request()`` and ``.get_updates_request()``.
    It answers the methods a bot like ours uses with realistic JSON, validates what Telegram
    validates (text length, callback data size, HTML well-formedness, edits that change nothing)
    by answering 400 like Telegram does, and fails loudly on any method it does not know.
    """

    def __init__(
        self,
        *,
        username: str = "duban_test_bot",
        bot_id: int = 123456,
        first_name: str = "Duban Test",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.username = username
        self.bot_id = bot_id
        self.first_name = first_name
        self._clock = clock or (lambda: datetime.now(UTC))
        self._calls: list[ApiCall] = []
        self._unexpected: list[ApiCall] = []
        self._failures: list[_Failure] = []
        self._stubs: dict[str, Callable[[JSONDict], Any]] = {}
        self._messages: dict[tuple[ChatKey, int], JSONDict] = {}
        self._deleted: set[tuple[ChatKey, int]] = set()
        self._last_message_id: dict[ChatKey, int] = {}
        self._chats: dict[ChatKey, JSONDict] = {}
        self._answered_queries: set[str] = set()
        self._files: dict[str, JSONDict] = {}  # file_id -> {"content": bytes|None, "size": int}
        self._file_paths: dict[str, str] = {}  # file_path -> file_id
        self._commands: dict[str, list[JSONDict]] = {}
        self._handlers: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": lambda _params: self.bot_user(full=True),
            "getUpdates": lambda _params: [],
            "deleteWebhook": lambda _params: True,
            "setWebhook": lambda _params: True,
            "sendChatAction": lambda _params: True,
            "pinChatMessage": lambda _params: True,
            "setChatMenuButton": lambda _params: True,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "answerCallbackQuery": self._answer_callback_query,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": lambda params: self._edit(params, "text"),
            "editMessageCaption": lambda params: self._edit(params, "caption"),
            "editMessageReplyMarkup": lambda params: self._edit(params, "markup"),
            "deleteMessage": self._delete_message,
            "getFile": self._get_file,
        }

    # --- BaseRequest ---------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; nothing waits on a socket here."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close; the record stays readable after the Application shuts down."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # PTB passes float | None | DefaultValue for each timeout; the fake never waits.
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        """Answer one request the way the Bot API would."""
        if _REAL_TOKEN_RE.search(unquote(url)):
            raise AssertionError(
                "FakeBotAPI got a request with a real-looking bot token; tests must use a "
                "dummy token such as '123456:TEST'"
            )
        if method == "GET":  # Bot.retrieve(): a file download from the file URL
            return self._download(url)
        api_method = urlsplit(url).path.rsplit("/", 1)[-1]
        return self._answer(api_method, self._decode(request_data))

    # --- configuring ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The fake's clock (also used by UpdateFactory when linked to this fake)."""
        return self._clock()

    def bot_user(self, *, full: bool = False) -> JSONDict:
        """The bot's User dict; ``full`` adds the getMe-only fields."""
        user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }
        if full:
            user |= {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        return user

    def fail_next(
        self,
        method: str | None,
        *,
        status: int = HTTPStatus.BAD_REQUEST,
        description: str | None = None,
        chat_id: int | str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next matching call(s) with a Telegram error instead of a result.

        ``method=None`` matches any method; ``chat_id`` narrows it to one chat (e.g. a user who
        blocked the bot: ``fail_next(None, chat_id=42, status=403, times=None)``).
        ``times=None`` keeps failing until ``clear_failures()``. ``retry_after`` (with status 429)
        makes PTB raise ``RetryAfter``; ``migrate_to_chat_id`` makes it raise ``ChatMigrated``.
        """
        if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is None:
            retry_after = 1
        parameters: JSONDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if description is None:
            template = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            description = template.format(retry_after=retry_after)
        self._failures.append(
            _Failure(
                method=method,
                chat_id=None if chat_id is None else str(chat_id),
                status=status,
                description=description,
                parameters=parameters,
                remaining=times,
            )
        )

    def clear_failures(self) -> None:
        """Forget every pending fail_next()."""
        self._failures.clear()

    def stub(self, method: str, result: Any) -> None:
        """Answer ``method`` with ``result`` (or ``result(params)`` if callable).

        For methods the fake does not know; a stub also overrides a built-in answer.
        """
        self._stubs[method] = result if callable(result) else (lambda _params: result)

    def add_file(
        self, file_id: str, content: bytes | None = None, *, file_size: int | None = None
    ) -> None:
        """Make ``getFile``/download of ``file_id`` return this content (or just this size)."""
        size = file_size if file_size is not None else len(content or b"")
        self._files[file_id] = {"content": content, "size": size}

    def register_chat(self, chat: JSONDict) -> None:
        """Remember a chat's details so messages sent there carry them, as Telegram's do."""
        self._chats[_chat_key(chat["id"])] = dict(chat)

    def next_message_id(self, chat_id: int | str) -> int:
        """Allocate the next message id in a chat; user and bot messages share the sequence."""
        key = _chat_key(chat_id)
        self._last_message_id[key] = self._last_message_id.get(key, 0) + 1
        return self._last_message_id[key]

    def register_message(self, message: JSONDict) -> None:
        """Remember a message that reached the chat some other way (e.g. the user sent it)."""
        key = (_chat_key(message["chat"]["id"]), int(message["message_id"]))
        self._messages[key] = copy.deepcopy(message)

    # --- reading back --------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every recorded call, optionally only those of one method, in order."""
        return [c for c in self._calls if method is None or c.method == method]

    @property
    def unexpected(self) -> list[ApiCall]:
        """Calls of methods the fake does not know (each also raised AssertionError)."""
        return list(self._unexpected)

    def failed_calls(self) -> list[ApiCall]:
        """Calls answered with an error, injected or found by validation."""
        return [c for c in self._calls if not c.ok]

    def sent_messages(self, chat_id: int | str | None = None) -> list[ApiCall]:
        """Successful sends and edits (what the user saw appear or change), in order."""
        key = None if chat_id is None else _chat_key(chat_id)
        return [
            c
            for c in self._calls
            if c.method in MESSAGE_SENDING_METHODS | MESSAGE_EDITING_METHODS
            and c.message is not None
            and (key is None or _chat_key(c.message["chat"]["id"]) == key)
        ]

    def last_message(self, chat_id: int | str) -> ApiCall:
        """The most recent successful send or edit in a chat."""
        sent = self.sent_messages(chat_id)
        if not sent:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return sent[-1]

    def last_text(self, chat_id: int | str) -> str:
        """Rendered text (or caption) of the most recent send or edit in a chat."""
        call = self.last_message(chat_id)
        if call.text is None:
            raise AssertionError(f"the last message to chat {chat_id} has no text: {call}")
        return call.text

    def message(self, chat_id: int | str, message_id: int) -> JSONDict:
        """The current state of a message (after any edits)."""
        key = (_chat_key(chat_id), message_id)
        if key not in self._messages:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        return copy.deepcopy(self._messages[key])

    def is_deleted(self, chat_id: int | str, message_id: int) -> bool:
        """Whether the bot deleted this message."""
        return (_chat_key(chat_id), message_id) in self._deleted

    def current(self, message: MessageLike) -> JSONDict:
        """The current state of a recorded message, given a call, a message dict or a Message."""
        data = message_dict(message)
        key = (_chat_key(data["chat"]["id"]), int(data["message_id"]))
        return copy.deepcopy(self._messages.get(key, data))

    @staticmethod
    def buttons(source: MessageLike) -> ButtonRows:
        """Keyboard rows of (text, callback_data or url or None) of a call, message or markup."""
        if isinstance(source, ApiCall):
            markup = source.params.get("reply_markup")
        elif isinstance(source, Message):
            markup = source.to_dict().get("reply_markup")
        elif "inline_keyboard" in source or "keyboard" in source:
            markup = source
        else:
            markup = source.get("reply_markup")
        if not isinstance(markup, dict):
            return []
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [
            [
                (button, None)
                if isinstance(button, str)
                else (button["text"], button.get("callback_data", button.get("url")))
                for button in row
            ]
            for row in rows
        ]

    def my_commands(self, *, scope: JSONDict | None = None, language_code: str = "") -> list[str]:
        """Command names last set with setMyCommands for this scope and language."""
        key = json.dumps([scope or {"type": "default"}, language_code], sort_keys=True)
        return [c["command"] for c in self._commands.get(key, [])]

    def assert_all_valid(self) -> None:
        """Fail if any call broke a Telegram rule or used an unknown method.

        Injected failures (fail_next) are not violations and are ignored.
        """
        bad = [c for c in self._calls if not c.ok and not c.injected]
        if bad:
            lines = "\n".join(f"  {c.method}: {c.description}" for c in bad)
            raise AssertionError(f"{len(bad)} Bot API call(s) Telegram would reject:\n{lines}")

    def clear(self) -> None:
        """Forget recorded calls; messages, chats and files stay so old buttons still work."""
        self._calls.clear()
        self._unexpected.clear()

    # --- answering -----------------------------------------------------------------------------

    def _decode(self, request_data: RequestData | None) -> JSONDict:
        if request_data is None:
            return {}
        params = {k: _decode_json_value(k, v) for k, v in request_data.parameters.items()}
        if not request_data.contains_files:
            return params
        uploads = {
            name: _read_upload(*field) for name, field in request_data.multipart_data.items()
        }
        used: set[str] = set()
        params = {k: _replace_attach_uris(v, uploads, used) for k, v in params.items()}
        for name, upload in uploads.items():
            if name not in used:
                params[name] = upload
        return params

    def _answer(self, method: str, params: JSONDict) -> tuple[int, bytes]:
        failure = next((f for f in self._failures if f.matches(method, params)), None)
        if failure is not None:
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
            error = ApiError(failure.status, failure.description, failure.parameters)
            return self._error(method, params, error, injected=True)
        handler = self._stubs.get(method) or self._handlers.get(method)
        if handler is None:
            call = ApiCall(method, params, status=0, description="unknown method")
            self._calls.append(call)
            self._unexpected.append(call)
            # PTB wraps this into NetworkError("Unknown error in HTTP implementation: ..."),
            # which an error handler may swallow; BotHarness re-raises from `unexpected`.
            raise AssertionError(
                f"FakeBotAPI does not answer Bot API method {method!r} (params: "
                f"{sorted(params)}); add it to the fake or use api.stub({method!r}, ...)"
            )
        try:
            result = handler(params)
        except ApiError as error:
            return self._error(method, params, error, injected=False)
        self._calls.append(ApiCall(method, params, result=copy.deepcopy(result)))
        return HTTPStatus.OK, json.dumps({"ok": True, "result": result}).encode()

    def _error(
        self, method: str, params: JSONDict, error: ApiError, *, injected: bool
    ) -> tuple[int, bytes]:
        self._calls.append(
            ApiCall(
                method,
                params,
                status=error.status,
                description=error.description,
                injected=injected,
            )
        )
        body: JSONDict = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.parameters:
            body["parameters"] = error.parameters
        return error.status, json.dumps(body).encode()

    def _timestamp(self) -> int:
        return int(self._clock().timestamp())

    def _chat(self, chat_id: object) -> JSONDict:
        key = _chat_key(chat_id)
        if key in self._chats:
            return dict(self._chats[key])
        if isinstance(key, str):
            return {"id": -1001000000000, "type": "channel", "title": key, "username": key[1:]}
        if key > 0:
            return {"id": key, "type": "private", "first_name": "User"}
        if str(key).startswith("-100"):
            return {"id": key, "type": "supergroup", "title": f"Group {key}"}
        return {"id": key, "type": "group", "title": f"Group {key}"}

    def _rendered(
        self, params: JSONDict, key: str, entities_key: str, limit: int, too_long: str
    ) -> JSONDict:
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

    def _text_content(self, params: JSONDict) -> JSONDict:
        content = self._rendered(
            params, "text", "entities", MAX_TEXT_LENGTH, "Bad Request: message is too long"
        )
        if not content.get("text", "").strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return content

    def _caption_content(self, params: JSONDict) -> JSONDict:
        return self._rendered(
            params,
            "caption",
            "caption_entities",
            MAX_CAPTION_LENGTH,
            "Bad Request: message caption is too long",
        )

    @staticmethod
    def _check_markup(markup: object) -> JSONDict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            if not isinstance(row, list):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= (
                    MAX_CALLBACK_DATA_BYTES
                ):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not _BUTTON_URL_RE.fullmatch(str(url)):
                    raise ApiError(
                        400, f"Bad Request: inline keyboard button URL '{url}' is invalid"
                    )
                if not _BUTTON_ACTIONS & button.keys():
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard",
                    )
        return markup

    def _new_message(self, params: JSONDict, content: JSONDict) -> JSONDict:
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        markup = self._check_markup(params.get("reply_markup"))
        chat = self._chat(params["chat_id"])
        message: JSONDict = {
            "message_id": self.next_message_id(chat["id"]),
            "from": self.bot_user(),
            "chat": chat,
            "date": self._timestamp(),
            **content,
        }
        reply = params.get("reply_parameters") or {}
        reply_id = reply.get("message_id", params.get("reply_to_message_id"))
        if reply_id is not None:
            target = self._messages.get((_chat_key(chat["id"]), int(reply_id)))
            if target is not None:
                message["reply_to_message"] = {
                    k: v for k, v in target.items() if k != "reply_to_message"
                }
        # Only inline keyboards belong to a Message; a reply keyboard stays in the call's params.
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.register_message(message)
        return message

    def _file_id(self, value: Any, kind: str) -> tuple[str, int]:
        if isinstance(value, dict):  # an upload recorded by _read_upload
            file_id = f"{kind}-{len(self._files) + 1}"
            self.add_file(file_id, value["bytes"])
            return file_id, value["size"]
        file_id = str(value)
        return file_id, int(self._files.get(file_id, {}).get("size", 0))

    def _send_message(self, params: JSONDict) -> JSONDict:
        return self._new_message(params, self._text_content(params))

    def _send_photo(self, params: JSONDict) -> JSONDict:
        caption = self._caption_content(params)
        file_id, size = self._file_id(params.get("photo"), "photo")
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": size,
            }
        ]
        return self._new_message(params, {"photo": photo, **caption})

    def _send_document(self, params: JSONDict) -> JSONDict:
        caption = self._caption_content(params)
        upload = params.get("document")
        file_id, size = self._file_id(upload, "document")
        document: JSONDict = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        if isinstance(upload, dict):
            document |= {"file_name": upload["filename"], "mime_type": upload["mime_type"]}
        document["file_size"] = size
        return self._new_message(params, {"document": document, **caption})

    def _edit(self, params: JSONDict, kind: str) -> JSONDict | bool:
        if "inline_message_id" in params:
            if kind == "text":
                self._text_content(params)
            elif kind == "caption":
                self._caption_content(params)
            self._check_markup(params.get("reply_markup"))
            return True
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        key = (_chat_key(params["chat_id"]), int(params["message_id"]))
        current = self._messages.get(key)
        if current is None or key in self._deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if current.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        updated = copy.deepcopy(current)
        if kind == "text":
            if "text" not in current:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            updated.pop("entities", None)
            updated |= self._text_content(params)
        elif kind == "caption":
            updated.pop("caption", None)
            updated.pop("caption_entities", None)
            updated |= self._caption_content(params)
        # As on Telegram, an edit without reply_markup removes the inline keyboard.
        markup = self._check_markup(params.get("reply_markup"))
        if markup and markup.get("inline_keyboard"):
            updated["reply_markup"] = markup
        else:
            updated.pop("reply_markup", None)
        if _visible_state(updated) == _visible_state(current):
            raise ApiError(400, NOT_MODIFIED)
        updated["edit_date"] = self._timestamp()
        self._messages[key] = updated
        return updated

    def _delete_message(self, params: JSONDict) -> bool:
        key = (_chat_key(params.get("chat_id")), int(params.get("message_id", 0)))
        if key in self._deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        if key in self._messages:
            self._deleted.add(key)
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if len(str(params.get("text", ""))) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if query_id in self._answered_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self._answered_queries.add(query_id)
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = list(commands)
        return True

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return list(self._commands.get(self._commands_key(params), []))

    def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = str(params.get("file_id", ""))
        if not file_id:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = int(self._files.get(file_id, {}).get("size", 0))
        if size > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        path = f"files/{file_id}"
        self._file_paths[path] = file_id
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": size,
            "file_path": path,
        }

    def _download(self, url: str) -> tuple[int, bytes]:
        # The file URL is <base_file_url>/bot<token>/<file_path>; the token segment is skipped.
        path = unquote(urlsplit(url).path).split("/", 3)[-1]
        file_id = self._file_paths.get(path)
        if file_id is None:
            self._calls.append(ApiCall("downloadFile", {"file_path": path}, status=404))
            return HTTPStatus.NOT_FOUND, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        content = self._files.get(file_id, {}).get("content")
        data = content if isinstance(content, bytes) else f"fake file {file_id}".encode()
        self._calls.append(ApiCall("downloadFile", {"file_path": path}, result=len(data)))
        return HTTPStatus.OK, data


def message_dict(message: MessageLike) -> JSONDict:
    """The message dict behind a recorded call, a Message, or a message dict."""
    if isinstance(message, ApiCall):
        if message.message is None:
            raise AssertionError(f"this call produced no message: {message}")
        return message.message
    if isinstance(message, Message):
        return message.to_dict()
    if "message_id" not in message or "chat" not in message:
        raise AssertionError(f"not a message dict: {message}")
    return message

"""The terminal console: try the real handlers and database with no Telegram account."""

from __future__ import annotations

import asyncio
import html
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Protocol, TextIO
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import DubanApp, build_application
from bot.calendar.clock import Clock, system_clock
from bot.i18n import Lang, pick_language
from bot.settings import Settings
from data.repo.contacts import CONSOLE_IDS_FROM, get_contact, link_unit, upsert_contact
from data.repo.units import resolve_unit

JSONDict = dict[str, Any]

# A dummy token: the console never talks to Telegram, but PTB insists on having one.
CONSOLE_TOKEN: Final = "0:console"  # noqa: S105 - a dummy; nothing is sent anywhere
CONSOLE_BOT_ID: Final = 10_000_000
CONSOLE_BOT_USERNAME: Final = "duban_console_bot"
# Fixed ids for the console's people, beyond any real Telegram user's (see CONSOLE_IDS_FROM):
# a database tried out in the console and then served on Telegram gives nobody their rights.
LIAISON_ID: Final = CONSOLE_IDS_FROM + 1
COORDINATOR_ID: Final = CONSOLE_IDS_FROM + 2
QUIT_WORDS: Final = frozenset({"quit", "exit"})
# A line starting with this is sent as text as it is: how to type "50" when numbers press buttons.
VERBATIM: Final = "'"

# The console's own chrome; everything the bot says comes from the handlers and the catalog.
CHROME: Final[dict[Lang, dict[str, str]]] = {
    "zh": {
        "user_name": "控制台用户",
        "banner_unit": "督办控制台 · 您是{unit}的联络员。",
        "banner_coordinator": "督办控制台 · 您是督查室协调人。",
        "banner": "{who}发送 /help 查看命令,输入编号按下按钮,quit 退出。",
        "edited": "(更新)",
        "notice": "(提示)",
        "alert": "(提醒)",
        "photo": "[图片]",
        "document": "[文件]",
        "to_chat": "(发往 {chat})",
        "no_reply": "(机器人没有回复)",
        "unanswered": "(按钮未得到确认)",
        "no_buttons": "(当前没有可按的按钮)",
        "bad_button": "(没有编号为 {n} 的按钮,可选 1–{count};要把 {n} 作为文字发送,请输入 '{n})",
        "link_button": "(链接:{url})",
        "bye": "再见。",
    },
    "en": {
        "user_name": "Console user",
        "banner_unit": "Duban console · you are the liaison of {unit}.",
        "banner_coordinator": "Duban console · you are a coordinator.",
        "banner": "{who} Type /help for commands, a number to press a button, quit to leave.",
        "edited": "(edited)",
        "notice": "(notice)",
        "alert": "(alert)",
        "photo": "[photo]",
        "document": "[file]",
        "to_chat": "(to {chat})",
        "no_reply": "(no reply from the bot)",
        "unanswered": "(the button press was not acknowledged)",
        "no_buttons": "(there are no buttons to press)",
        "bad_button": "(no button {n}; choose 1–{count}, or type '{n} to send {n} as text)",
        "link_button": "(link: {url})",
        "bye": "Bye.",
    },
}

_LINK_RE: Final = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.DOTALL)
_TAG_RE: Final = re.compile(r"<[^>]*>")


class LineSource(Protocol):
    """Where the console reads from: ``sys.stdin``, a ``StringIO``, a test's typist."""

    def readline(self) -> str:
        """The next line with its newline; "" at the end of input."""

    def isatty(self) -> bool:
        """Whether a person is typing (then the console shows a prompt)."""


class ConsoleError(Exception):
    """The console cannot start as asked (e.g. an unknown unit): one line for the CLI."""


def html_to_text(text: str) -> str:
    """Telegram HTML as the plain text a reader sees; links keep their target visible."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        return label if html.unescape(label) == url else f"{label} ({url})"

    return html.unescape(_TAG_RE.sub("", _LINK_RE.sub(link, text)))


@dataclass(frozen=True)
class Button:
    """One inline button as the console offers it."""

    text: str
    callback_data: str | None
    url: str | None


@dataclass
class Screen:
    """What the console shows: bot messages as text, buttons as numbered choices."""

    out: TextIO
    lang: Lang
    user_chat_id: int
    # The message whose buttons the numbers press (the latest one that had any).
    buttons_message: JSONDict | None = None
    buttons: list[Button] = field(default_factory=list)
    shown: int = 0  # how many things were printed; tells a silent bot from a talkative one

    def chrome(self, key: str, **values: object) -> str:
        """A console string in the screen's language."""
        text = CHROME[self.lang][key]
        return text.format(**values) if values else text

    def line(self, text: str = "") -> None:
        """Print one line and flush (a piped reader should see it at once)."""
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, key: str, **values: object) -> None:
        """Print a line of console chrome, set apart like a message."""
        self.line(self.chrome(key, **values))
        self.line()
        self.shown += 1

    def message(self, message: JSONDict, *, edited: bool) -> None:
        """Print a bot message (sent or edited) and remember its buttons."""
        chat_id = message["chat"]["id"]
        body = _message_body(message, self.chrome)
        self.shown += 1
        if chat_id != self.user_chat_id:
            # Someone else's chat (a broadcast, a nudge): one line, so the console user knows.
            first = body.strip().splitlines()[0] if body.strip() else ""
            self.line(f"{self.chrome('to_chat', chat=chat_id)} {first}")
            return
        if edited:
            self.line(self.chrome("edited"))
        self.line(body)
        rows = _button_rows(message)
        if rows:
            self.buttons_message = message
            self.buttons = [button for row in rows for button in row]
            number = 0
            for row in rows:
                cells = []
                for button in row:
                    number += 1
                    cells.append(f"[{number}] {button.text}")
                self.line("  " + "   ".join(cells))
        elif self._holds_buttons(chat_id, message["message_id"]):
            self.forget_buttons()
        self.line()

    def deleted(self, chat_id: int, message_id: int) -> None:
        """A deleted message's buttons can no longer be pressed."""
        if self._holds_buttons(chat_id, message_id):
            self.forget_buttons()

    def forget_buttons(self) -> None:
        """No message with buttons any more."""
        self.buttons_message, self.buttons = None, []

    def callback_answer(self, text: str, *, alert: bool) -> None:
        """A callback answer with text: Telegram shows it as a toast or an alert."""
        self.line(f"  {self.chrome('alert' if alert else 'notice')} {text}")
        self.shown += 1

    def _holds_buttons(self, chat_id: int, message_id: int) -> bool:
        current = self.buttons_message
        return current is not None and (current["chat"]["id"], current["message_id"]) == (
            chat_id,
            message_id,
        )


def _button_rows(message: JSONDict) -> list[list[Button]]:
    markup = message.get("reply_markup") or {}
    return [
        [
            Button(str(b.get("text", "")), b.get("callback_data"), b.get("url"))
            for b in row
            if isinstance(b, dict)
        ]
        for row in markup.get("inline_keyboard", [])
        if isinstance(row, list) and row
    ]


def _message_body(message: JSONDict, chrome: Callable[..., str]) -> str:
    parts: list[str] = []
    if "photo" in message:
        parts.append(chrome("photo"))
    if "document" in message:
        document = message["document"]
        size = int(document.get("file_size") or 0)
        name = document.get("file_name") or document.get("file_id", "")
        parts.append(f"{chrome('document')} {name} ({_size_text(size)})")
    text = message.get("text", message.get("caption"))
    if isinstance(text, str) and text:
        parts.append(text)
    return "\n".join(parts)


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class ConsoleRequest(BaseRequest):
    """A ``BaseRequest`` that answers the Bot API locally and shows messages on a Screen.

    Pass it to ``build_application(request=...)``; it never opens a network connection.
    """

    def __init__(self, screen: Screen, *, clock: Clock, username: str) -> None:
        self.screen = screen
        self._clock = clock
        self._username = username
        self._last_message_id = 0
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self.answered_queries: set[str] = set()

    # --- BaseRequest ---------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """Nothing waits on a socket here."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # PTB passes float | None | DefaultValue for each timeout; nothing waits here.
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call the way Telegram would, as far as the console needs."""
        if method == "GET":  # a file download: the console has no files to give
            return self._error(HTTPStatus.NOT_FOUND, "Not Found")
        api_method = urlsplit(url).path.rsplit("/", 1)[-1]
        params = _params(request_data)
        try:
            result = self._answer(api_method, params)
        except _ApiError as exc:
            return self._error(exc.status, exc.description)
        return HTTPStatus.OK, json.dumps({"ok": True, "result": result}).encode()

    # --- the chat ------------------------------------------------------------------------------

    def bot_user(self) -> JSONDict:
        """The console bot as a Telegram User dict."""
        return {
            "id": CONSOLE_BOT_ID,
            "is_bot": True,
            "first_name": "督办 Duban",
            "username": self._username,
        }

    def register_chat(self, chat: JSONDict) -> None:
        """Remember a chat's details so messages sent there carry them."""
        self._chats[int(chat["id"])] = dict(chat)

    def next_message_id(self) -> int:
        """The next message id; the user's and the bot's messages share one sequence."""
        self._last_message_id += 1
        return self._last_message_id

    def now(self) -> int:
        """The clock as a Unix timestamp, as Telegram dates messages."""
        return int(self._clock().timestamp())

    def current(self, message: JSONDict) -> JSONDict:
        """The latest state of a message the bot sent (after edits)."""
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        return self._messages.get(key, message)

    # --- answering -----------------------------------------------------------------------------

    def _answer(self, method: str, params: JSONDict) -> Any:
        if method == "getMe":
            return self.bot_user() | {"can_join_groups": False, "supports_inline_queries": False}
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            return self._send(method, params)
        if method in ("editMessageText", "editMessageCaption", "editMessageReplyMarkup"):
            return self._edit(method, params)
        if method == "answerCallbackQuery":
            self.answered_queries.add(str(params.get("callback_query_id")))
            text = params.get("text")
            if text:
                self.screen.callback_answer(str(text), alert=bool(params.get("show_alert")))
            return True
        if method == "deleteMessage":
            key = (_int(params.get("chat_id")), _int(params.get("message_id")))
            self._messages.pop(key, None)
            self.screen.deleted(*key)
            return True
        # setMyCommands, sendChatAction and anything else: accepted, nothing to show.
        return True

    def _chat(self, chat_id: object) -> JSONDict:
        key = _int(chat_id)
        return dict(self._chats.get(key) or {"id": key, "type": "private", "first_name": "User"})

    def _send(self, method: str, params: JSONDict) -> JSONDict:
        if "chat_id" not in params:
            raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: chat_id is empty")
        message: JSONDict = {
            "message_id": self.next_message_id(),
            "from": self.bot_user(),
            "chat": self._chat(params["chat_id"]),
            "date": self.now(),
        }
        if method == "sendMessage":
            message["text"] = html_to_text(str(params.get("text", "")))
        else:
            caption = params.get("caption")
            if caption:
                message["caption"] = html_to_text(str(caption))
            file_id = f"console-{message['message_id']}"
            if method == "sendPhoto":
                message["photo"] = [
                    {
                        "file_id": file_id,
                        "file_unique_id": file_id,
                        "width": 1280,
                        "height": 960,
                        "file_size": _upload_size(params.get("photo")),
                    }
                ]
            else:
                upload = params.get("document")
                document: JSONDict = {"file_id": file_id, "file_unique_id": file_id}
                if isinstance(upload, _Upload):
                    document |= {
                        "file_name": upload.filename,
                        "mime_type": upload.mime_type,
                        "file_size": upload.size,
                    }
                message["document"] = document
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        self.screen.message(message, edited=False)
        return message

    def _edit(self, method: str, params: JSONDict) -> JSONDict | bool:
        if "inline_message_id" in params:
            return True
        key = (_int(params.get("chat_id")), _int(params.get("message_id")))
        current = self._messages.get(key)
        if current is None:
            raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message to edit not found")
        updated = dict(current)
        if method == "editMessageText":
            updated["text"] = html_to_text(str(params.get("text", "")))
        elif method == "editMessageCaption":
            caption = params.get("caption")
            updated.pop("caption", None)
            if caption:
                updated["caption"] = html_to_text(str(caption))
        # As on Telegram, an edit without reply_markup removes the inline keyboard.
        markup = params.get("reply_markup")
        updated.pop("reply_markup", None)
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            updated["reply_markup"] = markup
        visible = ("text", "caption", "reply_markup")
        if all(updated.get(k) == current.get(k) for k in visible):
            # Telegram refuses an edit that changes nothing; handlers expect that error.
            raise _ApiError(
                HTTPStatus.BAD_REQUEST,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of "
                "the message",
            )
        updated["edit_date"] = self.now()
        self._messages[key] = updated
        self.screen.message(updated, edited=True)
        return updated

    @staticmethod
    def _error(status: int, description: str) -> tuple[int, bytes]:
        body = {"ok": False, "error_code": status, "description": description}
        return status, json.dumps(body).encode()


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass(frozen=True)
class _Upload:
    filename: str
    mime_type: str
    size: int


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _upload_size(value: object) -> int:
    return value.size if isinstance(value, _Upload) else 0


def _params(request_data: RequestData | None) -> JSONDict:
    """The call's parameters as plain objects, uploads as their name, type and size."""
    if request_data is None:
        return {}
    params: JSONDict = dict(request_data.parameters)
    for key in ("reply_markup", "entities", "caption_entities", "reply_parameters"):
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("{", "["):  # pre-encoded via api_kwargs
            params[key] = json.loads(value)
    if request_data.contains_files:
        for name, (filename, content, mime_type) in request_data.multipart_data.items():
            upload = _Upload(filename, mime_type, _content_size(content))
            # Uploads sent as attach://name stay under that name; others are the parameter.
            params[name] = upload
            for key, value in list(params.items()):
                if value == f"attach://{name}":
                    params[key] = upload
    return params


def _content_size(content: object) -> int:
    if isinstance(content, bytes):
        return len(content)
    seek, tell, read = (getattr(content, n, None) for n in ("seek", "tell", "read"))
    if callable(seek) and callable(tell) and callable(read):
        position = tell()
        size = len(read())
        seek(position)
        return size
    return 0


# --- the session -----------------------------------------------------------------------------


@dataclass
class _Person:
    user: JSONDict
    chat: JSONDict
    lang: Lang
    unit: str | None


async def _prepare_person(
    application: DubanApp,
    *,
    as_unit: str | None,
    lang: Lang | None,
    clock: Clock,
) -> _Person:
    """Make sure the console's person exists: the unit's liaison, or else a coordinator."""
    telegram_id = LIAISON_ID if as_unit is not None else COORDINATOR_ID
    sessions = application.bot_data["services"].sessions
    async with sessions() as session:
        unit = None
        if as_unit is not None:
            unit = await resolve_unit(session, name=as_unit.strip())
            if unit is None:
                raise ConsoleError(f"unknown unit {as_unit!r} (see 'duban units')")
            if unit.kind == "collective":
                raise ConsoleError(f"{unit.name} is a collective: pick one of its member units")
        contact = await upsert_contact(
            session,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            full_name=CHROME[lang or "zh"]["user_name"],
            username=None,
            coordinator=unit is None,
        )
        if unit is not None:
            # The console liaison serves exactly the unit asked for, not every unit tried before.
            contact.units[:] = [cu for cu in contact.units if cu.unit_id == unit.id]
            link_unit(session, contact=contact, unit_id=unit.id, now=clock())
        # Each session starts in the language asked for (Chinese by default), whatever an
        # earlier session chose with /lang: the console person is a demo, not a real user.
        contact.language = lang
        shown_lang = pick_language(contact.language, lang)
        # The name the updates carry, so identify() has nothing to refresh.
        first_name = contact.full_name = CHROME[shown_lang]["user_name"]
        await session.commit()
    user: JSONDict = {
        "id": telegram_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "en" if lang == "en" else "zh-hans",
    }
    chat: JSONDict = {"id": telegram_id, "type": "private", "first_name": first_name}
    return _Person(user, chat, shown_lang, unit.name if unit is not None else None)


class _Updates:
    """Updates as Telegram would send them, from the console's person."""

    def __init__(self, application: DubanApp, api: ConsoleRequest, person: _Person) -> None:
        self._bot = application.bot
        self._api = api
        self._person = person
        self._last_update_id = 0
        self._last_query_id = 0

    def message(self, text: str) -> Update:
        """A text message; a leading /word is marked as a command, as clients do."""
        message: JSONDict = {
            "message_id": self._api.next_message_id(),
            "from": self._person.user,
            "chat": self._person.chat,
            "date": self._api.now(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._update(message=message)

    def press(self, data: str, message: JSONDict) -> tuple[Update, str]:
        """A press on an inline button of a message the bot sent; also the query id."""
        self._last_query_id += 1
        query_id = str(self._last_query_id)
        query: JSONDict = {
            "id": query_id,
            "from": self._person.user,
            "chat_instance": f"console-{self._person.chat['id']}",
            "data": data,
            "message": self._api.current(message),
        }
        return self._update(callback_query=query), query_id

    def _update(self, **payload: JSONDict) -> Update:
        self._last_update_id += 1
        return Update.de_json({"update_id": self._last_update_id, **payload}, self._bot)


async def _read_line(stdin: LineSource) -> str:
    """One line of input; on a terminal it is read in a thread so Ctrl-C still ends the loop."""
    if not stdin.isatty():
        return stdin.readline()
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def read() -> None:
        try:
            line = stdin.readline()
        except Exception as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, line, None)

    # A daemon thread: a read still blocked when the console ends must not keep it alive.
    threading.Thread(target=read, name="duban-console-input", daemon=True).start()
    return await future


async def run_console(
    settings: Settings,
    *,
    as_unit: str | None = None,
    coordinator: bool = False,
    lang: Lang | None = None,
    stdin: LineSource,
    stdout: TextIO,
    clock: Clock = system_clock,
) -> int:
    """Chat with the real handlers in a terminal, as a unit's liaison or a coordinator.

    Without a unit the person is a coordinator. Lines starting with ``/`` are commands, a bare
    number presses that button of the latest message with buttons, other text is a message
    (a leading ``'`` sends the rest as it is, e.g. ``'50``); ``quit``, ``exit`` or end of input
    leave. Returns the exit code.
    """
    if as_unit is not None and coordinator:
        raise ConsoleError("give either a unit or coordinator, not both")
    screen = Screen(out=stdout, lang=lang or "zh", user_chat_id=0)
    api = ConsoleRequest(
        screen, clock=clock, username=settings.bot_username or CONSOLE_BOT_USERNAME
    )
    application = build_application(settings, token=CONSOLE_TOKEN, request=api, clock=clock)
    engine: AsyncEngine = application.bot_data["engine"]
    try:
        person = await _prepare_person(application, as_unit=as_unit, lang=lang, clock=clock)
        screen.lang, screen.user_chat_id = person.lang, int(person.chat["id"])
        api.register_chat(person.chat)
        await application.initialize()
        try:
            _banner(screen, person)
            await _loop(application, api, screen, person, stdin)
        finally:
            await application.shutdown()
    finally:
        # PTB runs post_shutdown only from run_polling/run_webhook: clean up here.
        application.bot_data["services"].offload.shutdown()
        await engine.dispose()
    return 0


def _banner(screen: Screen, person: _Person) -> None:
    who = (
        screen.chrome("banner_unit", unit=person.unit)
        if person.unit is not None
        else screen.chrome("banner_coordinator")
    )
    screen.line(screen.chrome("banner", who=who))
    screen.line()


async def _loop(
    application: DubanApp,
    api: ConsoleRequest,
    screen: Screen,
    person: _Person,
    stdin: LineSource,
) -> None:
    updates = _Updates(application, api, person)
    interactive = stdin.isatty()
    while True:
        if interactive:
            screen.out.write("> ")
            screen.out.flush()
        raw = await _read_line(stdin)
        if not raw:  # end of input
            if interactive:
                screen.line()
            return
        line = raw.strip()
        if not line:
            continue
        if line.lower() in QUIT_WORDS:
            if interactive:
                screen.line(screen.chrome("bye"))
            return
        shown = screen.shown
        if line.startswith(VERBATIM) and len(line) > 1:
            await application.process_update(updates.message(line[1:]))
        elif line.isascii() and line.isdigit():
            await _press(application, api, screen, updates, int(line))
        else:
            await application.process_update(updates.message(line))
        # /lang may have changed the person's language: the chrome follows it.
        screen.lang = await _language(application, person)
        if screen.shown == shown:
            screen.note("no_reply")


async def _language(application: DubanApp, person: _Person) -> Lang:
    async with application.bot_data["services"].sessions() as session:
        contact = await get_contact(session, telegram_id=int(person.user["id"]))
    return pick_language(contact.language if contact else None, person.user["language_code"])


async def _press(
    application: DubanApp, api: ConsoleRequest, screen: Screen, updates: _Updates, number: int
) -> None:
    message, buttons = screen.buttons_message, screen.buttons
    if message is None or not buttons:
        screen.note("no_buttons")
        return
    if not 1 <= number <= len(buttons):
        screen.note("bad_button", n=number, count=len(buttons))
        return
    button = buttons[number - 1]
    if button.callback_data is None:
        screen.note("link_button", url=button.url or "")
        return
    update, query_id = updates.press(button.callback_data, message)
    await application.process_update(update)
    if query_id not in api.answered_queries:
        screen.note("unanswered")

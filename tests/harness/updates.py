"""Build real ``telegram.Update`` objects and drive them through a PTB ``Application``.

``BotHarness`` lives here next to the builders because it is their only consumer; split it into
its own module if it grows.
"""

from __future__ import annotations

import asyncio
import copy
import warnings
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from telegram import Bot, Chat, Update, User
from telegram.ext import Application, CallbackContext, ExtBot
from telegram.warnings import PTBUserWarning

from bot.cli.emulator import ApiCall, JSONDict
from tests.harness.fake_bot_api import FakeBotAPI, MessageLike, is_violation, message_dict

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
_UNAWAITED_TASKS_WARNING = "Tasks created via `Application.create_task` while the application"
ChatLike = Chat | JSONDict


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class UpdateFactory:
    """Makes ``Update`` objects the way Telegram would send them, via ``Update.de_json``.

    When the bot's request is a ``FakeBotAPI``, the factory shares its message-id sequence,
    message store and clock, so user messages and bot messages interleave like on Telegram.
    """

    def __init__(
        self,
        bot: Bot,
        *,
        clock: Callable[[], datetime] | None = None,
        first_update_id: int = 1,
    ) -> None:
        self.bot = bot
        request = bot.request
        self.api: FakeBotAPI | None = request if isinstance(request, FakeBotAPI) else None
        if clock is not None:
            self._clock = clock
        elif self.api is not None:
            self._clock = self.api.now
        else:
            self._clock = lambda: datetime.now(UTC)
        self._last_update_id = first_update_id - 1
        self._last_query_id = 0
        self._last_file = 0
        self._last_message_id: dict[int, int] = {}  # used only without a FakeBotAPI

    # --- people and places ---------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test User",
        language_code: str | None = "zh-hans",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> User:
        """A human Telegram user; their private chat with the bot has the same id."""
        data: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                data[key] = value
        user = User.de_json(data, self.bot)
        if self.api is not None:
            self.api.register_chat(self.private_chat(user))
        return user

    def private_chat(self, user: User) -> JSONDict:
        """The private chat between ``user`` and the bot."""
        chat: JSONDict = {"id": user.id, "type": "private", "first_name": user.first_name}
        if user.last_name:
            chat["last_name"] = user.last_name
        if user.username:
            chat["username"] = user.username
        return chat

    def group(self, chat_id: int, title: str = "Test group") -> JSONDict:
        """A group chat (a supergroup if the id starts with -100, as on Telegram)."""
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat: JSONDict = {"id": chat_id, "type": kind, "title": title}
        if self.api is not None:
            self.api.register_chat(chat)
        return chat

    # --- updates -------------------------------------------------------------------------------

    def message(
        self,
        user: User,
        text: str,
        reply_to: MessageLike | None = None,
        *,
        chat: ChatLike | None = None,
        entities: list[JSONDict] | None = None,
    ) -> Update:
        """A text message from ``user`` (in their private chat unless ``chat`` is given)."""
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._message_update(user, content, chat=chat, reply_to=reply_to)

    def edited(self, original: Update, text: str) -> Update:
        """The user edited a text message they sent earlier (Telegram's edited_message)."""
        message = original.message
        if message is None:
            raise ValueError("only a message update can be edited")
        data = message.to_dict()
        data.update(text=text, edit_date=self._timestamp())
        data.pop("entities", None)
        return self._update(edited_message=data)

    def reply(self, user: User, text: str, to_message: MessageLike) -> Update:
        """A text message replying to an earlier message (e.g. one the bot sent)."""
        return self.message(user, text, reply_to=to_message)

    def command(
        self, user: User, command: str, *args: str, chat: ChatLike | None = None
    ) -> Update:
        """A ``/command arg ...`` message with its bot_command entity, as clients send it."""
        command = command if command.startswith("/") else f"/{command}"
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_length(command)}
        return self.message(user, " ".join((command, *args)), chat=chat, entities=[entity])

    def callback(self, user: User, data: str, message: MessageLike | None = None) -> Update:
        """A press on an inline button with ``data``, on a message the bot sent.

        Without ``message``, the bot's latest message in the user's private chat is used.
        """
        if message is None:
            message_data = self._latest_bot_message(user.id)
        elif self.api is not None:
            message_data = self.api.current(message)
        else:
            message_data = copy.deepcopy(message_dict(message))
        self._last_query_id += 1
        chat_id = message_data["chat"]["id"]
        query: JSONDict = {
            "id": str(4_000_000_000 + self._last_query_id),
            "from": user.to_dict(),
            "chat_instance": str(zlib.crc32(f"{user.id}:{chat_id}".encode())),
            "data": data,
            "message": message_data,
        }
        return self._update(callback_query=query)

    def photo(
        self,
        user: User,
        file_id: str,
        caption: str | None = None,
        file_size: int = 150_000,
        *,
        chat: ChatLike | None = None,
    ) -> Update:
        """A photo message; Telegram sends several sizes, the largest (``file_id``) last."""
        self._register_file(file_id, file_size)
        sizes = [
            {
                "file_id": f"{file_id}-thumb",
                "file_unique_id": f"u-{file_id}-thumb",
                "width": 90,
                "height": 68,
                "file_size": min(file_size, 1_500),
            },
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": file_size,
            },
        ]
        content: JSONDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(user, content, chat=chat)

    def document(
        self,
        user: User,
        file_name: str,
        file_size: int = 50_000,
        mime_type: str = "application/pdf",
        *,
        file_id: str | None = None,
        caption: str | None = None,
        chat: ChatLike | None = None,
    ) -> Update:
        """A file sent as a document."""
        file_id = file_id or self._new_file_id("doc")
        self._register_file(file_id, file_size)
        content: JSONDict = {
            "document": {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": file_size,
            }
        }
        if caption is not None:
            content["caption"] = caption
        return self._message_update(user, content, chat=chat)

    def sticker(self, user: User, emoji: str = "👍", *, chat: ChatLike | None = None) -> Update:
        """A sticker (content the bot is not meant to understand)."""
        file_id = self._new_file_id("sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": 20_000,
        }
        return self._message_update(user, {"sticker": sticker}, chat=chat)

    def voice(self, user: User, duration: int = 3, *, chat: ChatLike | None = None) -> Update:
        """A voice note."""
        file_id = self._new_file_id("voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4_000 * duration,
        }
        return self._message_update(user, {"voice": voice}, chat=chat)

    def chat_member_change(self, user: User, old_status: str, new_status: str) -> Update:
        """A my_chat_member update: the user changed the bot's status in their private chat."""
        bot_user = self._bot_user()

        def member(status: str) -> JSONDict:
            data: JSONDict = {"user": bot_user, "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        change = {
            "chat": self.private_chat(user),
            "from": user.to_dict(),
            "date": self._timestamp(),
            "old_chat_member": member(old_status),
            "new_chat_member": member(new_status),
        }
        return self._update(my_chat_member=change)

    def blocked(self, user: User) -> Update:
        """The user blocked the bot."""
        return self.chat_member_change(user, "member", "kicked")

    # --- internals -----------------------------------------------------------------------------

    def _timestamp(self) -> int:
        return int(self._clock().timestamp())

    def _update(self, **payload: JSONDict) -> Update:
        self._last_update_id += 1
        return Update.de_json({"update_id": self._last_update_id, **payload}, self.bot)

    def _bot_user(self) -> JSONDict:
        if self.api is not None:
            return self.api.bot_user()
        return self.bot.bot.to_dict()  # needs an initialized bot

    def _next_message_id(self, chat_id: int) -> int:
        if self.api is not None:
            return self.api.next_message_id(chat_id)
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _new_file_id(self, kind: str) -> str:
        self._last_file += 1
        return f"{kind}-in-{self._last_file}"

    def _register_file(self, file_id: str, file_size: int) -> None:
        if self.api is not None:
            self.api.add_file(file_id, file_size=file_size)

    def _message_update(
        self,
        user: User,
        content: JSONDict,
        *,
        chat: ChatLike | None = None,
        reply_to: MessageLike | None = None,
    ) -> Update:
        if chat is None:
            chat_data = self.private_chat(user)
        elif isinstance(chat, Chat):
            chat_data = chat.to_dict()
        else:
            chat_data = dict(chat)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_data["id"]),
            "from": user.to_dict(),
            "chat": chat_data,
            "date": self._timestamp(),
            **content,
        }
        if reply_to is not None:
            target = message_dict(reply_to)
            if self.api is not None:
                target = self.api.current(target)
            message["reply_to_message"] = {
                k: v for k, v in target.items() if k != "reply_to_message"
            }
        if self.api is not None:
            self.api.register_message(message)
        return self._update(message=message)

    def _latest_bot_message(self, chat_id: int) -> JSONDict:
        if self.api is None:
            raise ValueError("without a FakeBotAPI, pass the message the button is on")
        sent = self.api.sent_messages(chat_id)
        if not sent:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}; no button to press")
        return self.api.current(sent[-1])


class BotHarness:
    """Runs a real ``Application`` against a ``FakeBotAPI``, one update at a time.

    ``async with BotHarness(app) as h:`` initializes the application (no polling, no job queue
    start) and shuts it down on exit. ``send()`` processes one update, waits for any tasks it
    spawned (``block=False`` handlers, ``application.create_task``), and returns the Bot API
    calls made meanwhile.

    Handler exceptions are collected in ``errors``. They are re-raised from ``send()`` when
    ``raise_errors`` is true; by default that is when the application registered no error
    handler of its own (otherwise its error handler is the behaviour under test). A call to a
    Bot API method the fake does not know always raises, even if an error handler swallowed it.
    With ``strict`` (the default), leaving the block fails if a call Telegram would reject
    (too long, bad HTML, ...) was swallowed during ``send()`` instead of reaching the test.
    PTB runs ``post_init``/``post_shutdown`` only from ``run_polling``/``run_webhook``; pass
    ``run_post_init=True`` to run them here too (e.g. to check the command menu it sets).
    """

    def __init__(
        self,
        application: AnyApplication,
        *,
        api: FakeBotAPI | None = None,
        raise_errors: bool | None = None,
        strict: bool = True,
        run_post_init: bool = False,
        task_timeout: float = 5.0,
    ) -> None:
        if api is None:
            request = application.bot.request
            if not isinstance(request, FakeBotAPI):
                raise TypeError(
                    "build the Application with .request(api).get_updates_request(api) where "
                    "api is a FakeBotAPI"
                )
            api = request
        self.application = application
        self.api = api
        self.updates = UpdateFactory(application.bot)
        self.errors: list[Exception] = []
        self._raise_errors = raise_errors
        self._strict = strict
        self._run_post_init = run_post_init
        self._swallowed_violations: list[ApiCall] = []
        self._task_timeout = task_timeout
        self._entered = False

    async def __aenter__(self) -> BotHarness:
        if self._raise_errors is None:
            self._raise_errors = not self.application.error_handlers
        await self.application.initialize()
        if self._run_post_init and self.application.post_init is not None:
            await self.application.post_init(self.application)
        self.application.add_error_handler(self._collect_error)
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._entered = False
        self.application.remove_error_handler(self._collect_error)
        if self._run_post_init and self.application.post_stop is not None:
            await self.application.post_stop(self.application)
        await self.application.shutdown()
        if self._run_post_init and self.application.post_shutdown is not None:
            await self.application.post_shutdown(self.application)
        if self._strict and exc is None and self._swallowed_violations:
            lines = "\n".join(f"  {c.method}: {c.description}" for c in self._swallowed_violations)
            raise AssertionError(
                "Bot API call(s) Telegram would reject were swallowed (by an error handler or "
                f"a try/except) instead of failing the test:\n{lines}"
            )

    async def _collect_error(
        self, update: object, context: CallbackContext[Any, Any, Any, Any]
    ) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    # --- driving -------------------------------------------------------------------------------

    def user(
        self, user_id: int, first_name: str = "Test User", language_code: str | None = "zh-hans"
    ) -> User:
        """Shortcut for ``self.updates.user``."""
        return self.updates.user(user_id, first_name, language_code)

    async def send(self, update: Update) -> list[ApiCall]:
        """Process one update like the Application would after polling it; return the calls."""
        if not self._entered:
            raise RuntimeError("use BotHarness as `async with BotHarness(app) as h:`")
        first_call = len(self.api.calls())
        first_unexpected = len(self.api.unexpected)
        first_error = len(self.errors)
        bot = self.application.bot
        if isinstance(bot, ExtBot) and bot.callback_data_cache is not None:
            bot.insert_callback_data(update)  # Updater does this for polled updates
        tasks_before = asyncio.all_tasks()
        with warnings.catch_warnings():
            # PTB warns that tasks of block=False handlers are not awaited unless the
            # application is running (start() would also start the real-time JobQueue);
            # the harness awaits them itself, so the warning does not apply.
            warnings.filterwarnings("ignore", _UNAWAITED_TASKS_WARNING, PTBUserWarning)
            await self.application.process_update(update)
            await self._wait_for_spawned_tasks(tasks_before)

        unexpected = self.api.unexpected[first_unexpected:]
        if unexpected:
            names = ", ".join(c.method for c in unexpected)
            raise AssertionError(
                f"the bot called Bot API method(s) the fake does not know: {names}"
            )
        errors = self.errors[first_error:]
        if errors and self._raise_errors:
            for extra in errors[1:]:
                errors[0].add_note(f"another handler error in the same update: {extra!r}")
            raise errors[0]
        calls = self.api.calls()[first_call:]
        self._swallowed_violations += [c for c in calls if is_violation(c)]
        return calls

    async def command(self, user: User, command: str, *args: str) -> list[ApiCall]:
        """Send ``/command args...`` from ``user`` in their private chat."""
        return await self.send(self.updates.command(user, command, *args))

    async def text(
        self, user: User, text: str, *, reply_to: MessageLike | None = None
    ) -> list[ApiCall]:
        """Send a text message from ``user`` in their private chat."""
        return await self.send(self.updates.message(user, text, reply_to=reply_to))

    async def press(self, user: User, button: str, message: MessageLike) -> list[ApiCall]:
        """Press the button whose text or callback_data is ``button`` on a recorded message.

        Uses the message's current state (after edits). An inline button sends a callback query,
        which the bot must answer; a reply-keyboard button sends its text, as clients do.
        """
        current = self.api.current(message)
        chat_id, message_id = current["chat"]["id"], current["message_id"]
        if self.api.is_deleted(chat_id, message_id):
            raise AssertionError(f"message {message_id} was deleted; its buttons are gone")
        markup = current.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for candidate in row:
                if button in (candidate.get("text"), candidate.get("callback_data")):
                    return await self._press_inline(user, candidate, current)
        # Reply keyboards are not part of the Message; only the send call still knows them.
        sent_markup = message.params.get("reply_markup") if isinstance(message, ApiCall) else None
        is_reply_keyboard = isinstance(sent_markup, dict) and "keyboard" in sent_markup
        reply_keyboard = FakeBotAPI.buttons(message) if is_reply_keyboard else []
        if not markup:
            for row in reply_keyboard:
                for text, _ in row:
                    if button == text:
                        return await self.text(user, text)
        available = [b for row in (FakeBotAPI.buttons(current) or reply_keyboard) for b in row]
        raise AssertionError(
            f"no button {button!r} on message {message_id} in chat {chat_id}; "
            f"available (text, data): {available}"
        )

    async def _press_inline(
        self, user: User, button: JSONDict, message: JSONDict
    ) -> list[ApiCall]:
        if "callback_data" not in button:
            raise AssertionError(f"button {button['text']!r} sends no callback query: {button}")
        data = str(button["callback_data"])
        update = self.updates.callback(user, data, message)
        query = update.callback_query
        if query is None:  # pragma: no cover - callback() always builds one
            raise AssertionError("UpdateFactory.callback built no callback query")
        calls = await self.send(update)
        answered = any(
            c.method == "answerCallbackQuery"
            and str(c.params.get("callback_query_id")) == query.id
            and c.ok
            for c in calls
        )
        if not answered:
            raise AssertionError(
                f"the callback query of button {button['text']!r} ({data!r}) was never "
                "answered; every CallbackQuery must get answerCallbackQuery"
            )
        return calls

    async def _wait_for_spawned_tasks(self, before: set[asyncio.Task[Any]]) -> None:
        current = asyncio.current_task()
        while True:
            spawned = {t for t in asyncio.all_tasks() if t not in before and t is not current}
            if not spawned:
                return
            done, pending = await asyncio.wait(spawned, timeout=self._task_timeout)
            for task in done:
                # Their exceptions already went through process_error (and so to `errors`);
                # retrieving them keeps asyncio from logging "exception was never retrieved".
                if not task.cancelled():
                    task.exception()
            if pending:
                names = ", ".join(t.get_name() for t in pending)
                raise AssertionError(f"tasks still running {self._task_timeout}s later: {names}")

"""Drive a real PTB ``Application`` against the recording emulator, one update at a time."""

from __future__ import annotations

import asyncio
import warnings
from types import TracebackType
from typing import Any

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot
from telegram.warnings import PTBUserWarning

from bot.cli.emulator import ApiCall, JSONDict
from tests.harness.fake_bot_api import FakeBotAPI, MessageLike, is_violation
from tests.harness.updates import UpdateFactory

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
_UNAWAITED_TASKS_WARNING = "Tasks created via `Application.create_task` while the application"


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

"""The product's Bot API emulator with what tests add: a record, injected failures, read-back."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any, Final, TypeAlias
from urllib.parse import unquote

from telegram import Message

from bot.cli.emulator import ApiCall, ApiError, BotApiEmulator, JSONDict
from bot.cli.emulator.wire import chat_key

MessageLike: TypeAlias = "ApiCall | JSONDict | Message"
ButtonRows: TypeAlias = list[list[tuple[str, str | None]]]

MESSAGE_SENDING_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
MESSAGE_EDITING_METHODS: Final = frozenset(
    {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}
)

# Real bot tokens are "<digits>:<35 url-safe chars>"; tests must only ever use dummies such as
# "123456:TEST", so a look-alike in a request URL means a real token leaked into a test.
_REAL_TOKEN_RE: Final = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_DEFAULT_DESCRIPTIONS: Final = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after {retry_after}",
    502: "Bad Gateway",
}


@dataclass(frozen=True, slots=True)
class InjectedFailure(ApiCall):
    """A call answered with the error a test asked for via fail_next(): no rule was broken."""


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


def is_violation(call: ApiCall) -> bool:
    """Whether Telegram refused the call for a broken rule (not a failure a test injected)."""
    return not call.ok and not isinstance(call, InjectedFailure)


class FakeBotAPI(BotApiEmulator):
    """The Bot API emulator, recording every call, for tests.

    Pass the same instance to ``ApplicationBuilder.request()`` and ``.get_updates_request()``.
    Besides what the emulator does, it records each call, answers the next call(s) with an
    error on request (``fail_next``), refuses real-looking tokens, and fails loudly on any
    method it does not know.
    """

    def __init__(
        self,
        *,
        username: str = "duban_test_bot",
        bot_id: int = 123456,
        first_name: str = "Duban Test",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(username=username, bot_id=bot_id, first_name=first_name, clock=clock)
        self._calls: list[ApiCall] = []
        self._unexpected: list[ApiCall] = []
        self._failures: list[_Failure] = []
        self.observe(self._calls.append)

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        """Answer one request the way the Bot API would; a real-looking token fails the test."""
        if _REAL_TOKEN_RE.search(unquote(url)):
            raise AssertionError(
                "FakeBotAPI got a request with a real-looking bot token; tests must use a "
                "dummy token such as '123456:TEST'"
            )
        return await super().do_request(url, method, *args, **kwargs)

    def respond(self, method: str, params: JSONDict) -> tuple[int, JSONDict]:
        """An injected failure if one matches, else the emulator's answer."""
        failure = next((f for f in self._failures if f.matches(method, params)), None)
        if failure is None:
            return super().respond(method, params)
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
        error = ApiError(failure.status, failure.description, failure.parameters)
        self.notify(
            InjectedFailure(method, params, status=error.status, description=error.description)
        )
        return error.status, error.body()

    def unknown_method(self, method: str, params: JSONDict) -> Any:
        """Fail the test: the bot called a method the emulator does not know."""
        call = ApiCall(method, params, status=0, description="unknown method")
        self.notify(call)
        self._unexpected.append(call)
        # PTB wraps this into NetworkError("Unknown error in HTTP implementation: ..."),
        # which an error handler may swallow; BotHarness re-raises from `unexpected`.
        raise AssertionError(
            f"FakeBotAPI does not answer Bot API method {method!r} (params: "
            f"{sorted(params)}); add it to the fake or use api.stub({method!r}, ...)"
        )

    # --- configuring ---------------------------------------------------------------------------

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
        self.register_method(method, result if callable(result) else (lambda _params: result))

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
        key = None if chat_id is None else chat_key(chat_id)
        return [
            c
            for c in self._calls
            if c.method in MESSAGE_SENDING_METHODS | MESSAGE_EDITING_METHODS
            and c.message is not None
            and (key is None or chat_key(c.message["chat"]["id"]) == key)
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
        stored = self.stored(chat_id, message_id)
        if stored is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        return stored

    def is_deleted(self, chat_id: int | str, message_id: int) -> bool:
        """Whether the bot deleted this message."""
        return (chat_key(chat_id), message_id) in self._deleted

    def current(self, message: MessageLike) -> JSONDict:
        """The current state of a recorded message, given a call, a message dict or a Message."""
        return super().current(message_dict(message))

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
        menu = self.menus.get({"scope": scope, "language_code": language_code})
        return [c["command"] for c in menu]

    def assert_all_valid(self) -> None:
        """Fail if any call broke a Telegram rule or used an unknown method.

        Injected failures (fail_next) are not violations and are ignored.
        """
        bad = [c for c in self._calls if is_violation(c)]
        if bad:
            lines = "\n".join(f"  {c.method}: {c.description}" for c in bad)
            raise AssertionError(f"{len(bad)} Bot API call(s) Telegram would reject:\n{lines}")

    def clear(self) -> None:
        """Forget recorded calls; messages, chats and files stay so old buttons still work."""
        self._calls.clear()
        self._unexpected.clear()


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

"""The Bot API emulator served over real HTTP on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, TypeAlias
from urllib.parse import unquote, urlsplit

from bot.cli.emulator import BotApiEmulator, JSONDict, typed_text
from tests.harness.fake_bot_api import MESSAGE_SENDING_METHODS
from tests.harness.http_wire import (
    MAX_REQUEST_LINE,
    HttpRequest,
    ProtocolError,
    decode_params,
    dump,
    http_response,
    json_default,
    read_body,
    read_request,
)

# What a handler or hook answers: the HTTP status and the JSON body.
APIResponse: TypeAlias = tuple[int, JSONDict]
# handler_hook(method, params) runs before the built-in handler; a response short-circuits it
# (rate limiting, fault injection, latency), None lets the call through. It may be async.
HandlerHook: TypeAlias = Callable[
    [str, JSONDict], "APIResponse | Awaitable[APIResponse | None] | None"
]
MethodHandler: TypeAlias = Callable[[JSONDict], "Any | Awaitable[Any]"]
CallPredicate: TypeAlias = Callable[["RecordedCall"], bool]

BOT_USERNAME: Final = "duban_local_bot"
DEFAULT_MAX_POLL_WAIT: Final = 2.0


def ok(result: Any) -> APIResponse:
    """A successful Bot API answer."""
    return 200, {"ok": True, "result": result}


def error(status: int, description: str, *, retry_after: int | None = None) -> APIResponse:
    """An error answer as Telegram words it (``retry_after`` for 429 flood control)."""
    body: JSONDict = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body


def unauthorized() -> APIResponse:
    """The answer to a wrong token."""
    return error(401, "Unauthorized")


def not_found() -> APIResponse:
    """The answer to an unknown method (or path)."""
    return error(404, "Not Found")


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One Bot API request as the server received and answered it."""

    method: str
    params: JSONDict
    status: int
    response: JSONDict
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The ``result`` of a successful answer (None on errors)."""
        return self.response.get("result")

    @property
    def message(self) -> JSONDict | None:
        """The Message the call produced (sent or edited), if any."""
        result = self.result
        return result if isinstance(result, dict) and "message_id" in result else None

    @property
    def chat_id(self) -> int | str | None:
        """The target chat of the call, if it has one."""
        value = self.params.get("chat_id")
        return value if isinstance(value, int | str) else None


@dataclass(slots=True)
class _Waiter:
    method: str | None
    predicate: CallPredicate | None
    future: asyncio.Future[RecordedCall]

    def matches(self, call: RecordedCall) -> bool:
        if self.method is not None and call.method != self.method:
            return False
        return self.predicate is None or self.predicate(call)


class LocalBotAPIServer:
    """A fake Telegram Bot API over HTTP on 127.0.0.1, for running the real bot process.

    ``async with LocalBotAPIServer(token=...) as server:`` listens on an ephemeral port; point the
    bot at ``server.url``. The server answers ``POST /bot<TOKEN>/<method>`` (form, JSON or
    multipart bodies, as PTB sends them), records every call in ``calls`` and queues updates
    pushed with ``push_update`` for ``getUpdates`` long polling. Every other method is answered
    by the product's Bot API emulator (``api``), which keeps the messages the bot sent so that
    callback queries and edits see their current state.

    Extension points (for benchmarks and fault injection): ``handler_hook`` may answer any call
    instead of the built-in handler; ``register_method`` adds or replaces a method.
    """

    def __init__(
        self,
        *,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        max_poll_wait: float = DEFAULT_MAX_POLL_WAIT,
        handler_hook: HandlerHook | None = None,
        bot_username: str = BOT_USERNAME,
    ) -> None:
        if host != "127.0.0.1":
            raise ValueError("the local Bot API serves 127.0.0.1 only")
        self.token = token
        self.host = host
        self.port = port
        self.max_poll_wait = max_poll_wait
        self.handler_hook = handler_hook
        self.bot_username = bot_username
        self.calls: list[RecordedCall] = []
        self.connections_accepted = 0  # HTTP connections opened so far (keep-alive reuses them)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._waiters: list[_Waiter] = []
        self._updates: list[JSONDict] = []
        self._last_update_id = 0
        self._new_update = asyncio.Event()
        prefix = token.split(":", 1)[0]
        self.api = BotApiEmulator(
            username=bot_username,
            bot_id=int(prefix) if prefix.isdigit() else 123456,
            first_name="Duban Local",
        )
        # Methods about the HTTP side (polling, webhooks); the emulator answers the rest.
        self._methods: dict[str, MethodHandler] = {
            "logOut": lambda _params: True,
            "close": lambda _params: True,
            "deleteWebhook": self._delete_webhook,
            "getUpdates": self._get_updates,
        }

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to configure as the Bot API (``DUBAN_TELEGRAM_API_URL``)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen on 127.0.0.1 (an ephemeral port unless one was given)."""
        self._server = await asyncio.start_server(
            self._on_connection, self.host, self.port, limit=MAX_REQUEST_LINE * 8
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, drop open connections and fail pending waiters."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.cancel()
        self._waiters.clear()

    async def __aenter__(self) -> LocalBotAPIServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- extension points ---------------------------------------------------------------------

    def register_method(self, name: str, handler: MethodHandler) -> None:
        """Answer ``name`` with ``handler(params)`` (its return value is the ``result``),
        instead of the emulator.

        The handler may be async; raising ``ValueError`` answers 400 Bad Request.
        """
        self._methods[name] = handler

    # --- updates ------------------------------------------------------------------------------

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates, assigning its ``update_id``; returns the update."""
        self._last_update_id += 1
        queued = {**update, "update_id": self._last_update_id}
        self._updates.append(queued)
        event, self._new_update = self._new_update, asyncio.Event()
        event.set()
        return queued

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    @staticmethod
    def user(
        user_id: int,
        first_name: str = "Test User",
        language_code: str | None = "zh-hans",
        *,
        username: str | None = None,
    ) -> JSONDict:
        """A human user as Telegram describes them; their private chat has the same id."""
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def text_update(self, user: JSONDict, text: str) -> JSONDict:
        """A private-chat text message from ``user`` (not yet queued: see ``push_update``)."""
        return {"message": self.api.user_message(user, self._private_chat(user), typed_text(text))}

    def command_update(self, user: JSONDict, command: str, *args: str) -> JSONDict:
        """A ``/command arg ...`` message with its bot_command entity."""
        command = command if command.startswith("/") else f"/{command}"
        return self.text_update(user, " ".join((command, *args)))

    def callback_update(
        self, user: JSONDict, message: JSONDict | RecordedCall, data: str
    ) -> JSONDict:
        """A press on an inline button with ``data`` under a message the bot sent earlier.

        The message is given as the sent Message dict (or the call that sent it); the update
        carries its current state, edits included.
        """
        sent = message.message if isinstance(message, RecordedCall) else message
        if sent is None:
            raise ValueError("that call produced no message")
        return {"callback_query": self.api.button_press(user, data, sent)}

    # --- inspection ---------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method, in order."""
        return [call for call in self.calls if call.method == method]

    def sent_messages(self, chat_id: int | str) -> list[JSONDict]:
        """Messages the bot sent to a chat (as first sent), in order."""
        return [
            message
            for call in self.calls
            if call.ok
            and call.method in MESSAGE_SENDING_METHODS
            and (message := call.message) is not None
            and message["chat"]["id"] == chat_id
        ]

    def sent_texts(self, chat_id: int | str) -> list[str]:
        """The texts (or captions) of messages the bot sent to a chat, as the user sees them."""
        return [
            str(message.get("text", message.get("caption", "")))
            for message in self.sent_messages(chat_id)
        ]

    def current_message(self, chat_id: int | str, message_id: int) -> JSONDict:
        """A message in its current state (after edits)."""
        message = self.api.stored(chat_id, message_id)
        if message is None:
            raise KeyError((chat_id, message_id))
        return message

    async def wait_for(
        self,
        method: str | None,
        predicate: CallPredicate | None = None,
        timeout: float = 10,  # noqa: ASYNC109 - the tests' one-call API; asyncio.wait_for inside
        *,
        since: int = 0,
    ) -> RecordedCall:
        """The first call (from index ``since`` of ``calls``) of ``method`` matching ``predicate``.

        Waits up to ``timeout`` seconds for it to be recorded; raises ``AssertionError`` listing
        the recent calls when none arrives.
        """
        waiter = _Waiter(method, predicate, asyncio.get_running_loop().create_future())
        for call in self.calls[since:]:
            if waiter.matches(call):
                return call
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            recent = "\n  ".join(
                f"{c.method} {c.status} {_short_params(c.params)}" for c in self.calls[-15:]
            )
            raise AssertionError(
                f"no {method or 'call'} matching within {timeout} s; recent calls:\n  {recent}"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def bot_user(self) -> JSONDict:
        """The bot's User object, as getMe answers it."""
        return self.api.bot_user(full=True)

    # --- HTTP ---------------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self.connections_accepted += 1
        try:
            await self._serve_connection(reader, writer)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                request = await read_request(reader)
                if request is None:
                    return
                if request.headers.pop("x-expect-continue", None):
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    await writer.drain()
                request.body = await read_body(reader, request.headers)
            except (ProtocolError, ValueError, asyncio.IncompleteReadError) as exc:
                status, body = error(400, f"Bad Request: {exc}")
                writer.write(http_response(status, dump(body), keep_alive=False))
                await writer.drain()
                return
            status, body = await self._dispatch(request)
            writer.write(http_response(status, dump(body), keep_alive=request.keep_alive))
            await writer.drain()
            if not request.keep_alive:
                return

    async def _dispatch(self, request: HttpRequest) -> APIResponse:
        path = unquote(urlsplit(request.target).path)
        prefix, _, rest = path.lstrip("/").partition("/")
        if request.verb not in ("GET", "POST") or not prefix.startswith("bot") or not rest:
            return not_found()  # includes /file/bot<TOKEN>/...: no file downloads here
        method = rest.split("/", 1)[0]
        try:
            params = decode_params(request)
        except (ProtocolError, ValueError, UnicodeDecodeError) as exc:
            return self._record(method, {}, error(400, f"Bad Request: {exc}"))
        if prefix.removeprefix("bot") != self.token:
            return self._record(method, params, unauthorized())
        if self.handler_hook is not None:
            hooked = self.handler_hook(method, params)
            if inspect.isawaitable(hooked):
                hooked = await hooked
            if hooked is not None:
                return self._record(method, params, hooked)
        handler = self._methods.get(method)
        try:
            if handler is None:
                return self._record(method, params, self.api.respond(method, params))
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except (ValueError, KeyError, TypeError) as exc:
            detail = f"{exc.args[0]}" if exc.args else type(exc).__name__
            if isinstance(exc, KeyError | TypeError):
                detail = f"missing or bad parameter {detail}"
            return self._record(method, params, error(400, f"Bad Request: {detail}"))
        return self._record(method, params, ok(result))

    def _record(self, method: str, params: JSONDict, response: APIResponse) -> APIResponse:
        status, body = response
        call = RecordedCall(method, params, status, body)
        self.calls.append(call)
        for waiter in list(self._waiters):
            if not waiter.future.done() and waiter.matches(call):
                waiter.future.set_result(call)
        return response

    # --- methods ------------------------------------------------------------------------------

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = params.get("offset")
        limit = max(1, min(int(params.get("limit", 100)), 100))
        timeout = max(0.0, min(float(params.get("timeout", 0)), self.max_poll_wait))
        if isinstance(offset, int) and offset > 0:
            # Telegram forgets every update below the offset: they are confirmed.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            event = self._new_update
            if self._updates:
                return self._updates[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _private_chat(self, user: JSONDict) -> JSONDict:
        chat: JSONDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        self.api.register_chat(chat)
        return chat


def _short_params(params: JSONDict, limit: int = 160) -> str:
    text = json.dumps(params, ensure_ascii=False, default=json_default)
    return text if len(text) <= limit else text[: limit - 1] + "…"

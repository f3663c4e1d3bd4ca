"""The Bot API emulator: Telegram's answers in memory, plugged into PTB as its ``BaseRequest``."""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from telegram.request import BaseRequest, RequestData

from bot.cli.emulator.rules import (
    MAX_CALLBACK_ANSWER_LENGTH,
    NOT_MODIFIED,
    ApiError,
    caption_content,
    checked_markup,
    text_content,
    visible_state,
)
from bot.cli.emulator.stores import CommandMenus, FileStore
from bot.cli.emulator.telegram_html import utf16_length
from bot.cli.emulator.wire import ApiCall, ChatKey, JSONDict, chat_key, decode_request

MethodHandler = Callable[[JSONDict], Any]
Observer = Callable[[ApiCall], None]

# Telegram's callback query ids are long numbers; these stay clear of message ids in a log.
_FIRST_QUERY_ID: Final = 4_000_000_000


def typed_text(text: str) -> JSONDict:
    """A text message's content as a client sends it: a leading /command is marked as one."""
    content: JSONDict = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
        ]
    return content


class BotApiEmulator(BaseRequest):
    """A ``BaseRequest`` that answers Bot API calls in memory, the way Telegram would.

    Pass the same instance to ``ApplicationBuilder.request()`` and ``.get_updates_request()``;
    it never opens a network connection. It keeps the chats, messages (with their edits), files
    and command menus the bot made, validates what Telegram validates (text length, callback
    data size, HTML well-formedness, edits that change nothing) by answering 400 like Telegram
    does. Every answered call goes to the observers registered with ``observe()``: the console
    shows messages on its screen that way, the test harness records them.
    """

    def __init__(
        self,
        *,
        username: str,
        bot_id: int,
        first_name: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.username = username
        self.bot_id = bot_id
        self.first_name = first_name
        # Unknown methods answer 404 as on Telegram; set this to answer them True instead.
        self.accept_unknown = False
        self.answered_queries: set[str] = set()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._observers: list[Observer] = []
        self._messages: dict[tuple[ChatKey, int], JSONDict] = {}
        self._deleted: set[tuple[ChatKey, int]] = set()
        self._last_message_id: dict[ChatKey, int] = {}
        self._last_query_id = 0
        self._chats: dict[ChatKey, JSONDict] = {}
        self.files = FileStore()
        self.menus = CommandMenus()
        self._methods: dict[str, MethodHandler] = {
            "getMe": lambda _params: self.bot_user(full=True),
            "getUpdates": lambda _params: [],
            "deleteWebhook": lambda _params: True,
            "setWebhook": lambda _params: True,
            "sendChatAction": lambda _params: True,
            "pinChatMessage": lambda _params: True,
            "setChatMenuButton": lambda _params: True,
            "setMyCommands": self.menus.set,
            "deleteMyCommands": self.menus.delete,
            "getMyCommands": self.menus.get,
            "answerCallbackQuery": self._answer_callback_query,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": lambda params: self._edit(params, "text"),
            "editMessageCaption": lambda params: self._edit(params, "caption"),
            "editMessageReplyMarkup": lambda params: self._edit(params, "markup"),
            "deleteMessage": self._delete_message,
            "getFile": self.files.get_file,
        }

    # --- BaseRequest ---------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; nothing waits on a socket here."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close; chats and messages stay readable after the Application stops."""

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
        """Answer one request the way the Bot API would."""
        if method == "GET":  # Bot.retrieve(): a file download from the file URL
            return self._download(url)
        api_method = urlsplit(url).path.rsplit("/", 1)[-1]
        status, body = self.respond(api_method, decode_request(request_data))
        return status, json.dumps(body).encode()

    # --- answering -----------------------------------------------------------------------------

    def respond(self, method: str, params: JSONDict) -> tuple[int, JSONDict]:
        """Answer one call with decoded parameters: the HTTP status and the JSON body."""
        handler = self._methods.get(method)
        try:
            result = handler(params) if handler else self.unknown_method(method, params)
        except ApiError as error:
            self.notify(
                ApiCall(method, params, status=error.status, description=error.description)
            )
            return error.status, error.body()
        self.notify(ApiCall(method, params, result=copy.deepcopy(result)))
        return HTTPStatus.OK, {"ok": True, "result": result}

    def unknown_method(self, method: str, params: JSONDict) -> Any:
        """The answer to a method the emulator does not know."""
        if self.accept_unknown:
            return True
        raise ApiError(HTTPStatus.NOT_FOUND, "Not Found")

    def register_method(self, method: str, handler: MethodHandler) -> None:
        """Answer ``method`` with ``handler(params)``, also instead of a built-in answer."""
        self._methods[method] = handler

    def observe(self, observer: Observer) -> None:
        """Call ``observer`` with every call answered from now on, in order."""
        self._observers.append(observer)

    def notify(self, call: ApiCall) -> None:
        """Tell the observers about an answered call."""
        for observer in self._observers:
            observer(call)

    # --- the bot, its chats and messages -------------------------------------------------------

    def now(self) -> datetime:
        """The emulator's clock (messages are dated by it)."""
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

    def register_chat(self, chat: JSONDict) -> None:
        """Remember a chat's details so messages sent there carry them, as Telegram's do."""
        self._chats[chat_key(chat["id"])] = dict(chat)

    def next_message_id(self, chat_id: int | str) -> int:
        """Allocate the next message id in a chat; user and bot messages share the sequence."""
        key = chat_key(chat_id)
        self._last_message_id[key] = self._last_message_id.get(key, 0) + 1
        return self._last_message_id[key]

    def register_message(self, message: JSONDict) -> None:
        """Remember a message that reached the chat some other way (e.g. the user sent it)."""
        key = (chat_key(message["chat"]["id"]), int(message["message_id"]))
        self._messages[key] = copy.deepcopy(message)

    def stored(self, chat_id: int | str, message_id: int) -> JSONDict | None:
        """A message in its current state (after edits), or None if it never reached the chat."""
        message = self._messages.get((chat_key(chat_id), message_id))
        return copy.deepcopy(message) if message is not None else None

    def current(self, message: JSONDict) -> JSONDict:
        """The current state of a message dict (after edits); unknown ones as they are."""
        stored = self.stored(message["chat"]["id"], int(message["message_id"]))
        return stored if stored is not None else copy.deepcopy(message)

    def add_file(
        self, file_id: str, content: bytes | None = None, *, file_size: int | None = None
    ) -> None:
        """Make ``getFile``/download of ``file_id`` return this content (or just this size)."""
        self.files.add(file_id, content, size=file_size)

    # --- the people's side ---------------------------------------------------------------------

    def user_message(self, user: JSONDict, chat: JSONDict, content: JSONDict) -> JSONDict:
        """A message from ``user`` in ``chat`` as Telegram delivers it; remembered for replies."""
        message: JSONDict = {
            "message_id": self.next_message_id(chat["id"]),
            "from": dict(user),
            "chat": dict(chat),
            "date": self._timestamp(),
            **content,
        }
        self.register_message(message)
        return message

    def button_press(self, user: JSONDict, data: str, message: JSONDict) -> JSONDict:
        """A callback query: ``user`` pressed a button with ``data`` under a bot's message.

        The query carries the message's current state, edits included.
        """
        self._last_query_id += 1
        chat_id = message["chat"]["id"]
        return {
            "id": str(_FIRST_QUERY_ID + self._last_query_id),
            "from": dict(user),
            "chat_instance": str(zlib.crc32(f"{user['id']}:{chat_id}".encode())),
            "data": data,
            "message": self.current(message),
        }

    # --- the methods ---------------------------------------------------------------------------

    def _timestamp(self) -> int:
        return int(self._clock().timestamp())

    def _chat(self, chat_id: object) -> JSONDict:
        key = chat_key(chat_id)
        if key in self._chats:
            return dict(self._chats[key])
        if isinstance(key, str):
            return {"id": -1001000000000, "type": "channel", "title": key, "username": key[1:]}
        if key > 0:
            return {"id": key, "type": "private", "first_name": "User"}
        if str(key).startswith("-100"):
            return {"id": key, "type": "supergroup", "title": f"Group {key}"}
        return {"id": key, "type": "group", "title": f"Group {key}"}

    def _new_message(self, params: JSONDict, content: JSONDict) -> JSONDict:
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        markup = checked_markup(params.get("reply_markup"))
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
            target = self._messages.get((chat_key(chat["id"]), int(reply_id)))
            if target is not None:
                message["reply_to_message"] = {
                    k: v for k, v in target.items() if k != "reply_to_message"
                }
        # Only inline keyboards belong to a Message; a reply keyboard stays in the call's params.
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.register_message(message)
        return message

    def _send_message(self, params: JSONDict) -> JSONDict:
        return self._new_message(params, text_content(params))

    def _send_photo(self, params: JSONDict) -> JSONDict:
        caption = caption_content(params)
        file_id, size = self.files.sent(params.get("photo"), "photo")
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
        caption = caption_content(params)
        upload = params.get("document")
        file_id, size = self.files.sent(upload, "document")
        document: JSONDict = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        if isinstance(upload, dict):
            document |= {"file_name": upload["filename"], "mime_type": upload["mime_type"]}
        document["file_size"] = size
        return self._new_message(params, {"document": document, **caption})

    def _edit(self, params: JSONDict, kind: str) -> JSONDict | bool:
        if "inline_message_id" in params:
            if kind == "text":
                text_content(params)
            elif kind == "caption":
                caption_content(params)
            checked_markup(params.get("reply_markup"))
            return True
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        key = (chat_key(params["chat_id"]), int(params["message_id"]))
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
            updated |= text_content(params)
        elif kind == "caption":
            updated.pop("caption", None)
            updated.pop("caption_entities", None)
            updated |= caption_content(params)
        # As on Telegram, an edit without reply_markup removes the inline keyboard.
        markup = checked_markup(params.get("reply_markup"))
        if markup and markup.get("inline_keyboard"):
            updated["reply_markup"] = markup
        else:
            updated.pop("reply_markup", None)
        if visible_state(updated) == visible_state(current):
            raise ApiError(400, NOT_MODIFIED)
        updated["edit_date"] = self._timestamp()
        self._messages[key] = updated
        return updated

    def _delete_message(self, params: JSONDict) -> bool:
        key = (chat_key(params.get("chat_id")), int(params.get("message_id", 0)))
        if key in self._deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        if key in self._messages:
            self._deleted.add(key)
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if len(str(params.get("text", ""))) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if query_id in self.answered_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self.answered_queries.add(query_id)
        return True

    def _download(self, url: str) -> tuple[int, bytes]:
        # The file URL is <base_file_url>/bot<token>/<file_path>; the token segment is skipped.
        path = unquote(urlsplit(url).path).split("/", 3)[-1]
        data = self.files.download(path)
        if data is None:
            self.notify(ApiCall("downloadFile", {"file_path": path}, status=404))
            return HTTPStatus.NOT_FOUND, json.dumps(ApiError(404, "Not Found").body()).encode()
        self.notify(ApiCall("downloadFile", {"file_path": path}, result=len(data)))
        return HTTPStatus.OK, data

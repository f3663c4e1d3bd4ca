"""Build real ``telegram.Update`` objects, the way Telegram would send them."""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

from telegram import Bot, Chat, Update, User

from bot.cli.emulator import JSONDict
from bot.cli.emulator.telegram_html import utf16_length
from tests.harness.fake_bot_api import FakeBotAPI, MessageLike, message_dict

ChatLike = Chat | JSONDict


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
        entity = {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
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

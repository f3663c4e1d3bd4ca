"""The console's screen: bot messages as text, their buttons as lettered choices, files saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from string import ascii_lowercase
from typing import Final, TextIO

from bot.cli.chrome import CHROME
from bot.cli.console_files import ConsoleFiles, photo_name
from bot.cli.emulator import ApiCall, JSONDict
from bot.cli.emulator.stores import FileStore
from bot.cli.emulator.telegram_html import visible_text
from bot.i18n import Lang

_SENDING: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_EDITING: Final = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})
# How much of a message to someone else the one line shows.
GLANCE: Final = 100


def button_key(index: int) -> str:
    """The letters that press the button at `index` (0-based): a…z, then aa, ab, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = ascii_lowercase[rest] + letters
    return letters


@dataclass(frozen=True)
class Button:
    """One inline button as the console offers it."""

    text: str
    callback_data: str | None
    url: str | None


@dataclass
class Screen:
    """What the console shows: bot messages as text, buttons as lettered choices.

    Pass ``screen.show`` to ``BotApiEmulator.observe``: every call the bot makes that a person
    would see (a message sent or edited, a button's answer) is printed as it is answered. The
    person at the console (``user_chat_id``) reads their messages in full; a message to another
    of the console's people (``people``: chat id → how they are named) is one line, and is
    shown in full when that person takes the console (``switch``).
    """

    out: TextIO
    lang: Lang
    user_chat_id: int
    people: dict[int, str] = field(default_factory=dict)
    files: ConsoleFiles | None = None  # where pictures and files are saved (None: not saved)
    store: FileStore | None = None  # the emulator's files, for a file sent by its id
    shown: int = 0  # how many things were printed; tells a silent bot from a talkative one
    # Per chat: the latest message with buttons (the letters press those) and its buttons.
    _pressable: dict[int, tuple[JSONDict, list[Button]]] = field(default_factory=dict)
    # Per chat of someone not at the console: the messages they got meanwhile, by message id.
    _unseen: dict[int, dict[int, JSONDict]] = field(default_factory=dict)

    @property
    def buttons_message(self) -> JSONDict | None:
        """The message whose buttons the letters press, in the chat at the console."""
        held = self._pressable.get(self.user_chat_id)
        return held[0] if held else None

    @property
    def buttons(self) -> list[Button]:
        """The buttons the letters press, in order."""
        held = self._pressable.get(self.user_chat_id)
        return held[1] if held else []

    def show(self, call: ApiCall) -> None:
        """Print what a person would see of an answered Bot API call (if anything)."""
        if not call.ok:
            return
        if call.method in _SENDING | _EDITING and call.message is not None:
            self._save_file(call)
            self.message(call.message, edited=call.method in _EDITING)
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.callback_answer(
                str(call.params["text"]), alert=bool(call.params.get("show_alert"))
            )
        elif call.method == "deleteMessage":
            self.deleted(int(call.params["chat_id"]), int(call.params["message_id"]))

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
        chat_id = int(message["chat"]["id"])
        self.shown += 1
        self._remember_buttons(chat_id, message)
        if chat_id == self.user_chat_id:
            self._print(message, edited=edited)
            return
        # One line: the message's lines run together, cut to what a glance takes in.
        first = " ".join(part.strip() for part in self._body(message).splitlines() if part.strip())
        first = first if len(first) <= GLANCE else first[: GLANCE - 1] + "…"
        if edited:
            first = f"{self.chrome('edited')} {first}"
        if chat_id in self.people:
            # Another of the console's people: one line now, the whole message when they come.
            self._unseen.setdefault(chat_id, {})[int(message["message_id"])] = message
            self.line(f"{self.chrome('to_person', who=self.people[chat_id])} {first}")
        else:
            self.line(f"{self.chrome('to_chat', chat=chat_id)} {first}")
        self.line()

    def switch(self, chat_id: int, lang: Lang) -> None:
        """Someone else takes the console: they read what reached them in the meantime."""
        self.user_chat_id, self.lang = chat_id, lang
        unseen = self._unseen.pop(chat_id, {})
        self.note("switched", who=self.people.get(chat_id, str(chat_id)))
        if unseen:
            self.line(self.chrome("while_away", count=len(unseen)))
            for message in unseen.values():
                self._print(message, edited=False)

    def deleted(self, chat_id: int, message_id: int) -> None:
        """A deleted message's buttons can no longer be pressed."""
        self._unseen.get(chat_id, {}).pop(message_id, None)
        if self._holds_buttons(chat_id, message_id):
            self._pressable.pop(chat_id, None)

    def forget_buttons(self) -> None:
        """No message with buttons any more in the chat at the console."""
        self._pressable.pop(self.user_chat_id, None)

    def callback_answer(self, text: str, *, alert: bool) -> None:
        """A callback answer with text: Telegram shows it as a toast or an alert."""
        self.line(f"  {self.chrome('alert' if alert else 'notice')} {text}")
        self.shown += 1

    def _print(self, message: JSONDict, *, edited: bool) -> None:
        if edited:
            self.line(self.chrome("edited"))
        self.line(self._body(message))
        rows = _button_rows(message)
        number = 0
        for row in rows:
            cells = []
            for button in row:
                cells.append(f"[{button_key(number)}] {button.text}")
                number += 1
            self.line("  " + "   ".join(cells))
        self.line()

    def _remember_buttons(self, chat_id: int, message: JSONDict) -> None:
        rows = _button_rows(message)
        if rows:
            self._pressable[chat_id] = (message, [button for row in rows for button in row])
        elif self._holds_buttons(chat_id, int(message["message_id"])):
            self._pressable.pop(chat_id, None)

    def _holds_buttons(self, chat_id: int, message_id: int) -> bool:
        held = self._pressable.get(chat_id)
        return held is not None and int(held[0]["message_id"]) == message_id

    def _save_file(self, call: ApiCall) -> None:
        """Save the picture or file a message carries; the message remembers where."""
        message = call.message
        if self.files is None or message is None or call.method not in _SENDING:
            return
        kind = "photo" if "photo" in message else "document" if "document" in message else None
        if kind is None:
            return
        sent = call.params.get(kind)
        if isinstance(sent, dict):  # an upload: its bytes came with the call
            data, name = bytes(sent["bytes"]), str(sent.get("filename") or "")
        else:
            known = self.store.content(str(sent)) if self.store is not None else None
            if known is None:
                return
            data, name = known, ""
        if kind == "photo":
            name = name or photo_name(data, f"photo-{message['message_id']}")
        else:
            name = message["document"].get("file_name") or name or f"file-{sent}"
        message["console_path"] = str(self.files.save(data, name))

    def _body(self, message: JSONDict) -> str:
        parts: list[str] = []
        saved = message.get("console_path")
        if "photo" in message:
            parts.append(f"{self.chrome('photo')} {saved}" if saved else self.chrome("photo"))
        if "document" in message:
            document = message["document"]
            size = int(document.get("file_size") or 0)
            name = document.get("file_name") or document.get("file_id", "")
            where = f" {saved}" if saved else ""
            parts.append(f"{self.chrome('document')} {name} ({_size_text(size)}){where}")
        if message.get("text"):
            parts.append(visible_text(message["text"], message.get("entities")))
        elif message.get("caption"):
            parts.append(visible_text(message["caption"], message.get("caption_entities")))
        return "\n".join(parts)


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


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"

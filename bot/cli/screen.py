"""The console's screen: bot messages as text, their buttons as numbered choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, TextIO

from bot.cli.emulator import ApiCall, JSONDict
from bot.cli.emulator.telegram_html import visible_text
from bot.i18n import Lang

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
_SENDING: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_EDITING: Final = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})


@dataclass(frozen=True)
class Button:
    """One inline button as the console offers it."""

    text: str
    callback_data: str | None
    url: str | None


@dataclass
class Screen:
    """What the console shows: bot messages as text, buttons as numbered choices.

    Pass ``screen.show`` to ``BotApiEmulator.observe``: every call the bot makes that a person
    would see (a message sent or edited, a button's answer) is printed as it is answered.
    """

    out: TextIO
    lang: Lang
    user_chat_id: int
    # The message whose buttons the numbers press (the latest one that had any).
    buttons_message: JSONDict | None = None
    buttons: list[Button] = field(default_factory=list)
    shown: int = 0  # how many things were printed; tells a silent bot from a talkative one

    def show(self, call: ApiCall) -> None:
        """Print what a person would see of an answered Bot API call (if anything)."""
        if not call.ok:
            return
        if call.method in _SENDING | _EDITING and call.message is not None:
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
        chat_id = message["chat"]["id"]
        body = self._body(message)
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

    def _body(self, message: JSONDict) -> str:
        parts: list[str] = []
        if "photo" in message:
            parts.append(self.chrome("photo"))
        if "document" in message:
            document = message["document"]
            size = int(document.get("file_size") or 0)
            name = document.get("file_name") or document.get("file_id", "")
            parts.append(f"{self.chrome('document')} {name} ({_size_text(size)})")
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

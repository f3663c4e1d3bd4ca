"""Replying safely (HTML, Telegram's length, edits that change nothing) and reading input."""

from __future__ import annotations

import unicodedata

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.i18n import MAX_MESSAGE, Lang, fit, h, t
from bot.validation import TextProblem


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the update's chat with HTML, never over Telegram's length limit."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(
        fit(text),
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        disable_web_page_preview=True,
    )


async def edit_html(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit a message in place (HTML); a second tap that changes nothing is not an error."""
    try:
        await message.edit_text(
            fit(text),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def show(
    update: Update, text: str, markup: InlineKeyboardMarkup | None, *, edit: Message | None
) -> None:
    """Put a text in place of a message (the one under a pressed button), or, with none to
    edit, send it as a new one."""
    if edit is not None:
        await edit_html(edit, text, markup)
    else:
        await reply(update, text, markup)


def text_refusal(lang: Lang, problem: TextProblem, raw: str) -> list[str]:
    """Why typed text cannot be taken, as the messages to send: empty, odd characters, or too
    long — then with the person's whole text to copy, in a second message (or more) when the
    explanation and the escaped text would not fit in one."""
    if problem is TextProblem.EMPTY:
        return [t(lang, "report.text_empty")]
    if problem is TextProblem.NO_WORDS:
        return [t(lang, "report.text_no_words", text=h(raw.strip()[:20]))]
    if problem is not TextProblem.TOO_LONG:
        return [t(lang, "report.text_control")]
    length = len(raw.strip())
    whole = t(lang, "report.text_too_long", length=length, text=h(raw))
    if len(whole) <= MAX_MESSAGE:
        return [whole]
    return [t(lang, "report.text_too_long", length=length, text=""), *escaped_chunks(raw)]


def escaped_chunks(raw: str, limit: int = MAX_MESSAGE) -> list[str]:
    """A text escaped for HTML, cut into messages of at most `limit` characters (escaping
    makes `<` four characters, so the cut is made on the escaped length)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for ch in raw:
        piece = h(ch)
        if size + len(piece) > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece)
    if current:
        chunks.append("".join(current))
    return chunks


def typed_number(raw: str, *, max_digits: int = 6) -> int | None:
    """A number as people type it: '12', '#12', '12.', or with full-width digits (１２); None
    for anything else, including digits int() cannot read (², ②)."""
    text = unicodedata.normalize("NFKC", raw).strip().lstrip("#").rstrip(".")
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


def task_number(plan: str, number: int, *, several: bool) -> str:
    """How a task's number is said: 2, or 民生实事·2 when several plans are in view."""
    return f"{plan}·{number}" if several else str(number)

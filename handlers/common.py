"""Replying safely (HTML, Telegram's length, edits that change nothing) and reading input."""

from __future__ import annotations

import unicodedata

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.i18n import Lang, fit, h, t
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


def text_refusal(lang: Lang, problem: TextProblem, raw: str) -> str:
    """Why typed text cannot be taken: empty, too long (with the text, to copy), odd
    characters."""
    if problem is TextProblem.TOO_LONG:
        return t(lang, "report.text_too_long", length=len(raw.strip()), text=h(raw[:3000]))
    if problem is TextProblem.EMPTY:
        return t(lang, "report.text_empty")
    return t(lang, "report.text_control")


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

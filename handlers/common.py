"""Shared handler plumbing: who is writing, in which language, and replying safely."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import callback_data
from bot.context import DubanContext
from bot.i18n import Lang, fit, h, pick_language, t
from bot.validation import TextProblem
from data.models import Contact, Plan
from data.repo.contacts import get_contact, upsert_contact
from data.repo.plans import get_plan


@dataclass
class Caller:
    """The person behind an update, as far as the database knows them."""

    contact: Contact | None
    lang: Lang
    coordinator: bool

    @property
    def linked(self) -> bool:
        """Whether the person may see the plan (a liaison of some unit, or a coordinator)."""
        return self.coordinator or bool(self.contact and self.contact.units)


async def identify(
    update: Update, context: DubanContext, session: AsyncSession, *, register: bool = False
) -> Caller:
    """Load (or, when asked or when configured as coordinator, create) the caller's contact."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None  # noqa: S101 - handlers are registered for user updates only
    configured = user.id in context.settings.coordinators
    contact = await get_contact(session, telegram_id=user.id)
    if contact is not None or register or configured:
        contact = await upsert_contact(
            session,
            telegram_id=user.id,
            chat_id=chat.id if chat else user.id,
            full_name=user.full_name,
            username=user.username,
            coordinator=configured,
            known=contact,
        )
    coordinator = configured or bool(contact and contact.is_coordinator)
    lang = pick_language(contact.language if contact else None, user.language_code)
    return Caller(contact, lang, coordinator)


async def current_plan(session: AsyncSession) -> Plan | None:
    """The plan people work on (the latest imported)."""
    return await get_plan(session)


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


def command_args(context: DubanContext) -> list[str]:
    """The words after the command."""
    return list(context.args or [])


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


def button_press(update: Update) -> tuple[CallbackQuery, callback_data.Parsed | None]:
    """The pressed button's query and its parsed data (None when malformed)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - only registered as a CallbackQueryHandler
    return query, callback_data.parse(query.data)


async def refuse_text(update: Update, lang: Lang, problem: TextProblem, raw: str) -> None:
    """Say why typed text cannot be taken (empty, too long: with the text to copy, or odd
    characters)."""
    if problem is TextProblem.TOO_LONG:
        await reply(
            update, t(lang, "report.text_too_long", length=len(raw.strip()), text=h(raw[:3000]))
        )
    elif problem is TextProblem.EMPTY:
        await reply(update, t(lang, "report.text_empty"))
    else:
        await reply(update, t(lang, "report.text_control"))


def typed_number(raw: str, *, max_digits: int = 6) -> int | None:
    """A number as people type it: '12', '#12', '12.', or with full-width digits (１２); None
    for anything else, including digits int() cannot read (², ②)."""
    text = unicodedata.normalize("NFKC", raw).strip().lstrip("#").rstrip(".")
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None

"""Duban talks in private chats only: a unit's tasks and reports are not for a group's eyes.

Runs before every other handler. In a group (or a channel) a command meant for this bot gets a
polite answer with a button to the private chat, at most once in ten minutes per group (a
group may receive 20 messages a minute, and a busy one should not hear the same pointer over
and over); anything else is ignored. Updates of a Telegram Business connection are ignored
too: they are chats between a business and its customers. Nothing reaches the other
handlers, so a group message never feeds a report in progress and never moves a liaison's
chat to the group.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import DubanContext
from bot.i18n import pick_language, t

POINTER_EVERY: Final = timedelta(minutes=10)


async def private_only(update: Update, context: DubanContext) -> None:
    """Let private chats through; answer commands elsewhere (sparingly) and stop there."""
    if _business(update):
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    user = update.effective_user
    lang = pick_language(None, user.language_code if user else None)
    text = t(lang, "private_only")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif _command_for(update, context.bot.username) and _pointer_due(context, chat.id):
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t(lang, "private_only.button"), url=f"https://t.me/{context.bot.username}"
                    )
                ]
            ]
        )
        assert update.message is not None  # noqa: S101 - _command_for checked it
        await update.message.reply_text(text, reply_markup=markup)
    raise ApplicationHandlerStop


def _business(update: Update) -> bool:
    return any(
        (
            update.business_connection,
            update.business_message,
            update.edited_business_message,
            update.deleted_business_messages,
        )
    )


def _command_for(update: Update, username: str) -> bool:
    """A message starting with a command addressed to no bot in particular, or to us."""
    message = update.message
    if message is None or not message.entities:
        return False
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return False
    _command, _, addressee = message.parse_entity(first).partition("@")
    return not addressee or addressee.lower() == username.lower()


def _pointer_due(context: DubanContext, chat_id: int) -> bool:
    now = context.now()
    last: dict[int, datetime] = context.bot_data.setdefault("group_pointers", {})
    if chat_id in last and now - last[chat_id] < POINTER_EVERY:
        return False
    last[chat_id] = now
    return True

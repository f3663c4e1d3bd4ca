"""Duban talks in private chats only: a unit's tasks and reports are not for a group's eyes.

Runs before every other handler. In a group (or a channel) a command gets one polite answer
with a button to the private chat; anything else is ignored. Nothing reaches the other
handlers, so a group message never feeds a report in progress and never moves a liaison's
chat to the group.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import DubanContext
from bot.i18n import pick_language, t


async def private_only(update: Update, context: DubanContext) -> None:
    """Let private chats through; answer commands elsewhere and stop there."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    user = update.effective_user
    lang = pick_language(None, user.language_code if user else None)
    text = t(lang, "private_only")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif _is_command(update):
        username = context.bot.username
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t(lang, "private_only.button"), url=f"https://t.me/{username}"
                    )
                ]
            ]
        )
        assert update.effective_message is not None  # noqa: S101 - _is_command checked it
        await update.effective_message.reply_text(text, reply_markup=markup)
    raise ApplicationHandlerStop


def _is_command(update: Update) -> bool:
    message = update.message
    if message is None or not message.entities:
        return False
    first = message.entities[0]
    return first.type == MessageEntity.BOT_COMMAND and first.offset == 0

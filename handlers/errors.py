"""The one error handler: log with context (never a token), answer the user politely."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import DubanContext
from bot.i18n import pick_language, t

log = logging.getLogger("duban.errors")


async def on_error(update: object, context: DubanContext) -> None:
    """Log the failure with update, user and chat ids; tell the user something went wrong."""
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=context.error)
        return
    user = update.effective_user
    chat = update.effective_chat
    log.error(
        "error handling update %s (user %s, chat %s)",
        update.update_id,
        user.id if user else None,
        chat.id if chat else None,
        exc_info=context.error,
    )
    lang = pick_language(None, user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "error.generic"), show_alert=True)
        elif chat is not None:
            await chat.send_message(t(lang, "error.generic"))
    except Exception:  # the apology itself failing must not loop
        log.warning("could not tell user %s about the error", user.id if user else None)

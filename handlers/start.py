"""Linking and the basics: /start (with an invite code), /help, /whoami, /lang."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import DubanContext
from bot.i18n import Lang, h, t
from bot.linking import Outcome, redeem
from data.repo.units import units_by_ids
from handlers import keyboards
from handlers.common import Caller, button_press, command_args, identify, reply
from handlers.menus import show_coordinator_menu

log = logging.getLogger(__name__)

_REFUSALS = {
    Outcome.USED: "start.code_used",
    Outcome.EXPIRED: "start.code_expired",
    Outcome.REVOKED: "start.code_revoked",
    Outcome.UNKNOWN: "start.code_unknown",
    Outcome.THROTTLED: "start.throttled",
}


async def start(update: Update, context: DubanContext) -> None:
    """/start CODE links the person to a unit; /start alone explains how to get an invite."""
    args = command_args(context)
    async with context.sessions() as session:
        caller = await identify(update, context, session, register=bool(args))
        if not args:
            if caller.linked and caller.contact is not None:
                await session.commit()
                units = await units_by_ids(
                    session, ids=[cu.unit_id for cu in caller.contact.units]
                )
                names = "、".join(u.name for u in units.values()) or t(
                    caller.lang, "whoami.coordinator"
                )
                await reply(
                    update,
                    t(
                        caller.lang,
                        "start.welcome_back",
                        name=h(caller.contact.full_name),
                        units=h(names),
                    ),
                )
                await _coordinator_menu(update, context, caller)
            else:
                await reply(update, t(caller.lang, "start.no_code"))
            return
        assert caller.contact is not None  # noqa: S101 - register=True creates it
        result = await redeem(
            session,
            code=args[0][:100],
            contact=caller.contact,
            now=context.now(),
            max_failures_per_hour=context.settings.invite_max_failures_per_hour,
        )
        await session.commit()
    log.info("start code for user %s: %s", caller.contact.telegram_id, result.outcome)
    if result.outcome in _REFUSALS:
        await reply(update, t(caller.lang, _REFUSALS[result.outcome]))
    elif result.outcome is Outcome.LINKED_COORDINATOR:
        await reply(update, t(caller.lang, "start.linked_coordinator"))
        await _coordinator_menu(update, context, caller)
    elif result.outcome is Outcome.ALREADY_LINKED:
        await reply(update, t(caller.lang, "start.already_linked", unit=h(result.unit or "")))
    else:
        await reply(update, t(caller.lang, "start.linked_unit", unit=h(result.unit or "")))


async def help_command(update: Update, context: DubanContext) -> None:
    """/help: the commands this person can use."""
    async with context.sessions() as session:
        caller = await identify(update, context, session)
    if not caller.linked:
        await reply(update, t(caller.lang, "start.no_code"))
        return
    text = t(caller.lang, "help.liaison")
    if caller.coordinator:
        text += "\n\n" + t(caller.lang, "help.coordinator")
    await reply(update, text)
    await _coordinator_menu(update, context, caller)


async def whoami(update: Update, context: DubanContext) -> None:
    """/whoami: the person's units and role."""
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        unit_ids = [cu.unit_id for cu in caller.contact.units] if caller.contact else []
        units = await units_by_ids(session, ids=unit_ids)
    lines = []
    if units:
        lines.append(
            t(caller.lang, "whoami.units", units=h("、".join(units[i].name for i in unit_ids)))
        )
    if caller.coordinator:
        lines.append(t(caller.lang, "whoami.coordinator"))
    await reply(update, "\n".join(lines) or t(caller.lang, "whoami.none"))


async def lang_command(update: Update, context: DubanContext) -> None:
    """/lang: choose Chinese or English."""
    async with context.sessions() as session:
        caller = await identify(update, context, session)
    await reply(update, t(caller.lang, "lang.choose"), keyboards.languages())


async def lang_pick(update: Update, context: DubanContext) -> None:
    """The language button: store the choice for this person."""
    query, parsed = button_press(update)
    lang: Lang = "en" if parsed and parsed.args == ("en",) else "zh"
    async with context.sessions() as session:
        caller = await identify(update, context, session, register=True)
        assert caller.contact is not None  # noqa: S101 - register=True creates it
        caller.contact.language = lang
        await session.commit()
    await query.answer()
    await query.edit_message_text(t(lang, "lang.set"))
    await _coordinator_menu(update, context, caller)


async def _coordinator_menu(update: Update, context: DubanContext, caller: Caller) -> None:
    """A coordinator's chat gets the coordinator menu (set once per process and language).
    The contact's flag, not caller.coordinator: a coordinator invite may have just set it."""
    chat = update.effective_chat
    if chat is not None and caller.contact is not None and caller.contact.is_coordinator:
        await show_coordinator_menu(
            context.bot, context.bot_data, chat_id=chat.id, chosen=caller.contact.language
        )

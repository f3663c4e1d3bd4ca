"""Linking and the basics: /start (with an invite code), /help, /whoami, /lang."""

from __future__ import annotations

import logging

from bot.i18n import Lang, h, t
from bot.linking import Outcome, redeem
from data.repo.units import units_by_ids
from handlers import keyboards
from handlers.access import Request, anyone
from handlers.menus import show_coordinator_menu

log = logging.getLogger(__name__)

_REFUSALS = {
    Outcome.USED: "start.code_used",
    Outcome.EXPIRED: "start.code_expired",
    Outcome.REVOKED: "start.code_revoked",
    Outcome.UNKNOWN: "start.code_unknown",
    Outcome.THROTTLED: "start.throttled",
}


@anyone
async def start(req: Request) -> None:
    """/start CODE links the person to a unit; /start alone explains how to get an invite."""
    if not req.args:
        await _welcome(req)
        return
    contact = await req.register()
    result = await redeem(
        req.session,
        code=req.args[0][:100],
        contact=contact,
        now=req.now(),
        max_failures_per_hour=req.context.settings.invite_max_failures_per_hour,
    )
    await req.session.commit()
    log.info("start code for user %s: %s", contact.telegram_id, result.outcome)
    if result.outcome in _REFUSALS:
        await req.reply(req.t(_REFUSALS[result.outcome]))
    elif result.outcome is Outcome.LINKED_COORDINATOR:
        await req.reply(req.t("start.linked_coordinator"))
        await _coordinator_menu(req, just_granted=True)
    elif result.outcome is Outcome.LINKED_LEADER:
        await req.reply(req.t("start.linked_leader", unit=h(result.unit or "")))
    elif result.outcome is Outcome.ALREADY_LINKED:
        await req.reply(req.t("start.already_linked", unit=h(result.unit or "")))
    else:
        await req.reply(req.t("start.linked_unit", unit=h(result.unit or "")))


async def _welcome(req: Request) -> None:
    """/start without a code: welcome back a linked person, or say how to get an invite."""
    contact = req.caller.contact
    if not req.caller.linked or contact is None:
        await req.reply(req.t("start.no_code"))
        return
    ids = [cu.unit_id for cu in contact.units] + [lead.unit_id for lead in contact.leads]
    units = await units_by_ids(req.session, ids=ids)
    names = "、".join(u.name for u in units.values()) or req.t("whoami.coordinator")
    await req.reply(req.t("start.welcome_back", name=h(contact.full_name), units=h(names)))
    await _coordinator_menu(req)


@anyone
async def help_command(req: Request) -> None:
    """/help: the commands this person can use."""
    if not req.caller.linked:
        await req.reply(req.t("start.no_code"))
        return
    text = req.t("help.liaison")
    if req.caller.coordinator:
        text += "\n\n" + req.t("help.coordinator")
    await req.reply(text)
    await _coordinator_menu(req)


@anyone
async def whoami(req: Request) -> None:
    """/whoami: the person's units and role."""
    contact = req.caller.contact
    unit_ids = [cu.unit_id for cu in contact.units] if contact else []
    led_ids = [lead.unit_id for lead in contact.leads] if contact else []
    units = await units_by_ids(req.session, ids=unit_ids + led_ids)
    lines = []
    for key, ids in (("whoami.units", unit_ids), ("whoami.leader", led_ids)):
        if ids:
            lines.append(req.t(key, units=h("、".join(units[i].name for i in ids if i in units))))
    if req.caller.coordinator:
        lines.append(req.t("whoami.coordinator"))
    await req.reply("\n".join(lines) or req.t("whoami.none"))


@anyone
async def lang_command(req: Request) -> None:
    """/lang: choose Chinese or English."""
    await req.reply(req.t("lang.choose"), keyboards.languages())


@anyone
async def lang_pick(req: Request) -> None:
    """The language button: store the choice for this person."""
    parsed = req.data
    lang: Lang = "en" if parsed and parsed.args == ("en",) else "zh"
    contact = await req.register()
    contact.language = lang
    await req.session.commit()
    await req.query.answer()
    await req.query.edit_message_text(t(lang, "lang.set"))
    await _coordinator_menu(req)


async def _coordinator_menu(req: Request, *, just_granted: bool = False) -> None:
    """A coordinator's chat gets the coordinator menu (set once per process and language);
    `just_granted`: a coordinator invite has just made them one."""
    contact = req.caller.contact
    coordinator = req.caller.coordinator or just_granted
    if req.chat_id is not None and contact is not None and coordinator:
        await show_coordinator_menu(
            req.context.bot,
            req.context.bot_data,
            chat_id=req.chat_id,
            chosen=contact.language,
            dashboard=req.context.settings.dashboard_url,
        )

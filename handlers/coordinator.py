"""Coordinator commands (for now /invite); everyone else is refused clearly."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ParseMode

from bot.context import DubanContext
from bot.i18n import full_date_text, h, t
from bot.ledger import build_ledger, workbook_bytes
from bot.linking import create_invite, deep_link
from data.repo.units import resolve_unit
from handlers.common import command_args, current_plan, identify, reply


async def bot_username(context: DubanContext) -> str:
    """The bot's username for deep links: from getMe, else the setting."""
    username = context.bot.username if context.bot.bot else None
    return username or context.services.bot_username or "duban_bot"


async def invite(update: Update, context: DubanContext) -> None:
    """/invite UNIT or /invite coordinator: a one-time, expiring deep link."""
    args = command_args(context)
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        if not caller.coordinator:
            await session.commit()
            await reply(update, t(caller.lang, "coordinator_only"))
            return
        if not args:
            await reply(update, t(caller.lang, "invite.usage"))
            return
        name = " ".join(args).strip()
        actor = f"tg:{caller.contact.telegram_id}" if caller.contact else "tg:?"
        days = context.settings.invite_ttl_days
        if name.lower() in ("coordinator", "协调人", "督查室"):
            code = await create_invite(
                session,
                unit=None,
                now=context.now(),
                ttl_days=days,
                created_by=caller.contact,
                actor=actor,
            )
            key, unit_name = "invite.created_coordinator", ""
        else:
            unit = await resolve_unit(session, name=name)
            if unit is None:
                await reply(update, t(caller.lang, "invite.unknown_unit", unit=h(name[:50])))
                return
            if unit.kind == "collective":
                await reply(update, t(caller.lang, "invite.collective", unit=h(unit.name)))
                return
            code = await create_invite(
                session,
                unit=unit,
                now=context.now(),
                ttl_days=days,
                created_by=caller.contact,
                actor=actor,
            )
            key, unit_name = "invite.created_unit", unit.name
        await session.commit()
    link = deep_link(await bot_username(context), code)
    await reply(update, t(caller.lang, key, unit=h(unit_name), days=days, link=h(link)))


async def export(update: Update, context: DubanContext) -> None:
    """/export: the ledger as an .xlsx workbook, sent as a document."""
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        if not caller.coordinator:
            await session.commit()
            await reply(update, t(caller.lang, "coordinator_only"))
            return
        plan = await current_plan(session)
        if plan is None:
            await reply(update, t(caller.lang, "not_linked"))
            return
        moment = context.moment(plan)
        ledger = await build_ledger(
            session,
            plan=plan,
            moment=moment,
            calendar=context.services.calendar,
            thresholds=context.services.thresholds,
        )
        await session.commit()
    lang = caller.lang
    tz = context.settings.tz
    # Building a workbook is CPU work: keep it off the event loop.
    data = await asyncio.to_thread(workbook_bytes, ledger, lang=lang, tz=tz)
    today = moment.today
    chat = update.effective_chat
    if chat is None:
        return
    period = moment.span.label_zh if lang == "zh" else moment.span.label_en
    await chat.send_document(
        document=data,
        filename=f"{t(lang, 'ledger.filename')}-{today:%Y%m%d}.xlsx",
        caption=t(
            lang,
            "ledger.caption",
            document=h(plan.document),
            period=period,
            date=full_date_text(lang, today),
        ),
        parse_mode=ParseMode.HTML,
    )

"""Coordinator commands (for now /invite); everyone else is refused clearly."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode

from bot import callback_data as callbacks
from bot.charts import LIGHT_ORDER
from bot.chasing import Late, acknowledge, chase, late_units
from bot.context import DubanContext
from bot.coordination import assign as assign_units
from bot.coordination import find_task, parse_day, set_deadline, set_due_day
from bot.i18n import Lang, date_text, full_date_text, h, t
from bot.ledger.jobs import LedgerJob, export_workbook, ledger_job, status_figures
from bot.ledger.model import section_label
from bot.linking import create_invite, deep_link
from data.models import Plan, Task
from data.repo.tasks import count_tasks
from data.repo.units import resolve_unit
from handlers.common import (
    Caller,
    button_press,
    command_args,
    current_plan,
    edit_html,
    identify,
    reply,
    typed_number,
)
from handlers.render import when_text


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
    """/export: the ledger as an .xlsx workbook, built in a worker process, sent as a document."""
    found = await _coordinator_plan(update, context)
    if found is None:
        return
    caller, plan = found
    lang = caller.lang
    chat = update.effective_chat
    if chat is None:
        return
    await reply(update, t(lang, "ledger.building"))
    job = _job(context, plan_id=plan.id, lang=lang)
    built = await context.services.offload.run(("export", plan.id, lang), export_workbook, job)
    moment = built.ledger.moment
    await chat.send_document(
        document=built.data,
        filename=f"{t(lang, 'ledger.filename')}-{moment.today:%Y%m%d}.xlsx",
        caption=t(
            lang,
            "ledger.caption",
            document=h(plan.document),
            period=moment.span.label(lang),
            date=full_date_text(lang, moment.today),
        ),
        parse_mode=ParseMode.HTML,
    )


async def _coordinator(
    update: Update, context: DubanContext, session: AsyncSession
) -> Caller | None:
    """The caller if a coordinator; otherwise they are told, and None."""
    caller = await identify(update, context, session)
    if not caller.coordinator or caller.contact is None:
        await session.commit()
        await reply(update, t(caller.lang, "coordinator_only"))
        return None
    return caller


def _job(context: DubanContext, *, plan_id: int, lang: Lang) -> LedgerJob:
    services = context.services
    return ledger_job(
        services.settings,
        plan_id=plan_id,
        lang=lang,
        now=context.now(),
        thresholds=services.thresholds,
    )


async def _coordinator_plan(update: Update, context: DubanContext) -> tuple[Caller, Plan] | None:
    """For /export and /status: the coordinator and the plan, or a refusal already sent."""
    async with context.sessions() as session:
        caller = await _coordinator(update, context, session)
        if caller is None:
            return None
        plan = await current_plan(session)
        await session.commit()
    if plan is None:
        await reply(update, t(caller.lang, "not_linked"))
        return None
    return caller, plan


async def _task_or_say(
    update: Update, session: AsyncSession, lang: Lang, plan: Plan, number: int
) -> Task | None:
    """Task N of the plan, or a reply saying there is no such task."""
    task = await find_task(session, plan=plan, number=number)
    if task is None:
        total = await count_tasks(session, plan_id=plan.id)
        await reply(update, t(lang, "task.not_found", number=number, total=total))
    return task


async def deadline(update: Update, context: DubanContext) -> None:
    """/deadline N DATE (or -): set or reset a task's deadline."""
    args = command_args(context)
    async with context.sessions() as session:
        caller = await _coordinator(update, context, session)
        if caller is None:
            return
        lang = caller.lang
        plan = await current_plan(session)
        number = typed_number(args[0]) if args else None
        if plan is None or number is None or len(args) != 2:
            await reply(update, t(lang, "deadline.usage"))
            return
        task = await _task_or_say(update, session, lang, plan, number)
        if task is None:
            return
        day = (
            None
            if args[1] in ("-", "清除", "reset")
            else parse_day(args[1], default_year=plan.year)
        )
        if day is None and args[1] not in ("-", "清除", "reset"):
            await reply(update, t(lang, "deadline.bad_date", value=h(args[1][:20])))
            return
        assert caller.contact is not None  # noqa: S101 - _coordinator checked
        await set_deadline(session, task=task, deadline=day, by=caller.contact, now=context.now())
        await session.commit()
        year_end = context.moment(plan).year_end
    if day is None:
        await reply(
            update,
            t(lang, "deadline.cleared", number=number, deadline=full_date_text(lang, year_end)),
        )
    else:
        await reply(
            update, t(lang, "deadline.set", number=number, deadline=full_date_text(lang, day))
        )


async def assign(update: Update, context: DubanContext) -> None:
    """/assign N UNIT…: pick members of the task's "relevant" collectives."""
    args = command_args(context)
    async with context.sessions() as session:
        caller = await _coordinator(update, context, session)
        if caller is None:
            return
        lang = caller.lang
        plan = await current_plan(session)
        number = typed_number(args[0]) if args else None
        if plan is None or number is None or len(args) < 2:
            await reply(update, t(lang, "assign.usage"))
            return
        task = await _task_or_say(update, session, lang, plan, number)
        if task is None:
            return
        if not any(tu.unit.kind == "collective" and tu.unit.relevant for tu in task.units):
            await reply(update, t(lang, "assign.no_relevant", number=number))
            return
        assert caller.contact is not None  # noqa: S101 - _coordinator checked
        names = [n for n in (re.sub(r"^[、,]+|[、,]+$", "", a) for a in args[1:]) if n][:30]
        done = await assign_units(
            session, task=task, names=names, by=caller.contact, now=context.now()
        )
        await session.commit()
    lines = []
    for key, units in (
        ("assign.added", done.added),
        ("assign.already", done.already),
        ("assign.unknown", done.unknown),
        ("assign.not_member", done.not_member),
    ):
        if units:
            lines.append(t(lang, key, number=number, units=h("、".join(units))))
    await reply(update, "\n".join(lines))


async def period(update: Update, context: DubanContext) -> None:
    """/period: show the period in force; /period DAY: change the due day."""
    args = command_args(context)
    async with context.sessions() as session:
        caller = await _coordinator(update, context, session)
        if caller is None:
            return
        lang = caller.lang
        plan = await current_plan(session)
        if plan is None:
            await reply(update, t(lang, "not_linked"))
            return
        if args:
            day = typed_number(args[0], max_digits=2)
            if day is None or not 1 <= day <= 31:
                await reply(update, t(lang, "period.bad_day", value=h(args[0][:10])))
                return
            assert caller.contact is not None  # noqa: S101 - _coordinator checked
            await set_due_day(
                session, plan=plan, due_day=day, by=caller.contact, now=context.now()
            )
            await session.commit()
            moment = context.moment(plan)
            await reply(
                update,
                t(lang, "period.set", due_day=plan.due_day, due=full_date_text(lang, moment.due)),
            )
            return
        moment = context.moment(plan)
    span = moment.span
    await reply(
        update,
        t(
            lang,
            "period.show",
            period=span.label(lang),
            start=date_text(lang, span.start),
            end=date_text(lang, span.end),
            due=full_date_text(lang, moment.due),
            due_day=plan.due_day,
        ),
    )


def _late_view(lang: Lang, late: Late, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup | None]:
    span = late.moment.span
    period = span.label(lang)
    if not late.reachable and not late.unreachable:
        return t(lang, "late.none", period=period), None
    lines = [
        t(
            lang,
            "late.header",
            period=period,
            due=date_text(lang, late.moment.due),
            count=len(late.reachable) + len(late.unreachable),
        )
    ]
    for entry in late.reachable[:40]:
        ack = ""
        if entry.chase is not None:
            ack = (
                t(lang, "late.acked", when=when_text(lang, entry.chase.acknowledged_at, tz))
                if entry.chase.acknowledged_at
                else t(lang, "late.chased")
            )
        lines.append(
            t(lang, "late.line", unit=h(entry.unit.name), count=len(entry.tasks), ack=ack)
        )
    if late.unreachable:
        lines += ["", t(lang, "late.unreachable")]
        lines += [
            t(lang, "late.unreachable_line", unit=h(e.unit.name), count=len(e.tasks))
            for e in late.unreachable[:40]
        ]
    rows = [
        [
            InlineKeyboardButton(
                t(lang, "button.chase", unit=e.unit.name)[:60],
                callback_data=callbacks.chase_unit(e.unit.id),
            )
        ]
        for e in late.reachable[:20]
    ]
    if late.reachable:
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "button.chase_all"), callback_data=callbacks.chase_all()
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def late(update: Update, context: DubanContext) -> None:
    """/late: units that have not reported, with 催办 buttons; unreachable units apart."""
    async with context.sessions() as session:
        caller = await _coordinator(update, context, session)
        if caller is None:
            return
        plan = await current_plan(session)
        if plan is None:
            await reply(update, t(caller.lang, "not_linked"))
            return
        found = await late_units(session, plan=plan, moment=context.moment(plan))
        await session.commit()
    await reply(update, *_late_view(caller.lang, found, context.settings.tz))


async def chase_callback(update: Update, context: DubanContext) -> None:
    """📣 催办 one unit (or all) from /late: queue the chases, then refresh the list."""
    query, parsed = button_press(update)
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        if not caller.coordinator or caller.contact is None:
            await query.answer(t(caller.lang, "coordinator_only"), show_alert=True)
            return
        plan = await current_plan(session)
        if plan is None:
            await query.answer()
            return
        moment = context.moment(plan)
        found = await late_units(session, plan=plan, moment=moment)
        wanted = (
            [e.unit.id for e in found.reachable] if parsed.args == ("all",) else [parsed.int(0)]
        )
        units, people = await chase(
            session, late=found, unit_ids=wanted, by=caller.contact, now=context.now()
        )
        await session.commit()
        refreshed = await late_units(session, plan=plan, moment=moment)
    context.services.wake_outbox()
    lang = caller.lang
    if not people:
        await query.answer(t(lang, "late.nothing_to_chase"), show_alert=True)
        return
    await query.answer(t(lang, "late.chased_done", units=units, people=people))
    message = query.message if isinstance(query.message, Message) else None
    if message is not None:
        await edit_html(message, *_late_view(lang, refreshed, context.settings.tz))


async def ack_callback(update: Update, context: DubanContext) -> None:
    """收到 under a 催办: recorded once, and shown to coordinators in /late."""
    query, parsed = button_press(update)
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        record = (
            await acknowledge(
                session, chase_id=parsed.int(0), contact=caller.contact, now=context.now()
            )
            if caller.contact
            else None
        )
        await session.commit()
    if record is None:
        await query.answer(t(caller.lang, "callback.stale"), show_alert=True)
        return
    await query.answer(t(caller.lang, "chase.acked"))


async def status(update: Update, context: DubanContext) -> None:
    """/status: this period's reporting rate, lights by section, on-time ranking and a chart
    (worked out in a worker process; Telegram shows "sending a photo…" meanwhile)."""
    found = await _coordinator_plan(update, context)
    if found is None:
        return
    caller, plan = found
    lang = caller.lang
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_chat_action(ChatAction.UPLOAD_PHOTO)
    job = _job(context, plan_id=plan.id, lang=lang)
    figures = await context.services.offload.run(("status", plan.id, lang), status_figures, job)
    numbers, moment = figures.overview, figures.ledger.moment
    lines = [
        t(
            lang,
            "overview.header",
            period=moment.span.label(lang),
            due=date_text(lang, moment.due),
        ),
        t(
            lang,
            "overview.rate",
            done=numbers.done_units,
            total=numbers.total_units,
            percent=f"{numbers.percent:.1f}",
        ),
        "",
        t(lang, "overview.sections"),
    ]
    for number, title, counts in numbers.sections:
        lights = " ".join(f"{light.emoji}{counts.get(light, 0)}" for light in LIGHT_ORDER)
        lines.append(
            t(
                lang,
                "overview.section_line",
                section=h(section_label(number, title)),
                lights=lights,
            )
        )
    top = numbers.ranking[:10]
    lines += ["", t(lang, "overview.ranking", count=len(top))]
    lines += [
        t(lang, "overview.rank_line", rank=r.rank, unit=h(r.unit), on_time=r.on_time, owed=r.owed)
        for r in top
    ]
    await reply(update, "\n".join(lines))
    await chat.send_photo(photo=figures.png, filename="status.png")

"""Plan administration by coordinators: /invite, /deadline, /assign and /period."""

from __future__ import annotations

import re

from bot.coordination import assign as assign_units
from bot.coordination import find_task, parse_day, set_deadline, set_due_day
from bot.i18n import date_text, full_date_text, h
from bot.linking import create_invite, deep_link
from data.models import Task
from data.repo.tasks import count_tasks
from data.repo.units import resolve_unit
from handlers.access import Known, Member, coordinator
from handlers.common import typed_number

_COORDINATOR = ("coordinator", "协调人", "督查室")
_RESET = ("-", "清除", "reset")


def _bot_username(req: Known) -> str:
    """The bot's username for deep links: from getMe, else the setting."""
    context = req.context
    username = context.bot.username if context.bot.bot else None
    return username or context.services.bot_username or "duban_bot"


@coordinator(plan=False)
async def invite(req: Known) -> None:
    """/invite UNIT or /invite coordinator: a one-time, expiring deep link."""
    if not req.args:
        await req.reply(req.t("invite.usage"))
        return
    name = " ".join(req.args).strip()
    unit = None
    if name.lower() not in _COORDINATOR:
        unit = await resolve_unit(req.session, name=name)
        if unit is None:
            await req.reply(req.t("invite.unknown_unit", unit=h(name[:50])))
            return
        if unit.kind == "collective":
            await req.reply(req.t("invite.collective", unit=h(unit.name)))
            return
    days = req.context.settings.invite_ttl_days
    code = await create_invite(
        req.session,
        unit=unit,
        now=req.now(),
        ttl_days=days,
        created_by=req.contact,
        actor=f"tg:{req.contact.telegram_id}",
    )
    await req.session.commit()
    key = "invite.created_unit" if unit else "invite.created_coordinator"
    link = h(deep_link(_bot_username(req), code))
    await req.reply(req.t(key, unit=h(unit.name if unit else ""), days=days, link=link))


async def _task(req: Member, *, usage: str, fits: bool) -> tuple[int, Task] | None:
    """For /deadline and /assign: task N of the first word, or the usage (arguments that do not
    fit) or "no such task" said."""
    number = typed_number(req.args[0]) if req.args else None
    if number is None or not fits:
        await req.reply(req.t(usage))
        return None
    task = await find_task(req.session, plan=req.plan, number=number)
    if task is None:
        total = await count_tasks(req.session, plan_id=req.plan.id)
        await req.reply(req.t("task.not_found", number=number, total=total))
        return None
    return number, task


@coordinator
async def deadline(req: Member) -> None:
    """/deadline N DATE (or -): set or reset a task's deadline."""
    found = await _task(req, usage="deadline.usage", fits=len(req.args) == 2)
    if found is None:
        return
    number, task = found
    raw = req.args[1]
    day = None if raw in _RESET else parse_day(raw, default_year=req.plan.year)
    if day is None and raw not in _RESET:
        await req.reply(req.t("deadline.bad_date", value=h(raw[:20])))
        return
    await set_deadline(req.session, task=task, deadline=day, by=req.contact, now=req.now())
    await req.session.commit()
    if day is None:
        year_end = req.context.moment(req.plan).year_end
        await req.reply(
            req.t("deadline.cleared", number=number, deadline=full_date_text(req.lang, year_end))
        )
    else:
        await req.reply(
            req.t("deadline.set", number=number, deadline=full_date_text(req.lang, day))
        )


@coordinator
async def assign(req: Member) -> None:
    """/assign N UNIT…: pick members of the task's "relevant" collectives."""
    found = await _task(req, usage="assign.usage", fits=len(req.args) >= 2)
    if found is None:
        return
    number, task = found
    if not any(tu.unit.kind == "collective" and tu.unit.relevant for tu in task.units):
        await req.reply(req.t("assign.no_relevant", number=number))
        return
    names = [n for n in (re.sub(r"^[、,]+|[、,]+$", "", a) for a in req.args[1:]) if n][:30]
    done = await assign_units(req.session, task=task, names=names, by=req.contact, now=req.now())
    await req.session.commit()
    lines = [
        req.t(key, number=number, units=h("、".join(units)))
        for key, units in (
            ("assign.added", done.added),
            ("assign.already", done.already),
            ("assign.unknown", done.unknown),
            ("assign.not_member", done.not_member),
        )
        if units
    ]
    await req.reply("\n".join(lines))


@coordinator
async def period(req: Member) -> None:
    """/period: show the period in force; /period DAY: change the due day."""
    lang, plan = req.lang, req.plan
    if req.args:
        day = typed_number(req.args[0], max_digits=2)
        if day is None or not 1 <= day <= 31:
            await req.reply(req.t("period.bad_day", value=h(req.args[0][:10])))
            return
        await set_due_day(req.session, plan=plan, due_day=day, by=req.contact, now=req.now())
        await req.session.commit()
        due = full_date_text(lang, req.context.moment(plan).due)
        await req.reply(req.t("period.set", due_day=plan.due_day, due=due))
        return
    moment = req.context.moment(plan)
    span = moment.span
    await req.reply(
        req.t(
            "period.show",
            period=span.label(lang),
            start=date_text(lang, span.start),
            end=date_text(lang, span.end),
            due=full_date_text(lang, moment.due),
            due_day=plan.due_day,
        )
    )

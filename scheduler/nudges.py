"""What a tick sends: period nudges, contribution requests, deadline reminders, the digest.

Computed from the database at each tick, never kept in memory. Each nudge is claimed (a unique
key per unit, step and period) in the same transaction that queues its messages in the outbox,
so a restart, a slow tick or a second worker neither repeats nor skips one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import callback_data
from bot.buttons import task_rows
from bot.calendar.clock import PlanMoment, plan_moment
from bot.calendar.workdays import Calendar
from bot.delivery.queue import Button, queue_message
from bot.i18n import Lang, date_text, h, lang_of, t
from bot.settings import Settings
from bot.tasks_view import short_title
from data.models import Contact, Plan
from data.repo.contacts import liaisons_by_unit
from data.repo.nudges import claim, count_prefix, is_claimed
from data.repo.reports import coordinators, ensure_period
from data.repo.tasks import (
    distinct_deadlines,
    done_pairs,
    duties_of_units,
    live_tasks,
    reported_pairs,
)
from data.repo.units import units_by_ids
from scheduler.policy import (
    PeriodStep,
    deadline_days,
    due_today,
    may_send_now,
    missed,
    period_steps,
)

log = logging.getLogger("duban.nudges")

MAX_ITEMS = 25
MAX_BUTTONS = 20


@dataclass(frozen=True)
class Item:
    """One task a unit owes."""

    task_id: int
    number: int
    title: str
    unit_id: int
    unit: str
    role: str


@dataclass
class Planned:
    """A message a tick queues (or, in a dry run, would queue)."""

    kind: str
    step: str
    contact: Contact
    text: str
    items: list[Item] = field(default_factory=list)


@dataclass
class TickReport:
    """What a tick did."""

    planned: list[Planned] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _lang(contact: Contact) -> Lang:
    return lang_of(contact.language)


def _period_label(lang: Lang, moment: PlanMoment) -> str:
    return moment.span.label(lang)


def _render(lang: Lang, header: str, items: list[Item]) -> str:
    lines = [header, ""]
    for item in items[:MAX_ITEMS]:
        lines.append(
            t(
                lang,
                "nudge.item",
                number=item.number,
                title=h(item.title),
                unit=h(item.unit),
                role=t(lang, f"role.{item.role}"),
            )
        )
    if len(items) > MAX_ITEMS:
        lines.append(t(lang, "nudge.more", count=len(items) - MAX_ITEMS))
    lines += ["", t(lang, "nudge.footer")]
    return "\n".join(lines)


def _buttons(lang: Lang, items: list[Item], snooze: tuple[int, str] | None) -> list[list[Button]]:
    rows = task_rows(((i.task_id, i.unit_id, i.number) for i in items), limit=MAX_BUTTONS)
    if snooze is not None:
        rows.append([Button(t(lang, "button.snooze"), callback_data.snooze(*snooze))])
    return rows


async def _take(session: AsyncSession, key: str, kind: str, now: datetime, dry_run: bool) -> bool:
    if dry_run:
        return not await is_claimed(session, key=key)
    return await claim(session, key=key, kind=kind, now=now)


async def _send_per_liaison(
    session: AsyncSession,
    report: TickReport,
    *,
    owing: dict[int, list[Item]],
    key_of: str,
    kind: str,
    step: str,
    header: dict[Lang, str],
    snooze: tuple[int, str] | None,
    now: datetime,
    dry_run: bool,
) -> None:
    """Claim each owing unit, then send each of their liaisons one message listing it all."""
    claimed = [
        u for u in sorted(owing) if await _take(session, key_of.format(unit=u), kind, now, dry_run)
    ]
    liaisons = await liaisons_by_unit(session, unit_ids=claimed)
    per_contact: dict[int, tuple[Contact, list[Item]]] = {}
    for unit_id in claimed:
        for contact in liaisons.get(unit_id, []):
            per_contact.setdefault(contact.id, (contact, []))[1].extend(owing[unit_id])
    for contact, items in per_contact.values():
        items.sort(key=lambda i: (i.role != "lead", i.number, i.unit))
        lang = _lang(contact)
        text = _render(lang, header[lang].format(count=len(items)), items)
        planned = Planned(kind=kind, step=step, contact=contact, text=text, items=items)
        report.planned.append(planned)
        if dry_run:
            continue
        payload_ref = {"task_id": items[0].task_id, "unit_id": items[0].unit_id}
        await queue_message(
            session,
            chat_id=contact.chat_id,
            text=text,
            kind=kind,
            now=now,
            buttons=_buttons(lang, items, snooze),
            contact_id=contact.id,
            dedupe_key=f"{kind}:{key_of.format(unit='')}:c{contact.id}",
            ref=payload_ref if len({(i.task_id, i.unit_id) for i in items}) == 1 else None,
        )


def _headers(key: str, moment: PlanMoment, **values: object) -> dict[Lang, str]:
    # {count} is filled per message; the rest now.
    out: dict[Lang, str] = {}
    for lang in ("zh", "en"):
        text = t(
            lang,
            key,
            count="{count}",
            period=_period_label(lang, moment),
            due=date_text(lang, moment.due),
            **values,
        )
        out[lang] = text
    return out


async def _plan_tick(
    session: AsyncSession,
    report: TickReport,
    *,
    plan: Plan,
    moment: PlanMoment,
    settings: Settings,
    calendar: Calendar,
    now: datetime,
    dry_run: bool,
) -> None:
    span = moment.span
    period = await ensure_period(
        session, plan_id=plan.id, kind=span.kind, start=span.start, end=span.end, due=moment.due
    )
    schedule = period_steps(
        start=span.start, due=moment.due, calendar=calendar, warn=settings.warn_working_days
    )
    for gone in missed(schedule, moment.today):
        prefix = f"p{period.id}:{gone.step}:"
        if await _take(session, prefix + "closed", "closed", now, dry_run) and not (
            await count_prefix(session, prefix=prefix + "u")
        ):
            report.skipped.append(f"{plan.document} {span.label_en} {gone.step} ({gone.day})")
            log.warning(
                "nudge step %s of %s %s (%s) was missed while the bot was down; skipped",
                gone.step,
                plan.document,
                span.label_en,
                gone.day,
            )
    todays = due_today(schedule, moment.today)
    deadlines = await _deadline_items(session, plan=plan, moment=moment, calendar=calendar)
    if not todays and not deadlines:
        return

    duties = await duties_of_units(session, plan_id=plan.id, unit_ids=None)
    tasks = await live_tasks(session, plan_id=plan.id)
    reported = await reported_pairs(session, period_id=period.id)
    names = await units_by_ids(session, ids={d.unit_id for d in duties})

    def item(task_id: int, unit_id: int, role: str) -> Item:
        task = tasks[task_id]
        return Item(
            task_id, task.number, short_title(task.text), unit_id, names[unit_id].name, role
        )

    lead_owing: dict[int, list[Item]] = defaultdict(list)
    co_owing: dict[int, list[Item]] = defaultdict(list)
    for duty in duties:
        if (duty.task_id, duty.unit_id) in reported:
            continue
        bucket = lead_owing if duty.role == "lead" else co_owing
        bucket[duty.unit_id].append(item(duty.task_id, duty.unit_id, duty.role))

    for scheduled in todays:
        step = scheduled.step
        header_key = f"nudge.{step}"
        await _send_per_liaison(
            session,
            report,
            owing=dict(lead_owing),
            key_of=f"p{period.id}:{step}:u{{unit}}",
            kind="nudge",
            step=step,
            header=_headers(header_key, moment, days=settings.warn_working_days),
            snooze=(period.id, step),
            now=now,
            dry_run=dry_run,
        )
        if step == PeriodStep.OPEN:
            # Co-units are asked once a period for their contribution, never chased.
            await _send_per_liaison(
                session,
                report,
                owing=dict(co_owing),
                key_of=f"p{period.id}:co:u{{unit}}",
                kind="contribution",
                step=step,
                header=_headers("nudge.co", moment),
                snooze=None,
                now=now,
                dry_run=dry_run,
            )
        if step == PeriodStep.AFTER:
            await _digest(
                session,
                report,
                plan=plan,
                moment=moment,
                period_id=period.id,
                lead_owing=lead_owing,
                names={k: v.name for k, v in names.items()},
                settings=settings,
                now=now,
                dry_run=dry_run,
            )
    for (days, deadline), owing in deadlines.items():
        await _send_per_liaison(
            session,
            report,
            owing=owing,
            key_of=f"d{plan.id}:{deadline.isoformat()}:{days}:u{{unit}}",
            kind="deadline",
            step=f"deadline-{days}",
            header={
                lang: t(
                    lang,
                    "nudge.deadline",
                    count="{count}",
                    days=days,
                    deadline=date_text(lang, deadline),
                )
                for lang in ("zh", "en")
            },
            snooze=None,
            now=now,
            dry_run=dry_run,
        )


async def _deadline_items(
    session: AsyncSession, *, plan: Plan, moment: PlanMoment, calendar: Calendar
) -> dict[tuple[int, date], dict[int, list[Item]]]:
    """Lead units of tasks whose deadline reminder (30/7/1 days) falls today, not yet done."""
    # Few distinct deadlines exist (most tasks end with the year): check those, not each task.
    reminders: dict[date | None, list[int]] = {}
    for deadline in await distinct_deadlines(session, plan_id=plan.id):
        effective = deadline or moment.year_end
        hits = [
            n
            for n, day in deadline_days(deadline=effective, calendar=calendar)
            if day == moment.today
        ]
        if hits:
            reminders[deadline] = hits
    if not reminders:
        return {}
    tasks = await live_tasks(session, plan_id=plan.id)
    due: dict[int, list[int]] = defaultdict(list)  # days before -> task ids
    for task in tasks.values():
        for days in reminders.get(task.deadline, []):
            due[days].append(task.id)
    done = await done_pairs(session, plan_id=plan.id)
    duties = [
        d
        for d in await duties_of_units(session, plan_id=plan.id, unit_ids=None)
        if d.role == "lead"
    ]
    names = await units_by_ids(session, ids={d.unit_id for d in duties})
    out: dict[tuple[int, date], dict[int, list[Item]]] = {}
    for days, task_ids in due.items():
        wanted = set(task_ids)
        for duty in duties:
            if duty.task_id not in wanted or (duty.task_id, duty.unit_id) in done:
                continue
            task = tasks[duty.task_id]
            deadline = task.deadline or moment.year_end
            entry = out.setdefault((days, deadline), {}).setdefault(duty.unit_id, [])
            entry.append(
                Item(
                    task.id,
                    task.number,
                    short_title(task.text),
                    duty.unit_id,
                    names[duty.unit_id].name,
                    "lead",
                )
            )
    return out


async def _digest(
    session: AsyncSession,
    report: TickReport,
    *,
    plan: Plan,
    moment: PlanMoment,
    period_id: int,
    lead_owing: dict[int, list[Item]],
    names: dict[int, str],
    settings: Settings,
    now: datetime,
    dry_run: bool,
) -> None:
    """After the due day: coordinators get one list of the units still late."""
    if not await _take(session, f"p{period_id}:after:digest", "digest", now, dry_run):
        return
    reachable = await liaisons_by_unit(session, unit_ids=list(lead_owing))
    for coordinator in await coordinators(session, extra_ids=settings.coordinators):
        lang = _lang(coordinator)
        period = _period_label(lang, moment)
        if not lead_owing:
            text = t(lang, "digest.none", period=period)
        else:
            lines = [
                t(
                    lang,
                    "digest.header",
                    period=period,
                    due=date_text(lang, moment.due),
                    count=len(lead_owing),
                )
            ]
            ranked = sorted(lead_owing.items(), key=lambda kv: (-len(kv[1]), names[kv[0]]))
            lines += [
                t(lang, "digest.line", unit=h(names[u]), count=len(items))
                for u, items in ranked[:40]
            ]
            orphans = [names[u] for u in lead_owing if not reachable.get(u)]
            if orphans:
                lines += ["", t(lang, "digest.no_liaison", units=h("、".join(sorted(orphans))))]
            text = "\n".join(lines)
        report.planned.append(
            Planned(kind="digest", step=PeriodStep.AFTER, contact=coordinator, text=text)
        )
        if not dry_run:
            await queue_message(
                session,
                chat_id=coordinator.chat_id,
                text=text,
                kind="digest",
                now=now,
                contact_id=coordinator.id,
                dedupe_key=f"digest:p{period_id}:c{coordinator.id}",
            )


async def tick(
    sessions: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    calendar: Calendar,
    now: datetime,
    dry_run: bool = False,
) -> TickReport:
    """One tick of the clock: queue whatever is due now, in one transaction per plan."""
    report = TickReport()
    async with sessions() as session:
        plans = list((await session.scalars(select(Plan).where(Plan.closed_at.is_(None)))).all())
    for plan in plans:
        moment = plan_moment(plan, now=now, tz=settings.tz, calendar=calendar)
        if moment.today > moment.year_end:
            if not dry_run:
                async with sessions() as session:
                    stored = await session.get(Plan, plan.id)
                    if stored is not None and stored.closed_at is None:
                        stored.closed_at = now
                        await session.commit()
                        log.info("plan %s closed: its year is over", plan.document)
            continue
        if moment.today < moment.year_start:
            continue
        local = now.astimezone(settings.tz)
        if not may_send_now(
            local,
            calendar=calendar,
            nudge_time=settings.nudge_time,
            quiet_start=settings.quiet_hours_start,
            quiet_end=settings.quiet_hours_end,
        ):
            continue
        async with sessions() as session:
            await _plan_tick(
                session,
                report,
                plan=plan,
                moment=moment,
                settings=settings,
                calendar=calendar,
                now=now,
                dry_run=dry_run,
            )
            # A dry run leaves without committing: closing the session discards what
            # ensure_period wrote, and keeps the loaded contacts readable for the report.
            if not dry_run:
                await session.commit()
    return report

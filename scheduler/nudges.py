"""What a tick sends: period nudges, contribution requests, deadline reminders, the digest.

Computed from the database at each tick, never kept in memory, in a few set-based queries.
Each nudge is claimed (a unique key per unit, step and period) in the same transaction that
queues its messages in the outbox, so a restart, a slow tick or a second worker neither repeats
nor skips one. A step also gets a `…:done` key once handled, so the ticks after it (every
minute of a due day) cost a handful of reads, not a recomputation of who owes what.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from bot.calendar.clock import PlanMoment, plan_moment
from bot.calendar.workdays import Calendar, calendar_for
from bot.delivery.queue import ButtonRows, Outgoing, queue_messages
from bot.i18n import Lang, lang_of
from bot.offload import run_job
from bot.plan.lifecycle import close_finished, is_over
from bot.reporting import current_period
from bot.settings import Settings
from bot.tasks_view import short_title
from data.db import make_engine, make_sessionmaker
from data.models import Plan
from data.repo.contacts import Recipient, reachable_units, recipients_by_unit
from data.repo.coordinators import coordinators
from data.repo.nudges import claimed, take
from data.repo.plans import open_plans
from data.repo.tasks import (
    distinct_deadlines,
    done_pairs,
    reported_pairs,
)
from data.repo.units import unit_names
from scheduler.messages import (
    Batch,
    Digest,
    Due,
    Item,
    Planned,
    TickReport,
    digest_text,
    headers,
    nudge_buttons,
    plan_duties,
    render,
)
from scheduler.policy import (
    PeriodStep,
    deadline_days,
    due_today,
    held_now,
    missed,
    period_steps,
)
from scheduler.watch import watch

log = logging.getLogger("duban.nudges")

# Messages written between two chances for the loop to answer people.
YIELD_EVERY = 500


async def _plan_due(
    session: AsyncSession,
    report: TickReport,
    *,
    plan: Plan,
    moment: PlanMoment,
    settings: Settings,
    calendar: Calendar,
    now: datetime,
    dry_run: bool,
) -> Due:
    """The batches of one plan due now, with who owes what filled in; steps already handled
    (their done key claimed) are left out before anything is computed."""
    period = await current_period(session, plan=plan, moment=moment)
    schedule = period_steps(
        start=moment.opens, due=moment.due, calendar=calendar, warn=settings.warn_working_days
    )
    gone = {f"p{period.id}:{s.step}:closed": s for s in missed(schedule, moment.today)}
    if gone:
        already = await claimed(session, keys=gone)
        fresh = {key: s for key, s in gone.items() if key not in already}
        done = {f"p{period.id}:{s.step}:done" for s in fresh.values()}
        handled = await claimed(session, keys=done)
        for key in await take(
            session, keys=dict.fromkeys(fresh, "closed"), now=now, dry_run=dry_run
        ):
            gone_step = fresh[key]
            if f"p{period.id}:{gone_step.step}:done" in handled:
                continue
            what = f"{plan.document} {moment.span.label_en} {gone_step.step} ({gone_step.day})"
            report.skipped.append(what)
            log.warning("nudge step %s was missed while the bot was down; skipped", what)

    due = Due()
    for today in due_today(schedule, moment.today):
        step = str(today.step)
        scope = f"p{period.id}:{step}"
        due.batches.append(
            Batch(
                "nudge",
                step,
                scope,
                headers(f"nudge.{step}", moment, days=settings.warn_working_days),
                plan=plan.short_name,
                snooze=(period.id, step),
            )
        )
        if step == PeriodStep.OPEN:
            # Co-units are asked once a period for their contribution, never chased.
            header = headers("nudge.co", moment)
            co = Batch("contribution", step, f"p{period.id}:co", header, plan=plan.short_name)
            due.batches.append(co)
        if step == PeriodStep.AFTER:
            key = f"p{period.id}:after:digest"
            due.digests.append(Digest(key, period.id, plan.id, moment, {}, {}))
    reminders = await _deadline_batches(session, plan=plan, moment=moment, calendar=calendar)
    due.batches += reminders

    markers = {b.done_key for b in due.batches} | {d.key for d in due.digests}
    handled = await claimed(session, keys=markers)
    due.batches = [b for b in due.batches if b.done_key not in handled]
    due.digests = [d for d in due.digests if d.key not in handled]
    if not due.batches and not due.digests:
        return due
    await _fill_owing(session, due, plan=plan, period_id=period.id, reminders=reminders)
    return due


async def _deadline_batches(
    session: AsyncSession, *, plan: Plan, moment: PlanMoment, calendar: Calendar
) -> list[Batch]:
    """Deadline reminders (30/7/1 days before) falling today, one batch per deadline and
    offset; their owing units are filled in later with everything else."""
    out = []
    # Few distinct deadlines exist (most tasks end with the year): check those, not each task.
    for deadline in await distinct_deadlines(session, plan_id=plan.id):
        effective = deadline or moment.year_end
        for days, day in deadline_days(deadline=effective, calendar=calendar):
            if day == moment.today:
                scope = f"d{plan.id}:{effective.isoformat()}:{days}"
                header = headers("nudge.deadline", moment, days=days, deadline=effective)
                step = f"deadline-{days}"
                out.append(
                    Batch("deadline", step, scope, header, plan=plan.short_name, deadline=deadline)
                )
    return out


async def _fill_owing(
    session: AsyncSession, due: Due, *, plan: Plan, period_id: int, reminders: list[Batch]
) -> None:
    """Who owes what, from four queries for the whole plan."""
    duties, tasks = await plan_duties(session, plan_id=plan.id)
    reported = await reported_pairs(session, period_id=period_id)
    names = await unit_names(session, ids={d.unit_id for d in duties})
    titles: dict[int, str] = {}  # a task is owed by several units: its title cut once

    def item(task_id: int, unit_id: int, role: str) -> Item:
        task = tasks[task_id]
        if task_id not in titles:
            titles[task_id] = short_title(task.text)
        return Item(task_id, task.number, titles[task_id], unit_id, names[unit_id], role)

    lead_owing: dict[int, list[Item]] = defaultdict(list)
    co_owing: dict[int, list[Item]] = defaultdict(list)
    for count, duty in enumerate(duties, start=1):
        if (duty.task_id, duty.unit_id) not in reported:
            bucket = lead_owing if duty.role == "lead" else co_owing
            bucket[duty.unit_id].append(item(duty.task_id, duty.unit_id, duty.role))
        if not count % (YIELD_EVERY * 10):
            await asyncio.sleep(0)  # a city's duties run to tens of thousands
    for batch in due.batches:
        if batch.kind == "nudge":
            batch.owing = dict(lead_owing)
        elif batch.kind == "contribution":
            batch.owing = dict(co_owing)
    for digest in due.digests:
        digest.owing, digest.names = dict(lead_owing), names
    wanted = [b for b in reminders if b in due.batches]
    if not wanted:
        return
    done = await done_pairs(session, plan_id=plan.id)
    for batch in wanted:
        for duty in duties:
            task = tasks[duty.task_id]
            if (
                duty.role == "lead"
                and task.deadline == batch.deadline
                and ((duty.task_id, duty.unit_id) not in done)
            ):
                batch.owing.setdefault(duty.unit_id, []).append(
                    item(duty.task_id, duty.unit_id, "lead")
                )


async def _queue(
    session: AsyncSession,
    report: TickReport,
    due: Sequence[Due],
    *,
    settings: Settings,
    now: datetime,
    dry_run: bool,
) -> None:
    """Claim every owing unit of every batch at once, then queue, for each liaison and kind of
    nudge, one message listing all their units owe in every plan (each plan's part under its
    own period and due day), and the digests; all in the caller's transaction."""
    batches = [b for d in due for b in d.batches]
    digests = [g for d in due for g in d.digests]
    keys = {b.unit_key(u): b.kind for b in batches for u in b.owing}
    keys |= {b.done_key: "done" for b in batches} | {g.key: "digest" for g in digests}
    taken = await take(session, keys=keys, now=now, dry_run=dry_run)
    units = {u for b in batches for u in b.owing if b.unit_key(u) in taken}
    liaisons = await recipients_by_unit(session, unit_ids=units)
    # (person, kind) -> the person and the (batch, unit) pairs they answer for, batch by batch
    # (a batch is a plan's step).
    per_contact: dict[tuple[int, str], tuple[Recipient, list[tuple[int, int]]]] = {}
    for index, batch in enumerate(batches):
        for unit_id in sorted(batch.owing):
            if batch.unit_key(unit_id) in taken:
                for person in liaisons.get(unit_id, []):
                    entry = per_contact.setdefault((person.id, batch.kind), (person, []))
                    entry[1].append((index, unit_id))
    # Most liaisons serve one unit: its message (and the step and scopes of its key) is
    # written once for all of them, and the outbox encodes it once.
    written: dict[tuple[object, ...], tuple[Written, str, str]] = {}
    outgoing: list[Outgoing] = []
    for count, ((_person_id, kind), (person, pairs)) in enumerate(per_contact.items(), start=1):
        lang = lang_of(person.language)
        key = (lang, tuple(pairs))
        if key not in written:
            parts: dict[int, list[int]] = {}
            for index, unit_id in pairs:
                parts.setdefault(index, []).append(unit_id)
            message = _write(lang, [(batches[i], u) for i, u in parts.items()])
            scopes = "+".join(f"{batches[i].scope}:u" for i in parts)
            written[key] = (message, batches[pairs[0][0]].step, f"{kind}:{scopes}:c")
        (items, text, buttons, ref), step, dedupe = written[key]
        report.planned.append(Planned(kind, step, person, text, items))
        outgoing.append(
            Outgoing(
                chat_id=person.chat_id,
                text=text,
                kind=kind,
                buttons=buttons,
                contact_id=person.id,
                dedupe_key=f"{dedupe}{person.id}",
                ref=ref,
            )
        )
        if not count % YIELD_EVERY:
            await asyncio.sleep(0)  # let people's updates in between
    outgoing += await _digests(session, report, digests, taken=taken, settings=settings)
    if not dry_run:
        await queue_messages(session, outgoing, now=now)


# A nudge as written for everyone it goes to: its tasks, text, buttons, and the task (and
# unit) a reply is about when it names only one.
Written = tuple[list[Item], str, ButtonRows, dict[str, int] | None]


def _write(lang: Lang, parts: Sequence[tuple[Batch, list[int]]]) -> Written:
    """One person's nudge: each plan's part (its header, the tasks its units owe), the report
    buttons (naming the plan when there are several) and 稍后提醒."""
    sections = []
    for batch, unit_ids in parts:
        items = sorted(
            (item for u in unit_ids for item in batch.owing[u]),
            key=lambda i: (i.role != "lead", i.number, i.unit),
        )
        header = batch.header[lang].format(count=len(items))
        sections.append((batch.plan if len(parts) > 1 else None, header, items))
    every = [item for _plan, _header, items in sections for item in items]
    snooze = parts[0][0].snooze
    one = every[0]
    single = all(i.task_id == one.task_id and i.unit_id == one.unit_id for i in every)
    ref = {"task_id": one.task_id, "unit_id": one.unit_id} if single else None
    return every, render(lang, sections), nudge_buttons(lang, sections, snooze), ref


async def _digests(
    session: AsyncSession,
    report: TickReport,
    digests: Sequence[Digest],
    *,
    taken: set[str],
    settings: Settings,
) -> list[Outgoing]:
    """After the due day: each coordinator hears which lead units are still late."""
    wanted = [g for g in digests if g.key in taken]
    if not wanted:
        return []
    out = []
    for digest in wanted:  # a plan or two on a day
        people = await coordinators(
            session, extra_ids=settings.coordinators, plan_id=digest.plan_id
        )
        reachable = await reachable_units(session, unit_ids=digest.owing)
        orphans = [u for u in digest.owing if u not in reachable]
        for coordinator in people:
            lang = lang_of(coordinator.language)
            text = digest_text(lang, digest.moment, digest.owing, digest.names, orphans=orphans)
            report.planned.append(Planned("digest", PeriodStep.AFTER, coordinator, text))
            out.append(
                Outgoing(
                    chat_id=coordinator.chat_id,
                    text=text,
                    kind="digest",
                    contact_id=coordinator.id,
                    dedupe_key=f"digest:p{digest.period_id}:c{coordinator.id}",
                )
            )
    return out


async def tick(
    sessions: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    calendar: Calendar,
    now: datetime,
    dry_run: bool = False,
) -> TickReport:
    """One tick of the clock: close plans whose year is over, then queue whatever is due now;
    one transaction (a crash leaves either all of it or none)."""
    report = TickReport()
    local = now.astimezone(settings.tz)
    async with sessions() as session:
        plans = [
            (plan, plan_moment(plan, now=now, tz=settings.tz, calendar=calendar))
            for plan in await open_plans(session)
        ]
        if not dry_run:
            closed = await close_finished(
                session,
                plans=plans,
                calendar=calendar,
                coordinator_ids=settings.coordinators,
                now=now,
            )
            report.closed = [plan.document for plan in closed]
        running = [
            (plan, moment)
            for plan, moment in plans
            if not is_over(moment, calendar) and moment.today >= moment.year_start
        ]
        held = held_now(
            local,
            calendar=calendar,
            nudge_time=settings.nudge_time,
            quiet_start=settings.quiet_hours_start,
            quiet_end=settings.quiet_hours_end,
        )
        report.held = "no_plan" if not plans else "not_running" if not running else held
        if report.held is None:
            due = [
                await _plan_due(
                    session,
                    report,
                    plan=plan,
                    moment=moment,
                    settings=settings,
                    calendar=calendar,
                    now=now,
                    dry_run=dry_run,
                )
                for plan, moment in running
            ]
            await _queue(session, report, due, settings=settings, now=now, dry_run=dry_run)
            watched = await watch(
                session,
                report,
                running,
                settings=settings,
                calendar=calendar,
                now=now,
                dry_run=dry_run,
            )
            if watched and not dry_run:
                await queue_messages(session, watched, now=now)
        # A dry run leaves without committing: closing the session discards what
        # ensure_period wrote, and keeps the loaded contacts readable for the report.
        if not dry_run:
            await session.commit()
    return report


@functools.cache
def _worker_engine(url: str) -> AsyncEngine:
    """A worker process's engine, kept from tick to tick: SQLAlchemy caches compiled statements
    on the engine, and a new engine each minute compiled every statement of the tick again.
    No pool, so no connection outlives its tick (nor the event loop it was opened on)."""
    return make_engine(url, poolclass=NullPool)


def tick_in_worker(settings: Settings, now: datetime) -> int:
    """One tick in a worker process, on its own event loop, so that a due day's tens of
    thousands of nudges are worked out off the loop that answers people; returns how many
    messages it queued."""

    async def run() -> int:
        report = await tick(
            make_sessionmaker(_worker_engine(settings.database_url)),
            settings=settings,
            calendar=calendar_for(settings.calendar_file),
            now=now,
        )
        return len(report.planned)

    return run_job(run())

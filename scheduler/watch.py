"""What the clock watches besides nudges: each period's bulletin to coordinators
(scheduler/bulletins.py); 逐级督办: a unit's leaders hear when one of its tasks
stays red period after period, or when a 催办 goes unacknowledged; coordinators hear, days
before each due day, which units owe a report with nobody to receive a nudge.

Each is claimed like a nudge (a unique key in the tick's transaction), so it goes out once
however many ticks or workers see it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.calendar.workdays import Calendar
from bot.delivery.queue import Outgoing
from bot.i18n import date_text, h, lang_of, t
from bot.lights import DEFAULT_THRESHOLDS, Light, ReportStatus, judge_light
from bot.settings import Settings
from bot.tasks_view import short_title
from data.models import Period, Plan
from data.repo.chases import unanswered_chases
from data.repo.contacts import reachable_units
from data.repo.coordinators import coordinators
from data.repo.nudges import claimed
from data.repo.people import leaders_by_unit
from data.repo.periods import ensure_period, finished_periods, report_states
from data.repo.tasks import reported_pairs
from data.repo.units import unit_names
from scheduler.bulletins import due_bulletin
from scheduler.messages import TickContext, TickReport, plan_duties

MAX_LINES = 30
# Unacknowledged 催办 older than this are history, not news.
CHASE_HORIZON = timedelta(days=30)

Running = Sequence[tuple[Plan, PlanMoment]]


async def watch(
    session: AsyncSession,
    report: TickReport,
    running: Running,
    *,
    settings: Settings,
    calendar: Calendar,
    now: datetime,
    dry_run: bool = False,
) -> list[Outgoing]:
    """Everything watched at this tick, as messages for the outbox (the caller queues them
    in its transaction)."""
    tick = TickContext(session, report, settings, calendar, now, dry_run)
    out: list[Outgoing] = []
    for plan, moment in running:
        out += await due_bulletin(tick, plan, moment)
        if settings.leader_red_periods:
            out += await _red_streaks(tick, plan, moment)
        if settings.coverage_working_days:
            out += await _coverage(tick, plan, moment)
    if settings.leader_chase_working_days:
        today = running[0][1].today if running else now.astimezone(settings.tz).date()
        out += await _unanswered(tick, today)
    return out


def _red(
    moment: PlanMoment,
    period: Period,
    state: tuple[str, int | None] | None,
    deadline: date | None,
    calendar: Calendar,
) -> bool:
    """Whether a lead unit's share of a task was red once its period's due day had passed."""
    status, percent = state if state else (None, None)
    light = judge_light(
        today=period.due_date + timedelta(days=1),
        due=period.due_date,
        deadline=deadline,
        status=ReportStatus(status) if status else None,
        percent=percent,
        year_start=moment.year_start,
        year_end=moment.year_end,
        calendar=calendar,
        thresholds=DEFAULT_THRESHOLDS,
    ).light
    return light is Light.RED


def _consecutive(periods: Sequence[Period]) -> bool:
    """Whether stored periods (latest first) follow each other with no gap."""
    return all(
        later.start == earlier.end + timedelta(days=1) for later, earlier in pairwise(periods)
    )


async def _red_streaks(tick: TickContext, plan: Plan, moment: PlanMoment) -> list[Outgoing]:
    """After a period's due day: each unit's tasks red in it and the periods before it (as many
    as the setting says), to the unit's leaders, once per unit and period."""
    session, settings, calendar = tick.session, tick.settings, tick.calendar
    count = settings.leader_red_periods
    periods = await finished_periods(session, plan_id=plan.id, before=moment.today, count=count)
    if len(periods) < count or not _consecutive(periods):
        return []
    latest = periods[0]
    done = f"lr:p{latest.id}:done"
    if await claimed(session, keys=[done]):
        return []
    duties, tasks = await plan_duties(session, plan_id=plan.id)
    states = await report_states(session, period_ids=[p.id for p in periods])
    # A light depends on the period, the report's state and the deadline alone: a city's
    # 27,000 lead shares come to a few hundred distinct judgements, each made once.
    judged: dict[tuple[int, tuple[str, int | None] | None, date | None], bool] = {}

    def is_red(period: Period, task_id: int, unit_id: int, deadline: date | None) -> bool:
        state = states.get((period.id, task_id, unit_id))
        key = (period.id, state, deadline)
        if key not in judged:
            judged[key] = _red(moment, period, state, deadline, calendar)
        return judged[key]

    red: dict[int, list[int]] = defaultdict(list)
    for duty in duties:
        deadline = tasks[duty.task_id].deadline
        if duty.role == "lead" and all(
            is_red(p, duty.task_id, duty.unit_id, deadline) for p in periods
        ):
            red[duty.unit_id].append(duty.task_id)
    leaders = await leaders_by_unit(session, unit_ids=list(red))
    keys = {f"lr:p{latest.id}:u{u}": "leader" for u in red if leaders.get(u)}
    taken = await tick.take(keys | {done: "done"})
    names = await unit_names(session, ids=red)
    out = []
    for unit_id, task_ids in red.items():
        if f"lr:p{latest.id}:u{unit_id}" not in taken:
            continue
        for leader in leaders.get(unit_id, []):
            lang = lang_of(leader.language)
            header = t(
                lang,
                "leader.red_streak",
                unit=h(names[unit_id]),
                periods=count,
                plan=h(plan.short_name),
                count=len(task_ids),
            )
            lines = [header]
            lines += [
                f"🔴 {tasks[i].number}. {h(short_title(tasks[i].text))}"
                for i in sorted(task_ids, key=lambda i: tasks[i].number)[:MAX_LINES]
            ]
            text = "\n".join(lines)
            key = f"leader:red:p{latest.id}:u{unit_id}:c{leader.id}"
            out.append(tick.message(leader, "leader", text, key))
    return out


async def _unanswered(tick: TickContext, today: date) -> list[Outgoing]:
    """催办 nobody acknowledged for the set number of working days: the unit's leaders hear,
    once per 催办."""
    session, settings, calendar = tick.session, tick.settings, tick.calendar
    # Sent before this working day's start, a 催办 has had the set number of working days.
    last_day = calendar.add_working_days(today, -settings.leader_chase_working_days)
    before = datetime.combine(last_day, time(0), tzinfo=settings.tz)
    chases = await unanswered_chases(session, since=before - CHASE_HORIZON, before=before)
    if not chases:
        return []
    leaders = await leaders_by_unit(session, unit_ids={c.unit_id for c in chases})
    chases = [c for c in chases if leaders.get(c.unit_id)]
    taken = await tick.take({f"lc:{c.first_id}": "leader" for c in chases})
    names = await unit_names(session, ids=leaders)
    out = []
    for chase in chases:
        if f"lc:{chase.first_id}" not in taken:
            continue
        sent = chase.sent_at.astimezone(settings.tz).date()
        for leader in leaders[chase.unit_id]:
            lang = lang_of(leader.language)
            text = t(
                lang,
                "leader.unanswered",
                unit=h(names[chase.unit_id]),
                sent=date_text(lang, sent),
                days=settings.leader_chase_working_days,
            )
            key = f"leader:chase:{chase.first_id}:c{leader.id}"
            out.append(tick.message(leader, "leader", text, key))
    return out


async def _coverage(tick: TickContext, plan: Plan, moment: PlanMoment) -> list[Outgoing]:
    """From the set number of working days before the due day: the plan's coordinators hear
    once which units owe a report and have nobody reachable."""
    session, settings, calendar = tick.session, tick.settings, tick.calendar
    if not calendar.add_working_days(moment.due, -settings.coverage_working_days) <= moment.today:
        return []
    if moment.today > moment.due:
        return []
    span = moment.span
    period = await ensure_period(
        session, plan_id=plan.id, kind=span.kind, start=span.start, end=span.end, due=moment.due
    )
    key = f"cov:p{period.id}"
    if not await tick.take({key: "coverage"}):
        return []
    reported = await reported_pairs(session, period_id=period.id)
    owing = {
        d.unit_id
        for d in (await plan_duties(session, plan_id=plan.id))[0]
        if d.role == "lead" and (d.task_id, d.unit_id) not in reported
    }
    orphans = owing - await reachable_units(session, unit_ids=owing)
    if not orphans:
        return []
    names = sorted((await unit_names(session, ids=orphans)).values())
    out = []
    for person in await coordinators(session, extra_ids=settings.coordinators, plan_id=plan.id):
        lang = lang_of(person.language)
        text = t(
            lang,
            "coverage.warning",
            plan=h(plan.short_name),
            period=span.label(lang),
            due=date_text(lang, moment.due),
            days=calendar.working_days_between(moment.today, moment.due),
            count=len(names),
            units=h("、".join(names[:100])),
        )
        out.append(tick.message(person, "coverage", text, f"coverage:p{period.id}:c{person.id}"))
    return out

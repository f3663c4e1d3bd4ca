"""Reading a plan's ledger for the period in force: a few set-based queries, lights computed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.calendar.workdays import Calendar
from bot.ledger.model import Latest, Ledger, TargetRow, TaskRow, UnitRate
from bot.lights import Light, LightThresholds, ReportStatus, aggregate_light, judge_light
from bot.progress import Standing, elapsed_at, standings, with_targets
from bot.reporting import current_period
from bot.tasks_view import short_title, with_members
from data.models import Plan
from data.repo.ledger import (
    current_report_rows,
    lead_unit_ids,
    live_task_rows,
    task_unit_names,
    unit_rate_rows,
)
from data.repo.plans import section_titles
from data.repo.targets import latest_values, plan_targets
from data.repo.tasks import assigned_names

# A unit's light on a task, from the task's deadline and the unit's report (status, percent).
Judge = Callable[[date | None, str | None, int | None], Light]


async def lead_units(session: AsyncSession, *, plan_id: int) -> dict[int, list[int]]:
    """The units that owe each live task's report (lead units, collectives resolved)."""
    leads_of: dict[int, list[int]] = defaultdict(list)
    for task_id, unit_id in await lead_unit_ids(session, plan_id=plan_id):
        leads_of[task_id].append(unit_id)
    return leads_of


def light_judge(moment: PlanMoment, calendar: Calendar, thresholds: LightThresholds) -> Judge:
    """Lights at the moment, each (deadline, status, percent) judged once: a city's tens of
    thousands of duties share a few hundred of them."""

    @cache
    def light(deadline: date | None, status: str | None, percent: int | None) -> Light:
        return judge_light(
            today=moment.today,
            due=moment.due,
            deadline=deadline or moment.year_end,
            status=ReportStatus(status) if status else None,
            percent=percent,
            year_start=moment.year_start,
            year_end=moment.year_end,
            calendar=calendar,
            thresholds=thresholds,
        ).light

    return light


def unit_lights(
    reports: list[tuple[int, Any | None]],
    *,
    deadline: date | None,
    moment: PlanMoment,
    calendar: Calendar,
    thresholds: LightThresholds,
    judge: Judge | None = None,
) -> list[tuple[int, Light]]:
    """Each lead unit's light on a task, from its current report of the period (or none)."""
    judge = judge or light_judge(moment, calendar, thresholds)
    return [
        (unit_id, judge(deadline, r.status if r else None, r.percent if r else None))
        for unit_id, r in reports
    ]


async def read_ledger(
    session: AsyncSession,
    *,
    plan: Plan,
    moment: PlanMoment,
    calendar: Calendar,
    thresholds: LightThresholds,
    tz: tzinfo,
) -> Ledger:
    """The ledger of the period in force: each task's light (and each lead unit's) and latest
    lead report, and each lead unit's reporting rate."""
    period = await current_period(session, plan=plan, moment=moment)
    leads_of = await lead_units(session, plan_id=plan.id)
    names_of: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for task_id, name, role in await task_unit_names(session, plan_id=plan.id):
        names_of[task_id][0 if role == "lead" else 1].append(name)
    current = {
        (row.task_id, row.unit_id): row
        for row in await current_report_rows(session, plan_id=plan.id, period_id=period.id)
    }
    ledger = Ledger(
        plan_id=plan.id,
        document=plan.document,
        year=plan.year,
        short_name=plan.short_name,
        moment=moment,
        sections=await section_titles(session, plan_id=plan.id),
        period_id=period.id,
    )
    judged = await judged_targets(session, plan=plan, moment=moment, thresholds=thresholds)
    assigned = await assigned_names(session, plan_id=plan.id)
    judge = light_judge(moment, calendar, thresholds)
    rows = await live_task_rows(session, plan_id=plan.id)
    for task_id, number, text, deadline, section, leader in rows:
        mine = [(unit, current.get((task_id, unit))) for unit in leads_of.get(task_id, [])]
        units = unit_lights(
            mine,
            deadline=deadline,
            moment=moment,
            calendar=calendar,
            thresholds=thresholds,
            judge=judge,
        )
        targets = judged.get(task_id, [])
        # The worse of the reports and the targets (a task reported done stays done).
        light = with_targets(aggregate_light(unit_light for _unit, unit_light in units), targets)
        title = short_title(text)
        ledger.targets += [TargetRow(section, number, title, light, s) for s in targets]
        latest = max((r for _u, r in mine if r), key=lambda r: r.created_at, default=None)
        lead, co = (with_members(task_id, names, assigned) for names in names_of[task_id])
        shown = _latest(latest) if latest else None
        row = TaskRow(section, number, text, lead, co, light, shown, leader)
        row.task_id, row.units = task_id, units
        ledger.tasks.append(row)
    ledger.rates = await unit_rates(
        session, plan_id=plan.id, period_id=period.id, moment=moment, tz=tz
    )
    return ledger


async def judged_targets(
    session: AsyncSession, *, plan: Plan, moment: PlanMoment, thresholds: LightThresholds
) -> dict[int, list[Standing]]:
    """Each task's live targets with their latest values, judged at the moment."""
    targets = await plan_targets(session, plan_id=plan.id)
    values = await latest_values(session, target_ids=[f.id for fs in targets.values() for f in fs])
    elapsed = elapsed_at(moment)
    return {
        task_id: standings(facts, values, elapsed=elapsed, thresholds=thresholds)
        for task_id, facts in targets.items()
    }


def _latest(row: Any) -> Latest:
    return Latest(row.status, row.percent, row.text, row.created_at, row.full_name)


async def unit_rates(
    session: AsyncSession, *, plan_id: int, period_id: int, moment: PlanMoment, tz: tzinfo
) -> list[UnitRate]:
    """Each lead unit's tasks owed, reported and reported on time (first sent by the due day),
    counted in SQL, ranked by on-time rate, then reporting rate, then name."""
    # On time: first submitted on or before the due day on the plan's clock (07:00 in Nanjing
    # the day after is late, though still the due day in UTC, as times are stored).
    before = datetime.combine(moment.due + timedelta(days=1), time.min, tz)
    rows = await unit_rate_rows(
        session, plan_id=plan_id, period_id=period_id, on_time_before=before
    )
    rates = [
        UnitRate(
            unit=name,
            owed=owed,
            reported=reported,
            on_time=int(on_time),
            has_liaison=bool(linked),
            unit_id=unit_id,
        )
        for unit_id, name, owed, reported, on_time, linked in rows
    ]
    rates.sort(key=lambda r: (-(r.on_time / r.owed if r.owed else 1), -r.rate, r.unit))
    for index, rate in enumerate(rates, start=1):
        rate.rank = index
    return rates

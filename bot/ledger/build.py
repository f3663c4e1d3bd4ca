"""Reading a plan's ledger for the period in force: a few set-based queries, lights computed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.calendar.workdays import Calendar
from bot.ledger.model import Latest, Ledger, TargetRow, TaskRow, UnitRate
from bot.lights import Light, LightThresholds, ReportStatus, aggregate_light, judge_light
from bot.progress import Standing, elapsed_at, standings, with_targets
from bot.tasks_view import short_title, with_members
from data.models import Plan
from data.repo.ledger import (
    current_report_rows,
    live_task_rows,
    task_unit_names,
    unit_names,
    units_with_liaisons,
)
from data.repo.periods import ensure_period
from data.repo.plans import section_titles
from data.repo.targets import latest_values, plan_targets
from data.repo.tasks import assigned_names, duties_of_units


async def lead_units(session: AsyncSession, *, plan_id: int) -> dict[int, list[int]]:
    """The units that owe each live task's report (lead units, collectives resolved)."""
    leads_of: dict[int, list[int]] = defaultdict(list)
    for duty in await duties_of_units(session, plan_id=plan_id, unit_ids=None):
        if duty.role == "lead":
            leads_of[duty.task_id].append(duty.unit_id)
    return leads_of


def unit_lights(
    reports: list[tuple[int, Any | None]],
    *,
    deadline: date | None,
    moment: PlanMoment,
    calendar: Calendar,
    thresholds: LightThresholds,
) -> list[tuple[int, Light]]:
    """Each lead unit's light on a task, from its current report of the period (or none)."""
    return [
        (
            unit_id,
            judge_light(
                today=moment.today,
                due=moment.due,
                deadline=deadline or moment.year_end,
                status=ReportStatus(r.status) if r else None,
                percent=r.percent if r else None,
                year_start=moment.year_start,
                year_end=moment.year_end,
                calendar=calendar,
                thresholds=thresholds,
            ).light,
        )
        for unit_id, r in reports
    ]


async def read_ledger(
    session: AsyncSession,
    *,
    plan: Plan,
    moment: PlanMoment,
    calendar: Calendar,
    thresholds: LightThresholds,
) -> Ledger:
    """The ledger of the period in force: each task's light (and each lead unit's) and latest
    lead report, and each lead unit's reporting rate."""
    span = moment.span
    period = await ensure_period(
        session, plan_id=plan.id, kind=span.kind, start=span.start, end=span.end, due=moment.due
    )
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
    judged = await _targets(session, plan=plan, moment=moment, thresholds=thresholds)
    assigned = await assigned_names(session, plan_id=plan.id)
    rows = await live_task_rows(session, plan_id=plan.id)
    for task_id, number, text, deadline, section, leader in rows:
        mine = [(unit, current.get((task_id, unit))) for unit in leads_of.get(task_id, [])]
        units = unit_lights(
            mine, deadline=deadline, moment=moment, calendar=calendar, thresholds=thresholds
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
    ledger.rates = await _rates(session, leads_of=leads_of, current=current, moment=moment)
    return ledger


async def _targets(
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


async def _rates(
    session: AsyncSession,
    *,
    leads_of: dict[int, list[int]],
    current: dict[tuple[int, int], Any],
    moment: PlanMoment,
) -> list[UnitRate]:
    owed: dict[int, list[Any | None]] = defaultdict(list)
    for task_id, unit_ids in leads_of.items():
        for unit_id in unit_ids:
            owed[unit_id].append(current.get((task_id, unit_id)))
    names = await unit_names(session)
    linked = await units_with_liaisons(session)
    rates = []
    for unit_id, reports in owed.items():
        done = [r for r in reports if r is not None]
        on_time = [r for r in done if r.first_submitted_at.date() <= moment.due]
        rates.append(
            UnitRate(
                unit=names[unit_id],
                owed=len(reports),
                reported=len(done),
                on_time=len(on_time),
                has_liaison=unit_id in linked,
                unit_id=unit_id,
            )
        )
    rates.sort(key=lambda r: (-(r.on_time / r.owed if r.owed else 1), -r.rate, r.unit))
    for index, rate in enumerate(rates, start=1):
        rate.rank = index
    return rates

"""A plan's trend over its periods: the reporting rate and the red tasks, period by period.

Each finished period is seen as it stood once its reports were due (the day after its due
day), with the lights and the rate counted exactly as /status counts them; the period in force
is the ledger's own, so the trend's last point is /status's figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import closed_moment
from bot.calendar.periods import PeriodKind, PeriodSpan, periods_of_year
from bot.calendar.workdays import Calendar
from bot.ledger.build import lead_units, unit_lights
from bot.ledger.model import Ledger, overview
from bot.lights import Light, LightThresholds, aggregate_light
from data.models import Plan
from data.repo.ledger import current_report_rows, live_task_rows
from data.repo.periods import stored_periods


@dataclass(frozen=True)
class TrendPoint:
    """One period of the trend."""

    span: PeriodSpan
    done_units: int
    total_units: int
    red_tasks: int

    @property
    def percent(self) -> float:
        """The reporting rate in percent (as /status shows it)."""
        return 100 * self.done_units / self.total_units if self.total_units else 100.0


async def read_trend(
    session: AsyncSession,
    *,
    plan: Plan,
    ledger: Ledger,
    calendar: Calendar,
    thresholds: LightThresholds,
) -> list[TrendPoint]:
    """A point per period of the plan's year up to the one in force (one query a period)."""
    current = ledger.moment.span
    kind: PeriodKind = "quarter" if plan.period_kind == "quarter" else "month"
    spans = [s for s in periods_of_year(plan.year, kind) if s.start < current.start]
    stored = {p.start: p.id for p in await stored_periods(session, plan_id=plan.id)}
    leads_of = await lead_units(session, plan_id=plan.id)
    tasks = [
        (task_id, deadline)
        for task_id, _n, _t, deadline, _s, _leader in await live_task_rows(
            session, plan_id=plan.id
        )
    ]
    points = []
    for span in spans:
        moment = closed_moment(plan, span, calendar=calendar)
        period_id = stored.get(span.start)
        rows = (
            await current_report_rows(session, plan_id=plan.id, period_id=period_id)
            if period_id is not None
            else []
        )
        reports = {(row.task_id, row.unit_id): row for row in rows}
        red = 0
        for task_id, deadline in tasks:
            mine = [(unit, reports.get((task_id, unit))) for unit in leads_of.get(task_id, [])]
            lights = unit_lights(
                mine, deadline=deadline, moment=moment, calendar=calendar, thresholds=thresholds
            )
            red += aggregate_light(light for _unit, light in lights) is Light.RED
        owed: dict[int, bool] = {}
        for task_id, units in leads_of.items():
            for unit in units:
                owed[unit] = owed.get(unit, True) and (task_id, unit) in reports
        points.append(TrendPoint(span, sum(owed.values()), len(owed), red))
    now = overview(ledger)
    red_now = sum(1 for row in ledger.tasks if row.light is Light.RED)
    points.append(TrendPoint(current, now.done_units, now.total_units, red_now))
    return points

"""Where a plan stands on a given moment: today's local date, the period and its due day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.calendar.periods import (
    QUARTER_LAST_MONTH_OFFSET,
    PeriodKind,
    PeriodSpan,
    due_date,
    period_containing,
)
from bot.calendar.workdays import Calendar

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, timezone-aware (tests inject their own clock instead)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class PlanMoment:
    """A plan seen from one moment: the local day, the period in force and its due day."""

    today: date
    span: PeriodSpan
    due: date
    year_start: date
    year_end: date


class PlanRules(Protocol):
    """What a plan says about its clock (a stored Plan has these fields)."""

    year: int
    period_kind: str
    due_day: int


def plan_moment(plan: PlanRules, *, now: datetime, tz: ZoneInfo, calendar: Calendar) -> PlanMoment:
    """The plan's period and due day at a moment; outside the plan's year, its nearest period."""
    year, period_kind, due_day = plan.year, plan.period_kind, plan.due_day
    today = now.astimezone(tz).date()
    start, end = date(year, 1, 1), date(year, 12, 31)
    kind: PeriodKind = "quarter" if period_kind == "quarter" else "month"
    span = period_containing(min(max(today, start), end), kind)
    offset = QUARTER_LAST_MONTH_OFFSET if kind == "quarter" else 0
    due = due_date(span, due_day=due_day, due_month_offset=offset, calendar=calendar)
    return PlanMoment(today=today, span=span, due=due, year_start=start, year_end=end)

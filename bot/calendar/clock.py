"""Where a plan stands on a given moment: today's local date, the period and its due day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
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
    """A plan seen from one moment: the local day, the period in force, when its reports are
    taken (from `opens`) and due, and the plan's year."""

    today: date
    span: PeriodSpan
    due: date
    year_start: date
    year_end: date
    opens: date

    @property
    def last_day(self) -> date:
        """The last day the plan runs: its year's end, or its last period's due day when that
        falls later (a December report due in January)."""
        return max(self.year_end, self.last_due)

    @property
    def last_due(self) -> date:
        """The due day of the plan's last period (only known when that period is in force,
        else the year's end stands in)."""
        return self.due if self.span.end == self.year_end else self.year_end


class PlanRules(Protocol):
    """What a plan says about its clock (a stored Plan has these fields)."""

    year: int
    period_kind: str
    due_day: int
    due_month_offset: int


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def plan_moment(plan: PlanRules, *, now: datetime, tz: ZoneInfo, calendar: Calendar) -> PlanMoment:
    """The plan's period and due day at a moment; outside the plan's year, its nearest period.

    With reports due in a later month (`due_month_offset`, e.g. "by the 10th of the following
    month"), the period in force is the one whose reports are being taken: in July, June's.
    """
    year, kind_name, offset = plan.year, plan.period_kind, plan.due_month_offset
    today = now.astimezone(tz).date()
    start, end = date(year, 1, 1), date(year, 12, 31)
    kind: PeriodKind = "quarter" if kind_name == "quarter" else "month"
    reported = _months_back(today, offset) if offset else today
    span = period_containing(min(max(reported, start), end), kind)
    return _moment(plan, span, today=today, calendar=calendar)


def closed_moment(plan: PlanRules, span: PeriodSpan, *, calendar: Calendar) -> PlanMoment:
    """The plan seen when a period of its year is over: the day after its due day (or after
    its end, when that comes later), so that what was still owed then counts as late."""
    moment = _moment(plan, span, today=span.end, calendar=calendar)
    return replace(moment, today=max(span.end, moment.due + timedelta(days=1)))


def _moment(plan: PlanRules, span: PeriodSpan, *, today: date, calendar: Calendar) -> PlanMoment:
    offset = plan.due_month_offset
    base = QUARTER_LAST_MONTH_OFFSET if span.kind == "quarter" else 0
    due = due_date(span, due_day=plan.due_day, due_month_offset=base + offset, calendar=calendar)
    opens = _months_forward(span.start, offset)
    start, end = date(plan.year, 1, 1), date(plan.year, 12, 31)
    return PlanMoment(today=today, span=span, due=due, year_start=start, year_end=end, opens=opens)


def _months_forward(day: date, months: int) -> date:
    return _months_back(day, -months) if months else day


def bulletin_day(due: date, calendar: Calendar) -> date:
    """The day a period's bulletin (通报) goes out: the working day after its due day."""
    return calendar.next_working_day(due, inclusive=False)


def period_moment(
    plan: PlanRules, span: PeriodSpan, *, now: datetime, tz: ZoneInfo, calendar: Calendar
) -> PlanMoment:
    """The plan seen for one period: the period in force as at `now` (as /status sees it); an
    earlier one as on its bulletin day, the working day after its due day, so its bulletin
    reads the same whenever it is written."""
    current = plan_moment(plan, now=now, tz=tz, calendar=calendar)
    if span == current.span:
        return current
    offset = plan.due_month_offset
    base = QUARTER_LAST_MONTH_OFFSET if span.kind == "quarter" else 0
    due = due_date(span, due_day=plan.due_day, due_month_offset=base + offset, calendar=calendar)
    today = min(current.today, bulletin_day(due, calendar))
    return replace(
        current, today=today, span=span, due=due, opens=_months_forward(span.start, offset)
    )

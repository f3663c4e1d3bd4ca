"""Reporting periods (months or quarters) of a plan year and the due day of each period."""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal, cast, get_args

from bot.calendar.workdays import Calendar
from bot.i18n import Lang

__all__ = [
    "QUARTER_LAST_MONTH_OFFSET",
    "PeriodKind",
    "PeriodSpan",
    "due_date",
    "next_period",
    "parse_period",
    "period_containing",
    "periods_of_year",
    "previous_period",
]

PeriodKind = Literal["month", "quarter"]

# For ``due_date`` on quarters: "the due day of the quarter's last month" (e.g. 6月25日 for Q2).
QUARTER_LAST_MONTH_OFFSET = 2

_PERIODS_PER_YEAR: dict[PeriodKind, int] = {"month": 12, "quarter": 4}
_MONTHS_PER_PERIOD: dict[PeriodKind, int] = {"month": 1, "quarter": 3}
# Spelled out rather than strftime("%B"), which follows the process locale.
_MONTH_NAMES_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _check_kind(kind: str) -> PeriodKind:
    if kind not in get_args(PeriodKind):
        raise ValueError(f"period kind must be 'month' or 'quarter', not {kind!r}")
    return cast(PeriodKind, kind)


def _check_index(kind: PeriodKind, index: int) -> None:
    if not 1 <= index <= _PERIODS_PER_YEAR[kind]:
        raise ValueError(f"{kind} index must be 1..{_PERIODS_PER_YEAR[kind]}, not {index}")


def _last_day_of_month(year: int, month: int) -> int:
    return _stdlib_calendar.monthrange(year, month)[1]


def _bounds(kind: PeriodKind, year: int, index: int) -> tuple[date, date]:
    first_month = (index - 1) * _MONTHS_PER_PERIOD[kind] + 1
    last_month = first_month + _MONTHS_PER_PERIOD[kind] - 1
    return date(year, first_month, 1), date(year, last_month, _last_day_of_month(year, last_month))


@dataclass(frozen=True, slots=True)
class PeriodSpan:
    """One reporting period: month 1-12 or quarter 1-4 of a year, with its first and last day.

    Build one with ``PeriodSpan.of``; the constructor refuses a start or end that does not
    match the kind, year and index, so a span read back from storage cannot be inconsistent.
    """

    kind: PeriodKind
    year: int
    index: int
    start: date
    end: date

    def __post_init__(self) -> None:
        kind = _check_kind(self.kind)
        _check_index(kind, self.index)
        if (self.start, self.end) != _bounds(kind, self.year, self.index):
            raise ValueError(
                f"{kind} {self.year}/{self.index} runs {_bounds(kind, self.year, self.index)}, "
                f"not ({self.start}, {self.end})"
            )

    @classmethod
    def of(cls, kind: PeriodKind, year: int, index: int) -> PeriodSpan:
        """The ``index``-th (1-based) month or quarter of ``year``."""
        kind = _check_kind(kind)
        _check_index(kind, index)
        start, end = _bounds(kind, year, index)
        return cls(kind=kind, year=year, index=index, start=start, end=end)

    @property
    def first_month(self) -> int:
        """The calendar month (1-12) the period starts in."""
        return self.start.month

    @property
    def label_zh(self) -> str:
        """How a Chinese office names the period: ``2021年6月`` or ``2021年第2季度``."""
        if self.kind == "month":
            return f"{self.year}年{self.index}月"
        return f"{self.year}年第{self.index}季度"

    @property
    def label_en(self) -> str:
        """The English name of the period: ``June 2021`` or ``2021 Q2``."""
        if self.kind == "month":
            return f"{_MONTH_NAMES_EN[self.index - 1]} {self.year}"
        return f"{self.year} Q{self.index}"

    def label(self, lang: Lang) -> str:
        """The period's name in a language."""
        return self.label_zh if lang == "zh" else self.label_en

    def contains(self, d: date) -> bool:
        """Whether ``d`` falls inside the period."""
        return self.start <= d <= self.end


def period_containing(d: date, kind: PeriodKind) -> PeriodSpan:
    """The month or quarter that ``d`` falls in."""
    kind = _check_kind(kind)
    return PeriodSpan.of(kind, d.year, (d.month - 1) // _MONTHS_PER_PERIOD[kind] + 1)


def periods_of_year(year: int, kind: PeriodKind) -> list[PeriodSpan]:
    """All months or quarters of ``year``, in order."""
    kind = _check_kind(kind)
    return [PeriodSpan.of(kind, year, i) for i in range(1, _PERIODS_PER_YEAR[kind] + 1)]


def next_period(span: PeriodSpan) -> PeriodSpan:
    """The period right after ``span`` (December/Q4 roll over into the next year)."""
    if span.index == _PERIODS_PER_YEAR[span.kind]:
        return PeriodSpan.of(span.kind, span.year + 1, 1)
    return PeriodSpan.of(span.kind, span.year, span.index + 1)


def previous_period(span: PeriodSpan) -> PeriodSpan:
    """The period right before ``span`` (January/Q1 roll back into the previous year)."""
    if span.index == 1:
        return PeriodSpan.of(span.kind, span.year - 1, _PERIODS_PER_YEAR[span.kind])
    return PeriodSpan.of(span.kind, span.year, span.index - 1)


def due_date(
    span: PeriodSpan,
    *,
    due_day: int = 25,
    due_month_offset: int = 0,
    calendar: Calendar,
) -> date:
    """The day a period's report is due.

    The ``due_day`` of the period's first month moved on by ``due_month_offset`` months: for
    months offset 0 is the same month; for a quarter, 0 is its first month and
    ``QUARTER_LAST_MONTH_OFFSET`` its last, and an offset past the period (e.g. 3 for
    "the 10th of the month after the quarter", 季后10日内) is allowed. A day the month lacks
    is clamped to its last day (31 in June gives June 30). A non-working day moves to the
    previous working day, because a report due on a holiday is expected before it, not after;
    that may land in the month before (due day 1 of October 2021 is September 30).
    """
    if not 1 <= due_day <= 31:
        raise ValueError(f"due_day must be 1..31, not {due_day}")
    if due_month_offset < 0:
        raise ValueError(f"due_month_offset must not be negative, not {due_month_offset}")
    months = span.year * 12 + (span.first_month - 1) + due_month_offset
    year, month = divmod(months, 12)
    month += 1
    nominal = date(year, month, min(due_day, _last_day_of_month(year, month)))
    return calendar.previous_working_day(nominal, inclusive=True)


_PERIOD_TEXT = re.compile(
    r"^(?P<y>\d{4})\s*(?:[-/.年]\s*(?P<m>\d{1,2})\s*月?"
    r"|[-/ ]?[Qq](?P<q>[1-4])|年第(?P<cq>[1-4])季度)$"
)


def parse_period(text: str, kind: str) -> PeriodSpan:
    """A period as people write it (2026-06, 2026年6月, 2026-Q2) for a plan whose periods are
    of `kind`: a month of a quarterly plan means its quarter; a quarter of a monthly plan is
    refused (ValueError)."""
    match = _PERIOD_TEXT.match(text.strip())
    if match is None:
        raise ValueError(f"not a period: {text!r} (write 2026-06 or 2026-Q2)")
    year, kind = int(match.group("y")), _check_kind(kind)
    quarter = match.group("q") or match.group("cq")
    if quarter:
        if kind == "month":
            raise ValueError(f"{text!r} is a quarter; this plan reports by month (write 2026-06)")
        return PeriodSpan.of("quarter", year, int(quarter))
    month = int(match.group("m"))
    if not 1 <= month <= 12:
        raise ValueError(f"not a month: {text!r}")
    return period_containing(date(year, month, 1), kind)

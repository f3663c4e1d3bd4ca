"""Working-day arithmetic: Chinese statutory holidays and make-up days, or plain Mon-Fri."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from datetime import date
from typing import Protocol

import chinese_calendar

logger = logging.getLogger("duban.workdays")

__all__ = ["Calendar", "WeekdayCalendar", "WorkCalendar"]


class Calendar(Protocol):
    """What the domain rules need from a working-day calendar."""

    def is_working_day(self, d: date) -> bool:
        """Whether offices work on ``d``."""
        ...

    def previous_working_day(self, d: date, *, inclusive: bool = True) -> date:
        """The last working day on or before ``d`` (strictly before if not inclusive)."""
        ...

    def next_working_day(self, d: date, *, inclusive: bool = True) -> date:
        """The first working day on or after ``d`` (strictly after if not inclusive)."""
        ...

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it when ``n`` is negative)."""
        ...

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in ``(start, end]``; 0 when ``end <= start``."""
        ...


class _YearTableCalendar(ABC):
    """Shared arithmetic over one sorted table of working-day ordinals per year.

    A plan asks about the same few hundred days thousands of times (every task, every unit,
    every tick), so each year is resolved once and then answered by set lookups and bisection.
    """

    def __init__(self) -> None:
        self._tables: dict[int, tuple[int, ...]] = {}
        self._sets: dict[int, frozenset[int]] = {}

    @abstractmethod
    def _working_days_of_year(self, year: int) -> list[date]:
        """Every working day of ``year``; called once per year per instance."""

    def _table(self, year: int) -> tuple[int, ...]:
        table = self._tables.get(year)
        if table is None:
            table = tuple(sorted(d.toordinal() for d in self._working_days_of_year(year)))
            if not table:
                # The year-by-year walks in add_working_days would never end on an empty year.
                raise ValueError(f"calendar has no working day in {year}")
            self._tables[year] = table
            self._sets[year] = frozenset(table)
        return table

    def is_working_day(self, d: date) -> bool:
        """Whether offices work on ``d``."""
        if d.year not in self._sets:
            self._table(d.year)
        return d.toordinal() in self._sets[d.year]

    def previous_working_day(self, d: date, *, inclusive: bool = True) -> date:
        """The last working day on or before ``d`` (strictly before if not inclusive)."""
        if inclusive and self.is_working_day(d):
            return _as_date(d)
        return self.add_working_days(d, -1)

    def next_working_day(self, d: date, *, inclusive: bool = True) -> date:
        """The first working day on or after ``d`` (strictly after if not inclusive)."""
        if inclusive and self.is_working_day(d):
            return _as_date(d)
        return self.add_working_days(d, 1)

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it when ``n`` is negative).

        ``d`` itself never counts, so ``add_working_days(d, 1)`` is the next working day even
        when ``d`` is one, and ``working_days_between(d, add_working_days(d, n)) == n``.
        ``n == 0`` returns ``d`` unchanged, working day or not.
        """
        if n == 0:
            return _as_date(d)
        year = d.year
        table = self._table(year)
        ordinal = d.toordinal()
        if n > 0:
            index = bisect_right(table, ordinal) + n - 1
            while index >= len(table):
                index -= len(table)
                year += 1
                table = self._table(year)
        else:
            index = bisect_left(table, ordinal) + n
            while index < 0:
                year -= 1
                table = self._table(year)
                index += len(table)
        return date.fromordinal(table[index])

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in ``(start, end]``; 0 when ``end <= start``."""
        low, high = start.toordinal(), end.toordinal()
        if high <= low:
            return 0
        count = 0
        for year in range(start.year, end.year + 1):
            table = self._table(year)
            count += bisect_right(table, high) - bisect_right(table, low)
        return count


def _as_date(d: date) -> date:
    # A datetime is a date too; hand back a plain date so callers can compare results freely.
    return date(d.year, d.month, d.day)


def _days_of_year(year: int) -> list[date]:
    first = date(year, 1, 1).toordinal()
    last = date(year, 12, 31).toordinal()
    return [date.fromordinal(o) for o in range(first, last + 1)]


def _weekdays_of_year(year: int) -> list[date]:
    return [d for d in _days_of_year(year) if d.weekday() < 5]


class WeekdayCalendar(_YearTableCalendar):
    """Monday to Friday are working days, nothing else: for tests and for places without
    a holiday calendar."""

    def _working_days_of_year(self, year: int) -> list[date]:
        return _weekdays_of_year(year)


class WorkCalendar(_YearTableCalendar):
    """China's official working days from the ``chinese_calendar`` package.

    Statutory holidays are days off even on weekdays, and make-up working days (调休上班,
    e.g. Sunday 2021-02-07) are working days even on weekends. The package only knows the
    years the State Council has published; for any other year this falls back to Monday to
    Friday and logs one warning per year, so a plan run in an unpublished year keeps working
    and the operator learns to upgrade the package. Share one instance: the cache and the
    once-per-year warning live on it.
    """

    def _working_days_of_year(self, year: int) -> list[date]:
        days = _days_of_year(year)
        try:
            return [d for d in days if chinese_calendar.is_workday(d)]
        except NotImplementedError:
            # Only reached once per year per instance, since the table is cached afterwards.
            logger.warning(
                "the chinese_calendar package does not cover %d; "
                "using Monday to Friday as working days for that year (no holidays)",
                year,
            )
            return _weekdays_of_year(year)

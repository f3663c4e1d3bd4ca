"""Working-day arithmetic: Chinese statutory holidays and make-up days, or plain Mon-Fri."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import chinese_calendar
import yaml

logger = logging.getLogger("duban.workdays")

__all__ = [
    "Calendar",
    "CalendarFileError",
    "WeekdayCalendar",
    "WorkCalendar",
    "YearDays",
    "calendar_for",
    "load_calendar_file",
]


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


@dataclass(frozen=True)
class YearDays:
    """One year's exceptions to Monday-Friday, as the State Council's notice lists them."""

    days_off: frozenset[date]
    working_days: frozenset[date]

    def working_days_of(self, year: int) -> list[date]:
        """Monday to Friday less the days off, plus the make-up working days."""
        return [
            d
            for d in _days_of_year(year)
            if (d.weekday() < 5 and d not in self.days_off) or d in self.working_days
        ]


class CalendarFileError(ValueError):
    """The calendar file cannot be used; the message names the file and the entry."""


class WorkCalendar(_YearTableCalendar):
    """China's official working days from the ``chinese_calendar`` package.

    Statutory holidays are days off even on weekdays, and make-up working days (调休上班,
    e.g. Sunday 2021-02-07) are working days even on weekends. The package only knows the
    years the State Council has published (it is updated soon after each notice); for a year
    given in `years` (DUBAN_CALENDAR_FILE) those days are used instead, so an operator can enter
    a new notice before the package has it. For any other year this falls back to Monday to
    Friday and logs one warning per year, so a plan run in an unpublished year keeps working
    and the operator learns to upgrade the package or fill in the file. Share one instance:
    the cache and the once-per-year warning live on it.
    """

    def __init__(self, years: Mapping[int, YearDays] | None = None) -> None:
        super().__init__()
        self._years = dict(years or {})

    def _working_days_of_year(self, year: int) -> list[date]:
        given = self._years.get(year)
        if given is not None:
            return given.working_days_of(year)
        days = _days_of_year(year)
        try:
            return [d for d in days if chinese_calendar.is_workday(d)]
        except NotImplementedError:
            # Only reached once per year per instance, since the table is cached afterwards.
            logger.warning(
                "the chinese_calendar package does not cover %d; "
                "using Monday to Friday as working days for that year (no holidays); "
                "upgrade chinese-calendar or enter the year in DUBAN_CALENDAR_FILE",
                year,
            )
            return _weekdays_of_year(year)


class _RepeatedKeyError(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


class _TextDatesLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so that a bad one is reported precisely here, and
    refuses a key given twice (plain YAML keeps the last one and drops the first silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise _RepeatedKeyError(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def calendar_for(path: Path | None) -> WorkCalendar:
    """The working-day calendar: the package, and the years of the calendar file if one is set."""
    return WorkCalendar(load_calendar_file(path) if path is not None else None)


def load_calendar_file(path: Path) -> dict[int, YearDays]:
    """Read a calendar file: per year, the days off and the make-up working days.

    ```yaml
    2027:
      days_off: [2027-01-01, 2027-02-06..2027-02-13]
      working_days: [2027-02-14]
    ```
    Dates are ISO dates or ranges `FIRST..LAST` (both included), inside their year.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except OSError as exc:
        raise CalendarFileError(f"{path}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise CalendarFileError(f"{path}: not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise CalendarFileError(f"{path}: {where}not valid YAML") from exc
    except _RepeatedKeyError as exc:
        raise CalendarFileError(f"{path}: line {exc.line}: {exc.key} is given twice") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CalendarFileError(f"{path}: expected years (2027:) at the top level")
    years: dict[int, YearDays] = {}
    for raw_key, entry in data.items():
        key = int(raw_key) if isinstance(raw_key, str) and raw_key.isdigit() else raw_key
        if not isinstance(key, int) or not 2000 <= key <= 2100:
            raise CalendarFileError(f"{path}: {raw_key!r} is not a year")
        if key in years:
            raise CalendarFileError(f"{path}: {key} is given twice")
        if not isinstance(entry, dict) or not set(entry) <= {"days_off", "working_days"}:
            raise CalendarFileError(f"{path}: {key}: expected days_off and working_days lists")
        off = _dates(path, key, "days_off", entry.get("days_off") or [])
        work = _dates(path, key, "working_days", entry.get("working_days") or [])
        if both := off & work:
            raise CalendarFileError(
                f"{path}: {key}: {min(both).isoformat()} is both a day off and a working day"
            )
        given = YearDays(days_off=frozenset(off), working_days=frozenset(work))
        if not given.working_days_of(key):
            raise CalendarFileError(f"{path}: {key}: no working day is left in the year")
        years[key] = given
    return years


def _dates(path: Path, year: int, field: str, values: object) -> set[date]:
    if not isinstance(values, list):
        raise CalendarFileError(f"{path}: {year}.{field}: expected a list of dates")
    out: set[date] = set()
    for value in values:
        text = value.isoformat() if isinstance(value, date) else str(value)
        first_text, _, last_text = text.partition("..")
        try:
            first = date.fromisoformat(first_text.strip())
            last = date.fromisoformat(last_text.strip()) if last_text else first
        except ValueError as exc:
            raise CalendarFileError(
                f"{path}: {year}.{field}: {text!r} is not a date (YYYY-MM-DD) or range"
            ) from exc
        if first.year != year or last.year != year or last < first:
            raise CalendarFileError(f"{path}: {year}.{field}: {text!r} is not within {year}")
        out.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return out

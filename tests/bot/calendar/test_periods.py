"""Tests for reporting periods, their labels and due days on the real Chinese calendar."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import pytest

from bot.calendar.periods import (
    QUARTER_LAST_MONTH_OFFSET,
    PeriodKind,
    PeriodSpan,
    due_date,
    next_period,
    period_containing,
    periods_of_year,
    previous_period,
)
from bot.calendar.workdays import WeekdayCalendar, WorkCalendar

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    ("day", "kind", "index", "start", "end"),
    [
        ("2021-01-01", "month", 1, "2021-01-01", "2021-01-31"),
        ("2021-02-28", "month", 2, "2021-02-01", "2021-02-28"),
        ("2024-02-29", "month", 2, "2024-02-01", "2024-02-29"),  # leap year
        ("2021-06-15", "month", 6, "2021-06-01", "2021-06-30"),
        ("2021-12-31", "month", 12, "2021-12-01", "2021-12-31"),
        ("2021-01-01", "quarter", 1, "2021-01-01", "2021-03-31"),
        ("2021-03-31", "quarter", 1, "2021-01-01", "2021-03-31"),
        ("2021-04-01", "quarter", 2, "2021-04-01", "2021-06-30"),
        ("2021-06-30", "quarter", 2, "2021-04-01", "2021-06-30"),
        ("2021-08-15", "quarter", 3, "2021-07-01", "2021-09-30"),
        ("2021-12-31", "quarter", 4, "2021-10-01", "2021-12-31"),
    ],
)
def test_period_containing(day: str, kind: PeriodKind, index: int, start: str, end: str) -> None:
    span = period_containing(D(day), kind)
    assert (span.kind, span.year, span.index) == (kind, D(day).year, index)
    assert (span.start, span.end) == (D(start), D(end))
    assert span.contains(D(day))


@pytest.mark.parametrize(
    ("kind", "year", "index", "zh", "en"),
    [
        ("month", 2021, 1, "2021年1月", "January 2021"),
        ("month", 2021, 6, "2021年6月", "June 2021"),
        ("month", 2021, 12, "2021年12月", "December 2021"),
        ("quarter", 2021, 1, "2021年第1季度", "2021 Q1"),
        ("quarter", 2021, 2, "2021年第2季度", "2021 Q2"),
        ("quarter", 2025, 4, "2025年第4季度", "2025 Q4"),
    ],
)
def test_labels(kind: PeriodKind, year: int, index: int, zh: str, en: str) -> None:
    span = PeriodSpan.of(kind, year, index)
    assert span.label_zh == zh
    assert span.label_en == en


@pytest.mark.parametrize(("kind", "count"), [("month", 12), ("quarter", 4)])
def test_periods_of_year_tile_the_year(kind: PeriodKind, count: int) -> None:
    spans = periods_of_year(2024, kind)
    assert [s.index for s in spans] == list(range(1, count + 1))
    assert spans[0].start == D("2024-01-01")
    assert spans[-1].end == D("2024-12-31")
    for before, after in itertools.pairwise(spans):
        assert (after.start - before.end).days == 1
    assert sum((s.end - s.start).days + 1 for s in spans) == 366


@pytest.mark.parametrize(
    ("kind", "year", "index", "next_year", "next_index"),
    [
        ("month", 2021, 1, 2021, 2),
        ("month", 2021, 11, 2021, 12),
        ("month", 2021, 12, 2022, 1),
        ("quarter", 2021, 3, 2021, 4),
        ("quarter", 2021, 4, 2022, 1),
    ],
)
def test_next_and_previous_period(
    kind: PeriodKind, year: int, index: int, next_year: int, next_index: int
) -> None:
    span = PeriodSpan.of(kind, year, index)
    following = next_period(span)
    assert following == PeriodSpan.of(kind, next_year, next_index)
    assert following.start == date.fromordinal(span.end.toordinal() + 1)
    assert previous_period(following) == span


def test_spans_are_frozen_and_hashable() -> None:
    span = PeriodSpan.of("month", 2021, 6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.index = 7  # type: ignore[misc]
    assert {span, PeriodSpan.of("month", 2021, 6)} == {span}


@pytest.mark.parametrize(
    ("kind", "year", "index", "start", "end"),
    [
        ("month", 2021, 0, "2021-01-01", "2021-01-31"),
        ("month", 2021, 13, "2021-12-01", "2021-12-31"),
        ("quarter", 2021, 5, "2021-10-01", "2021-12-31"),
        ("month", 2021, 6, "2021-06-01", "2021-06-29"),  # end does not match
        ("quarter", 2021, 2, "2021-04-01", "2021-04-30"),  # a month passed off as a quarter
        ("week", 2021, 1, "2021-01-01", "2021-01-07"),
    ],
)
def test_inconsistent_spans_are_refused(
    kind: str, year: int, index: int, start: str, end: str
) -> None:
    with pytest.raises(ValueError):
        PeriodSpan(kind, year, index, D(start), D(end))  # type: ignore[arg-type]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        period_containing(D("2021-06-01"), "week")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        periods_of_year(2021, "year")  # type: ignore[arg-type]


# Every month of 2021 with the default 25th, on the real calendar.
@pytest.mark.parametrize(
    ("month", "due"),
    [
        (1, "2021-01-25"),
        (2, "2021-02-25"),
        (3, "2021-03-25"),
        (4, "2021-04-25"),  # a Sunday, but a make-up working day: stays
        (5, "2021-05-25"),
        (6, "2021-06-25"),  # Friday
        (7, "2021-07-23"),  # Sunday 25th -> Friday
        (8, "2021-08-25"),
        (9, "2021-09-24"),  # Saturday 25th -> Friday
        (10, "2021-10-25"),
        (11, "2021-11-25"),
        (12, "2021-12-24"),  # Saturday 25th -> Friday
    ],
)
def test_monthly_due_dates_2021(cal: WorkCalendar, month: int, due: str) -> None:
    assert due_date(PeriodSpan.of("month", 2021, month), calendar=cal) == D(due)


@pytest.mark.parametrize(
    ("year", "month", "due"),
    [
        (2024, 2, "2024-02-23"),  # Sunday 25th -> Friday
        (2024, 5, "2024-05-24"),  # Saturday 25th -> Friday
        (2024, 8, "2024-08-23"),
        (2024, 12, "2024-12-25"),
        (2025, 1, "2025-01-24"),  # Saturday 25th; the make-up day is the 26th, after it
        (2025, 5, "2025-05-23"),
        (2025, 10, "2025-10-24"),
    ],
)
def test_monthly_due_dates_2024_2025(cal: WorkCalendar, year: int, month: int, due: str) -> None:
    assert due_date(PeriodSpan.of("month", year, month), calendar=cal) == D(due)


@pytest.mark.parametrize(
    ("year", "month", "due_day", "due"),
    [
        (2021, 6, 31, "2021-06-30"),  # clamped to June's last day, a Wednesday
        (2021, 2, 31, "2021-02-26"),  # clamped to Sunday the 28th -> Friday
        (2021, 2, 29, "2021-02-26"),
        (2024, 2, 31, "2024-02-29"),  # leap year, a Thursday
        (2021, 4, 31, "2021-04-30"),
        (2021, 10, 1, "2021-09-30"),  # National Day: back into September
        (2021, 10, 7, "2021-09-30"),
        (2021, 2, 15, "2021-02-10"),  # over the whole Spring Festival week
        (2025, 10, 8, "2025-09-30"),  # the eighth day of the 2025 holiday
        (2021, 9, 19, "2021-09-18"),  # Mid-Autumn -> the make-up Saturday before it
        (2021, 1, 1, "2020-12-31"),  # New Year's Day -> the year before
    ],
)
def test_due_day_is_clamped_then_moved_to_previous_working_day(
    cal: WorkCalendar, year: int, month: int, due_day: int, due: str
) -> None:
    span = PeriodSpan.of("month", year, month)
    assert due_date(span, due_day=due_day, calendar=cal) == D(due)


@pytest.mark.parametrize(
    ("index", "due_day", "offset", "due"),
    [
        # "the 20th of the quarter's first month"
        (1, 20, 0, "2021-01-20"),
        (2, 20, 0, "2021-04-20"),
        (4, 20, 0, "2021-10-20"),
        # "the 25th of the quarter's last month"
        (1, 25, QUARTER_LAST_MONTH_OFFSET, "2021-03-25"),
        (2, 25, QUARTER_LAST_MONTH_OFFSET, "2021-06-25"),
        (3, 25, QUARTER_LAST_MONTH_OFFSET, "2021-09-24"),
        (4, 25, QUARTER_LAST_MONTH_OFFSET, "2021-12-24"),
        # "by the 10th of the month after the quarter" (季后10日内), into the next year for Q4
        (3, 10, 3, "2021-10-09"),  # Sunday 10th -> the make-up Saturday after National Day
        (4, 10, 3, "2022-01-10"),
        # the default offset on a quarter is its first month
        (2, 25, 0, "2021-04-25"),
    ],
)
def test_quarterly_due_dates(
    cal: WorkCalendar, index: int, due_day: int, offset: int, due: str
) -> None:
    span = PeriodSpan.of("quarter", 2021, index)
    assert due_date(span, due_day=due_day, due_month_offset=offset, calendar=cal) == D(due)


def test_due_date_uses_the_given_calendar() -> None:
    # On plain weekdays the 2021-04-25 make-up Sunday is just a Sunday.
    span = PeriodSpan.of("month", 2021, 4)
    assert due_date(span, calendar=WeekdayCalendar()) == D("2021-04-23")
    assert due_date(span, calendar=WorkCalendar()) == D("2021-04-25")


@pytest.mark.parametrize(("due_day", "offset"), [(0, 0), (32, 0), (-1, 0), (25, -1)])
def test_due_date_rejects_nonsense(cal: WorkCalendar, due_day: int, offset: int) -> None:
    with pytest.raises(ValueError):
        due_date(
            PeriodSpan.of("month", 2021, 6), due_day=due_day, due_month_offset=offset, calendar=cal
        )

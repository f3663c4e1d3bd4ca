"""Tests for the working-day calendars against real Chinese holidays of 2021, 2024 and 2025."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest

from bot.calendar.workdays import Calendar, WeekdayCalendar, WorkCalendar

D = date.fromisoformat


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        ("2021-01-01", False, "New Year's Day, a Friday"),
        ("2021-01-04", True, "plain Monday"),
        ("2021-02-07", True, "Sunday make-up working day before Spring Festival"),
        ("2021-02-11", False, "Spring Festival eve, a Thursday"),
        ("2021-02-17", False, "last day of the Spring Festival holiday, a Wednesday"),
        ("2021-02-20", True, "Saturday make-up working day after Spring Festival"),
        ("2021-04-25", True, "Sunday make-up working day before Labour Day"),
        ("2021-05-04", False, "Labour Day holiday, a Tuesday"),
        ("2021-05-08", True, "Saturday make-up working day"),
        ("2021-06-14", False, "Dragon Boat Festival, a Monday"),
        ("2021-06-25", True, "plain Friday"),
        ("2021-07-25", False, "plain Sunday"),
        ("2021-09-18", True, "Saturday make-up working day before Mid-Autumn"),
        ("2021-09-20", False, "Mid-Autumn holiday, a Monday"),
        ("2021-09-25", False, "plain Saturday"),
        ("2021-09-26", True, "Sunday make-up working day before National Day"),
        ("2021-10-01", False, "National Day, a Friday"),
        ("2021-10-07", False, "last day of the National Day holiday, a Thursday"),
        ("2021-10-08", True, "Friday after National Day"),
        ("2021-10-09", True, "Saturday make-up working day after National Day"),
        ("2021-12-25", False, "plain Saturday"),
        ("2024-02-04", True, "Sunday make-up working day"),
        ("2024-02-16", False, "Spring Festival holiday, a Friday"),
        ("2024-04-28", True, "Sunday make-up working day"),
        ("2024-05-11", True, "Saturday make-up working day"),
        ("2024-09-29", True, "Sunday make-up working day"),
        ("2024-10-07", False, "National Day holiday, a Monday"),
        ("2024-10-12", True, "Saturday make-up working day"),
        ("2025-01-26", True, "Sunday make-up working day"),
        ("2025-01-28", False, "Spring Festival eve, a Tuesday"),
        ("2025-02-08", True, "Saturday make-up working day"),
        ("2025-04-27", True, "Sunday make-up working day"),
        ("2025-06-02", False, "Dragon Boat Festival holiday, a Monday"),
        ("2025-09-28", True, "Sunday make-up working day"),
        ("2025-10-08", False, "eighth day of the 2025 National Day holiday, a Wednesday"),
        ("2025-10-11", True, "Saturday make-up working day"),
    ],
)
def test_is_working_day_knows_holidays_and_make_up_days(
    cal: WorkCalendar, day: str, working: bool, why: str
) -> None:
    assert cal.is_working_day(D(day)) is working, why


@pytest.mark.parametrize(
    ("day", "inclusive", "previous", "following"),
    [
        # A working day is its own neighbour unless asked to step strictly.
        ("2021-06-25", True, "2021-06-25", "2021-06-25"),
        ("2021-06-25", False, "2021-06-24", "2021-06-28"),
        # The National Day week: step over all seven holidays, land on the make-up Saturday.
        ("2021-10-03", True, "2021-09-30", "2021-10-08"),
        ("2021-10-08", False, "2021-09-30", "2021-10-09"),
        # Around Spring Festival 2021 the Sunday make-up day counts.
        ("2021-02-06", True, "2021-02-05", "2021-02-07"),
        # Across a year boundary: 2022-01-01..03 were New Year holidays.
        ("2022-01-02", True, "2021-12-31", "2022-01-04"),
        ("2021-01-01", True, "2020-12-31", "2021-01-04"),
        # The 8-day 2025 National Day holiday, then the make-up Saturday.
        ("2025-10-01", True, "2025-09-30", "2025-10-09"),
        ("2025-10-10", False, "2025-10-09", "2025-10-11"),
    ],
)
def test_previous_and_next_working_day(
    cal: WorkCalendar, day: str, inclusive: bool, previous: str, following: str
) -> None:
    assert cal.previous_working_day(D(day), inclusive=inclusive) == D(previous)
    assert cal.next_working_day(D(day), inclusive=inclusive) == D(following)


def test_previous_and_next_default_to_inclusive(cal: WorkCalendar) -> None:
    assert cal.previous_working_day(D("2021-04-25")) == D("2021-04-25")
    assert cal.next_working_day(D("2021-04-25")) == D("2021-04-25")


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2021-06-25", 0, "2021-06-25"),
        ("2021-06-26", 0, "2021-06-26"),  # zero steps stay put even on a weekend
        ("2021-06-25", 1, "2021-06-28"),
        ("2021-06-26", 1, "2021-06-28"),
        ("2021-06-28", -1, "2021-06-25"),
        ("2021-06-27", -1, "2021-06-25"),
        ("2021-09-30", 1, "2021-10-08"),
        ("2021-09-30", 2, "2021-10-09"),  # the make-up Saturday
        ("2021-09-30", 3, "2021-10-11"),
        ("2021-10-11", -3, "2021-09-30"),
        ("2021-12-30", 3, "2022-01-05"),  # crosses into 2022 over its New Year holiday
        ("2021-01-04", -2, "2020-12-30"),  # and back into 2020 over 2021's
        ("2024-12-31", 248, "2025-12-31"),  # 2025 has 248 working days
        ("2025-12-31", -248, "2024-12-31"),
    ],
)
def test_add_working_days(cal: WorkCalendar, start: str, n: int, expected: str) -> None:
    assert cal.add_working_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2021-06-25", "2021-06-25", 0),
        ("2021-06-28", "2021-06-25", 0),  # end before start
        ("2021-06-24", "2021-06-25", 1),
        ("2021-06-25", "2021-06-28", 1),  # the weekend does not count, the end does
        ("2021-06-26", "2021-06-27", 0),
        ("2021-09-30", "2021-10-11", 3),  # 10-08, the make-up 10-09, 10-11
        ("2021-09-16", "2021-09-24", 5),  # 17, make-up Sat 18, 22, 23, 24; 19-21 off
        ("2020-12-31", "2021-12-31", 250),  # all of 2021
        ("2023-12-31", "2024-12-31", 251),  # all of 2024
        ("2024-12-31", "2025-12-31", 248),  # all of 2025
        ("2020-12-31", "2022-01-04", 251),  # 2021 plus 2022-01-04 (01-01..03 off)
    ],
)
def test_working_days_between(cal: WorkCalendar, start: str, end: str, expected: int) -> None:
    assert cal.working_days_between(D(start), D(end)) == expected


@pytest.mark.parametrize("n", [-40, -7, -1, 1, 2, 5, 23, 60])
@pytest.mark.parametrize("start", ["2021-09-25", "2021-10-01", "2021-12-28", "2025-01-26"])
def test_add_and_between_agree(cal: WorkCalendar, start: str, n: int) -> None:
    moved = cal.add_working_days(D(start), n)
    assert cal.is_working_day(moved)
    if n > 0:
        assert cal.working_days_between(D(start), moved) == n
    else:
        # (moved, start] holds the days walked over, plus start itself if it is a working day.
        expected = -n - 1 + int(cal.is_working_day(D(start)))
        assert cal.working_days_between(moved, D(start)) == expected


def test_results_are_plain_dates(cal: WorkCalendar) -> None:
    at = datetime(2021, 6, 26, 9, 30)
    assert type(cal.next_working_day(at)) is date
    assert type(cal.previous_working_day(datetime(2021, 6, 25, 9, 30))) is date
    assert type(cal.add_working_days(at, 0)) is date


def test_uncovered_year_falls_back_to_weekdays_and_warns_once(
    cal: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="duban.workdays")
    # 2099-01-01 is a Thursday: a holiday in any real Chinese calendar, a weekday here.
    assert cal.is_working_day(D("2099-01-01"))
    assert not cal.is_working_day(D("2099-01-03"))  # Saturday
    assert cal.next_working_day(D("2099-01-03")) == D("2099-01-05")
    assert cal.working_days_between(D("2099-01-01"), D("2099-01-31")) == 21
    warnings = [r for r in caplog.records if r.name == "duban.workdays"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "2099" in warnings[0].getMessage()
    assert "does not cover" in warnings[0].getMessage()
    assert "Monday to Friday" in warnings[0].getMessage()


def test_each_uncovered_year_warns_once(
    cal: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="duban.workdays")
    cal.working_days_between(D("2097-06-01"), D("2099-06-01"))
    cal.working_days_between(D("2097-06-01"), D("2099-06-01"))
    cal.is_working_day(D("2098-03-03"))
    messages = [r.getMessage() for r in caplog.records if r.name == "duban.workdays"]
    assert len(messages) == 3
    for year in ("2097", "2098", "2099"):
        assert sum(year in m for m in messages) == 1


def test_covered_year_does_not_warn(cal: WorkCalendar, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="duban.workdays")
    cal.working_days_between(D("2021-01-01"), D("2025-12-31"))
    assert not [r for r in caplog.records if r.name == "duban.workdays"]


def test_lookups_are_cached(cal: WorkCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    import chinese_calendar

    calls = 0
    real = chinese_calendar.is_workday

    def counting(d: date) -> bool:
        nonlocal calls
        calls += 1
        return bool(real(d))

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    for _ in range(1000):
        cal.is_working_day(D("2021-10-01"))
        cal.working_days_between(D("2021-01-01"), D("2021-12-31"))
    assert calls == 365  # one pass over 2021, then never again


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2021-02-07", False),  # a make-up Sunday in China, still a Sunday here
        ("2021-10-01", True),  # National Day is a Friday here
        ("2021-06-25", True),
        ("2021-06-26", False),
        ("2099-01-01", True),
    ],
)
def test_weekday_calendar_is_plain_monday_to_friday(day: str, working: bool) -> None:
    assert WeekdayCalendar().is_working_day(D(day)) is working


def test_weekday_calendar_arithmetic(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="duban.workdays")
    cal = WeekdayCalendar()
    assert cal.add_working_days(D("2021-06-25"), 1) == D("2021-06-28")
    assert cal.add_working_days(D("2021-06-28"), -1) == D("2021-06-25")
    assert cal.previous_working_day(D("2021-06-27")) == D("2021-06-25")
    assert cal.next_working_day(D("2021-06-25"), inclusive=False) == D("2021-06-28")
    assert cal.working_days_between(D("2020-12-31"), D("2021-12-31")) == 261
    assert not caplog.records  # nothing to warn about: it never consults the package


def test_both_calendars_satisfy_the_protocol() -> None:
    calendars: list[Calendar] = [WorkCalendar(), WeekdayCalendar()]
    assert [c.is_working_day(D("2021-10-01")) for c in calendars] == [False, True]

"""Tests for the traffic-light rules, their precedence and every threshold boundary."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from pydantic import ValidationError

from bot.calendar.workdays import Calendar, WeekdayCalendar, WorkCalendar
from bot.lights import (
    DEFAULT_THRESHOLDS,
    Light,
    LightThresholds,
    ReportStatus,
    aggregate_light,
    judge_light,
    year_elapsed_percent,
)

D = date.fromisoformat
CAL = WorkCalendar()
YEAR_START = D("2021-01-01")
YEAR_END = D("2021-12-31")
# 2021-05-26 is day 146 of 365: exactly 40% of the year; 2021-10-19 is day 292: exactly 80%.
AT_40 = D("2021-05-26")
AT_80 = D("2021-10-19")

ON = ReportStatus.ON_TRACK
RISK = ReportStatus.AT_RISK
BLOCKED = ReportStatus.BLOCKED
COORD = ReportStatus.NEEDS_COORDINATION
DONE = ReportStatus.DONE


def light(
    *,
    today: str | date,
    due: str = "2021-06-25",
    deadline: str | None = None,
    status: ReportStatus | None = None,
    percent: int | None = None,
    calendar: Calendar = CAL,
    thresholds: LightThresholds = DEFAULT_THRESHOLDS,
) -> Light:
    return judge_light(
        today=D(today) if isinstance(today, str) else today,
        due=D(due),
        deadline=None if deadline is None else D(deadline),
        status=status,
        percent=percent,
        year_start=YEAR_START,
        year_end=YEAR_END,
        calendar=calendar,
        thresholds=thresholds,
    ).light


@pytest.mark.parametrize(
    ("today", "status", "percent", "deadline", "expected", "why"),
    [
        # DONE beats everything.
        ("2021-06-10", DONE, None, None, Light.DONE, "done"),
        ("2021-12-20", DONE, 0, None, Light.DONE, "done even if the percent lags"),
        ("2021-07-10", DONE, None, "2021-06-30", Light.DONE, "done after the deadline"),
        ("2021-06-30", DONE, None, None, Light.DONE, "done, due day passed"),
        # RED.
        ("2021-06-10", BLOCKED, None, None, Light.RED, "blocked"),
        ("2021-06-10", BLOCKED, 100, None, Light.RED, "blocked even at 100%"),
        ("2021-06-26", None, None, None, Light.RED, "due day passed without a report"),
        ("2021-07-20", None, None, None, Light.RED, "long past due without a report"),
        ("2021-06-10", ON, 50, "2021-06-09", Light.RED, "deadline passed, not done"),
        ("2021-06-10", None, None, "2021-06-09", Light.RED, "deadline passed, not reported"),
        ("2021-06-10", RISK, 50, "2021-06-09", Light.RED, "deadline beats at-risk"),
        ("2021-06-10", RISK, 0, None, Light.RED, "at risk and far behind: red wins"),
        # YELLOW.
        ("2021-06-10", RISK, None, None, Light.YELLOW, "at risk"),
        ("2021-06-10", COORD, None, None, Light.YELLOW, "needs coordination"),
        ("2021-06-10", COORD, 60, None, Light.YELLOW, "needs coordination, ahead"),
        ("2021-06-25", None, None, None, Light.YELLOW, "due today, not reported"),
        ("2021-06-22", None, None, None, Light.YELLOW, "3 working days before due"),
        # GREEN.
        ("2021-06-10", ON, None, None, Light.GREEN, "on track, no percent"),
        ("2021-06-10", ON, 50, None, Light.GREEN, "on track, ahead of the year"),
        ("2021-06-26", ON, 50, None, Light.GREEN, "reported late is still reported"),
        ("2021-06-30", ON, 50, "2021-06-30", Light.GREEN, "deadline is today, not passed"),
        # PENDING.
        ("2021-06-21", None, None, None, Light.PENDING, "4 working days before due"),
        ("2021-06-01", None, None, None, Light.PENDING, "period just opened"),
        ("2021-06-01", None, None, "2021-12-31", Light.PENDING, "far deadline"),
    ],
)
def test_rules(
    today: str,
    status: ReportStatus | None,
    percent: int | None,
    deadline: str | None,
    expected: Light,
    why: str,
) -> None:
    assert light(today=today, status=status, percent=percent, deadline=deadline) is expected, why


@pytest.mark.parametrize(
    ("today", "percent", "expected"),
    [
        # 40% of the year elapsed.
        (AT_40, 40, Light.GREEN),
        (AT_40, 31, Light.GREEN),  # 9 behind
        (AT_40, 30, Light.YELLOW),  # exactly 10 behind
        (AT_40, 20, Light.YELLOW),
        (AT_40, 10, Light.YELLOW),  # exactly 30 behind
        (AT_40, 9, Light.RED),  # 31 behind
        (AT_40, 0, Light.RED),
        # 80% of the year elapsed.
        (AT_80, 71, Light.GREEN),
        (AT_80, 70, Light.YELLOW),
        (AT_80, 50, Light.YELLOW),
        (AT_80, 49, Light.RED),
        # The last day: 100% elapsed.
        (YEAR_END, 91, Light.GREEN),
        (YEAR_END, 90, Light.YELLOW),
        (YEAR_END, 70, Light.YELLOW),
        (YEAR_END, 69, Light.RED),
        # Just past the 40% mark a fraction of a point tips the balance.
        (D("2021-05-27"), 30, Light.YELLOW),  # 10.27 behind
        (D("2021-05-25"), 30, Light.GREEN),  # 9.73 behind
        (D("2021-05-25"), 10, Light.YELLOW),  # 29.73 behind
        (D("2021-05-27"), 10, Light.RED),  # 30.27 behind
    ],
)
def test_percent_behind_the_year_boundaries(today: date, percent: int, expected: Light) -> None:
    # Due and deadline far away so only the percent rule speaks.
    assert light(today=today, due="2021-12-24", status=ON, percent=percent) is expected


@pytest.mark.parametrize(
    ("today", "percent", "expected"),
    [
        ("2024-07-01", 41, Light.GREEN),  # day 183 of 366: exactly 50%
        ("2024-07-01", 40, Light.YELLOW),
        ("2024-07-01", 20, Light.YELLOW),
        ("2024-07-01", 19, Light.RED),
    ],
)
def test_percent_boundaries_in_a_leap_year(today: str, percent: int, expected: Light) -> None:
    result = judge_light(
        today=D(today),
        due=D("2024-12-25"),
        deadline=None,
        status=ON,
        percent=percent,
        year_start=D("2024-01-01"),
        year_end=D("2024-12-31"),
        calendar=CAL,
        thresholds=DEFAULT_THRESHOLDS,
    ).light
    assert result is expected


@pytest.mark.parametrize(
    ("today", "due", "expected", "why"),
    [
        ("2021-06-25", "2021-06-25", Light.YELLOW, "due today: 0 working days"),
        ("2021-06-24", "2021-06-25", Light.YELLOW, "1 working day"),
        ("2021-06-22", "2021-06-25", Light.YELLOW, "exactly 3 working days"),
        ("2021-06-21", "2021-06-25", Light.PENDING, "4 working days"),
        ("2021-06-19", "2021-06-25", Light.PENDING, "a Saturday, 5 working days"),
        ("2021-06-26", "2021-06-28", Light.YELLOW, "Saturday before a Monday due day"),
        # Holidays stretch the warning window: 11 calendar days, but only 10-08, the
        # make-up Saturday 10-09 and 10-11 are working days.
        ("2021-09-30", "2021-10-11", Light.YELLOW, "3 working days over National Day"),
        ("2021-09-29", "2021-10-11", Light.PENDING, "4 working days over National Day"),
        # The make-up Sunday counts as a working day, so the window is shorter.
        ("2021-04-20", "2021-04-25", Light.PENDING, "21, 22, 23, make-up Sunday 25: 4"),
        ("2021-04-21", "2021-04-25", Light.YELLOW, "22, 23, make-up Sunday 25: 3"),
        ("2021-06-26", "2021-06-25", Light.RED, "a day late"),
    ],
)
def test_warning_window_in_working_days(today: str, due: str, expected: Light, why: str) -> None:
    assert light(today=today, due=due) is expected, why


def test_warning_window_depends_on_the_calendar() -> None:
    # Mon-Fri only: 10-01 and 10-04..08 are weekdays, so 10-11 is 7 working days away.
    assert light(today="2021-09-30", due="2021-10-11", calendar=WeekdayCalendar()) is (
        Light.PENDING
    )
    assert light(today="2021-09-30", due="2021-10-11", calendar=CAL) is Light.YELLOW


WARN_0 = LightThresholds(warn_working_days=0)
WARN_5 = LightThresholds(warn_working_days=5)
BEHIND_5_15 = LightThresholds(behind_yellow_points=5, behind_red_points=15)
BEHIND_20_20 = LightThresholds(behind_yellow_points=20, behind_red_points=20)


@pytest.mark.parametrize(
    ("thresholds", "today", "status", "percent", "expected"),
    [
        (WARN_0, "2021-06-25", None, None, Light.YELLOW),
        (WARN_0, "2021-06-24", None, None, Light.PENDING),
        (WARN_5, "2021-06-18", None, None, Light.YELLOW),
        (WARN_5, "2021-06-17", None, None, Light.PENDING),
        (BEHIND_5_15, AT_40, ON, 36, Light.GREEN),
        (BEHIND_5_15, AT_40, ON, 35, Light.YELLOW),
        (BEHIND_5_15, AT_40, ON, 25, Light.YELLOW),
        (BEHIND_5_15, AT_40, ON, 24, Light.RED),
        # Equal thresholds: exactly that many points behind is still yellow.
        (BEHIND_20_20, AT_40, ON, 21, Light.GREEN),
        (BEHIND_20_20, AT_40, ON, 20, Light.YELLOW),
        (BEHIND_20_20, AT_40, ON, 19, Light.RED),
    ],
)
def test_thresholds_are_settings(
    thresholds: LightThresholds,
    today: str | date,
    status: ReportStatus | None,
    percent: int | None,
    expected: Light,
) -> None:
    # Unreported rows test the due-day window; reported rows keep the due day out of the way.
    due = "2021-06-25" if status is None else "2021-12-24"
    result = light(today=today, due=due, status=status, percent=percent, thresholds=thresholds)
    assert result is expected


@pytest.mark.parametrize("percent", [-1, 101])
def test_percent_out_of_range_is_refused(percent: int) -> None:
    with pytest.raises(ValueError):
        light(today="2021-06-10", status=ON, percent=percent)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2020-12-31", Fraction(0)),
        ("2021-01-01", Fraction(100, 365)),
        ("2021-05-26", Fraction(40)),
        ("2021-12-31", Fraction(100)),
        ("2022-03-01", Fraction(100)),
    ],
)
def test_year_elapsed_percent(today: str, expected: Fraction) -> None:
    assert year_elapsed_percent(D(today), YEAR_START, YEAR_END) == expected


def test_year_elapsed_percent_refuses_a_backwards_year() -> None:
    with pytest.raises(ValueError):
        year_elapsed_percent(D("2021-06-01"), YEAR_END, YEAR_START)


def test_default_thresholds() -> None:
    assert LightThresholds() == DEFAULT_THRESHOLDS
    assert (
        DEFAULT_THRESHOLDS.warn_working_days,
        DEFAULT_THRESHOLDS.behind_yellow_points,
        DEFAULT_THRESHOLDS.behind_red_points,
    ) == (3, 10, 30)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"warn_working_days": -1},
        {"behind_yellow_points": -1},
        {"behind_red_points": -1, "behind_yellow_points": 0},
        {"behind_yellow_points": 31},  # above the default red of 30
        {"behind_yellow_points": 20, "behind_red_points": 10},
        {"warn_days": 3},  # a typo in a setting name must not pass silently
    ],
)
def test_invalid_thresholds_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        LightThresholds(**kwargs)


def test_thresholds_are_immutable() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_THRESHOLDS.behind_red_points = 50  # type: ignore[misc]


@pytest.mark.parametrize(
    ("lights", "expected"),
    [
        ([], Light.PENDING),
        ([Light.DONE], Light.DONE),
        ([Light.DONE, Light.DONE, Light.DONE], Light.DONE),
        ([Light.DONE, Light.GREEN], Light.GREEN),
        ([Light.GREEN, Light.PENDING, Light.DONE], Light.PENDING),
        ([Light.PENDING, Light.YELLOW, Light.GREEN], Light.YELLOW),
        ([Light.YELLOW, Light.RED, Light.DONE], Light.RED),
        ([Light.RED, Light.RED], Light.RED),
        ([Light.GREEN, Light.GREEN], Light.GREEN),
    ],
)
def test_aggregate_light_worst_wins(lights: list[Light], expected: Light) -> None:
    assert aggregate_light(lights) is expected
    assert aggregate_light(iter(reversed(lights))) is expected  # any iterable, any order


@pytest.mark.parametrize(
    ("light_", "value", "emoji"),
    [
        (Light.GREEN, "green", "🟢"),
        (Light.YELLOW, "yellow", "🟡"),
        (Light.RED, "red", "🔴"),
        (Light.DONE, "done", "✅"),
        (Light.PENDING, "pending", "⚪"),
    ],
)
def test_light_values_and_emoji(light_: Light, value: str, emoji: str) -> None:
    assert light_ == value
    assert Light(value) is light_
    assert light_.emoji == emoji


def test_severity_orders_worst_last() -> None:
    assert sorted(Light, key=lambda item: item.severity) == [
        Light.DONE,
        Light.GREEN,
        Light.PENDING,
        Light.YELLOW,
        Light.RED,
    ]


def test_report_status_values_are_stable() -> None:
    assert {s.value for s in ReportStatus} == {
        "on_track",
        "at_risk",
        "blocked",
        "needs_coordination",
        "done",
    }
    assert ReportStatus("needs_coordination") is ReportStatus.NEEDS_COORDINATION

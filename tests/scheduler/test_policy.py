"""The nudge policy's pure rules, on real 2026 holidays."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.calendar.workdays import WorkCalendar
from scheduler.policy import (
    Scheduled,
    deadline_days,
    due_today,
    in_quiet_hours,
    may_send_now,
    missed,
    period_steps,
)

CAL = WorkCalendar()


def test_june_2026_steps_skip_the_dragon_boat_holiday() -> None:
    # 2026-06-19 (Friday) is the Dragon Boat holiday, so "3 working days before the 25th" is
    # Monday the 22nd, not Friday the 19th.
    steps = period_steps(start=date(2026, 6, 1), due=date(2026, 6, 25), calendar=CAL)
    assert steps == [
        Scheduled("open", date(2026, 6, 1)),
        Scheduled("before", date(2026, 6, 22)),
        Scheduled("due", date(2026, 6, 25)),
        Scheduled("after", date(2026, 6, 26)),
    ]
    assert due_today(steps, date(2026, 6, 22)) == [steps[1]]
    assert missed(steps, date(2026, 6, 23)) == steps[:2]


def test_october_opens_after_national_day() -> None:
    steps = period_steps(start=date(2026, 10, 1), due=date(2026, 10, 23), calendar=CAL)
    assert steps[0] == Scheduled("open", date(2026, 10, 8))  # holiday 10-01..10-07


def test_a_short_period_drops_a_step_that_would_come_first() -> None:
    steps = period_steps(start=date(2026, 6, 22), due=date(2026, 6, 24), calendar=CAL)
    assert [s.step for s in steps] == ["open", "due", "after"]


def test_deadline_reminders_move_to_the_previous_working_day() -> None:
    assert deadline_days(deadline=date(2026, 12, 31), calendar=CAL) == [
        (30, date(2026, 12, 1)),
        (7, date(2026, 12, 24)),
        (1, date(2026, 12, 30)),
    ]
    # 7 days before 2026-10-12 is Monday 10-05, inside National Day: moved to 09-30.
    assert deadline_days(deadline=date(2026, 10, 12), calendar=CAL)[1] == (7, date(2026, 9, 30))


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [(time(21, 59), False), (time(22, 0), True), (time(3, 0), True), (time(8, 0), False)],
)
def test_quiet_hours_span_midnight(moment: time, quiet: bool) -> None:
    assert in_quiet_hours(moment, start=time(22, 0), end=time(8, 0)) is quiet


@pytest.mark.parametrize(
    ("local", "allowed"),
    [
        (datetime(2026, 6, 22, 8, 59), False),  # before the nudge time
        (datetime(2026, 6, 22, 9, 0), True),
        (datetime(2026, 6, 22, 22, 30), False),  # quiet hours
        (datetime(2026, 6, 20, 10, 0), False),  # Saturday
        (datetime(2026, 6, 19, 10, 0), False),  # Dragon Boat Festival
    ],
)
def test_may_send_now(local: datetime, allowed: bool) -> None:
    assert (
        may_send_now(
            local,
            calendar=CAL,
            nudge_time=time(9, 0),
            quiet_start=time(22, 0),
            quiet_end=time(8, 0),
        )
        is allowed
    )

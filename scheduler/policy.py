"""Nudge policy as pure functions of (now, plan state): which step is due, and when.

A period has four steps: when it opens, `warn` working days before the due day, on the due
day, and the working day after it (late units, plus a digest to coordinators). Task deadlines
have reminders 30, 7 and 1 days before. Everything goes out on working days only, from the
nudge time on, never in quiet hours; a step missed while the bot was down goes out when it is
back the same day, and is skipped after that.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.calendar.steps import PeriodStep, Scheduled, period_steps
from bot.calendar.workdays import Calendar

DEADLINE_OFFSETS = (30, 7, 1)

__all__ = [
    "DEADLINE_OFFSETS",
    "PeriodStep",
    "Scheduled",
    "deadline_days",
    "due_today",
    "held_now",
    "in_quiet_hours",
    "may_send_now",
    "missed",
    "period_steps",
]


def deadline_days(
    *, deadline: date, calendar: Calendar, offsets: tuple[int, ...] = DEADLINE_OFFSETS
) -> list[tuple[int, date]]:
    """(days before, send day) for a deadline; a weekend or holiday moves to the working day
    before."""
    return [(n, calendar.previous_working_day(deadline - timedelta(days=n))) for n in offsets]


def in_quiet_hours(moment: time, *, start: time, end: time) -> bool:
    """Whether a local time falls in quiet hours (which may span midnight)."""
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def held_now(
    local: datetime, *, calendar: Calendar, nudge_time: time, quiet_start: time, quiet_end: time
) -> str | None:
    """Why nudges may not go out at a local moment: "day_off" (not a working day), "early"
    (before the nudge time) or "quiet" (quiet hours); None when they may."""
    now = local.time()
    if not calendar.is_working_day(local.date()):
        return "day_off"
    if in_quiet_hours(now, start=quiet_start, end=quiet_end):
        return "quiet"
    if now < nudge_time:
        return "early"
    return None


def may_send_now(
    local: datetime, *, calendar: Calendar, nudge_time: time, quiet_start: time, quiet_end: time
) -> bool:
    """Nudges go out on working days, from the nudge time, outside quiet hours."""
    return (
        held_now(
            local,
            calendar=calendar,
            nudge_time=nudge_time,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
        )
        is None
    )


def due_today(schedule: list[Scheduled], today: date) -> list[Scheduled]:
    """Steps whose day is today."""
    return [s for s in schedule if s.day == today]


def missed(schedule: list[Scheduled], today: date) -> list[Scheduled]:
    """Steps whose day has passed (sent then, or skipped for good)."""
    return [s for s in schedule if s.day < today]

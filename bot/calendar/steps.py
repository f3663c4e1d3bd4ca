"""The steps of a reporting period: when it opens, before the due day, on it, and after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.calendar.workdays import Calendar


class PeriodStep(StrEnum):
    """The steps of a reporting period."""

    OPEN = "open"
    BEFORE = "before"
    DUE = "due"
    AFTER = "after"


@dataclass(frozen=True)
class Scheduled:
    """A step and the working day it belongs to."""

    step: str
    day: date


def period_steps(*, start: date, due: date, calendar: Calendar, warn: int = 3) -> list[Scheduled]:
    """The days of a period's steps; a step that would fall on an earlier step's day is dropped."""
    candidates = [
        Scheduled(PeriodStep.OPEN, calendar.next_working_day(start)),
        Scheduled(PeriodStep.BEFORE, calendar.add_working_days(due, -warn)),
        Scheduled(PeriodStep.DUE, calendar.previous_working_day(due)),
        Scheduled(PeriodStep.AFTER, calendar.next_working_day(due, inclusive=False)),
    ]
    out: list[Scheduled] = []
    for item in candidates:
        if out and item.day <= out[-1].day:
            continue  # a short period: the opening already is the "3 days before" nudge
        out.append(item)
    return out

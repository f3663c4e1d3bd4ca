"""Traffic lights: how a task, or one unit's share of it, stands in the current period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.calendar.workdays import Calendar

__all__ = [
    "DEFAULT_THRESHOLDS",
    "LIGHT_ORDER",
    "Light",
    "LightRule",
    "LightThresholds",
    "ReportStatus",
    "Verdict",
    "aggregate_light",
    "judge_light",
    "year_elapsed_percent",
]


class Light(StrEnum):
    """A traffic light; the values are stable and safe to store.

    ``PENDING`` is ours, not the supervision office's: green means "reported this period and
    on track", so a unit that has not reported yet while the due day is still far away is
    neither green nor late. Showing it green would tell a coordinator it reported when it
    did not; showing it yellow would cry wolf all month. It gets a neutral white light.
    """

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    DONE = "done"
    PENDING = "pending"

    @property
    def emoji(self) -> str:
        """The symbol shown next to a task: 🟢 🟡 🔴 ✅ ⚪."""
        return _EMOJI[self]

    @property
    def severity(self) -> int:
        """Higher is worse; sort by it to list the tasks that need attention first."""
        return _SEVERITY[self]


# The order lights are counted and charted in: finished first, late last.
LIGHT_ORDER = (Light.DONE, Light.GREEN, Light.PENDING, Light.YELLOW, Light.RED)

_EMOJI: dict[Light, str] = {
    Light.GREEN: "🟢",
    Light.YELLOW: "🟡",
    Light.RED: "🔴",
    Light.DONE: "✅",
    Light.PENDING: "⚪",
}

# A task is only as healthy as its worst unit; finished work is the least worrying of all.
_SEVERITY: dict[Light, int] = {
    Light.DONE: 0,
    Light.GREEN: 1,
    Light.PENDING: 2,
    Light.YELLOW: 3,
    Light.RED: 4,
}


class ReportStatus(StrEnum):
    """The status a unit picks when it reports; the values are stable and safe to store."""

    ON_TRACK = "on_track"  # 正常推进
    AT_RISK = "at_risk"  # 存在风险
    BLOCKED = "blocked"  # 受阻
    NEEDS_COORDINATION = "needs_coordination"  # 需协调
    DONE = "done"  # 已完成


class LightThresholds(BaseModel):
    """The thresholds supervision offices use, kept as settings (PRODUCT §2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    warn_working_days: int = Field(default=3, ge=0)
    behind_yellow_points: int = Field(default=10, ge=0)
    behind_red_points: int = Field(default=30, ge=0)

    @model_validator(mode="after")
    def _yellow_before_red(self) -> LightThresholds:
        if self.behind_yellow_points > self.behind_red_points:
            raise ValueError("behind_yellow_points must not exceed behind_red_points")
        return self


DEFAULT_THRESHOLDS = LightThresholds()


def year_elapsed_percent(today: date, year_start: date, year_end: date) -> Fraction:
    """The share of the plan year elapsed by the end of ``today``, 0-100, exact.

    Both ends count as whole days, so the last day of the year gives 100. Days before the
    start give 0 and days after the end give 100. A Fraction keeps the 10- and 30-point
    boundaries exact where a float would wobble.
    """
    if year_end < year_start:
        raise ValueError(f"year_end {year_end} is before year_start {year_start}")
    total = (year_end - year_start).days + 1
    elapsed = min(max((today - year_start).days + 1, 0), total)
    return Fraction(elapsed * 100, total)


class LightRule(StrEnum):
    """Which rule gave a light (the first that matched), to tell people why."""

    DONE = "done"  # the report says done
    BLOCKED = "blocked"
    OVERDUE = "overdue"  # not reported and the due day has passed
    FAR_BEHIND = "far_behind"  # percent more than the red points behind the year elapsed
    DEADLINE = "deadline"  # the task's deadline has passed
    AT_RISK = "at_risk"  # 存在风险 or 需协调
    DUE_SOON = "due_soon"  # not reported and the due day within the warning working days
    BEHIND = "behind"  # percent between the yellow and red points behind
    ON_TRACK = "on_track"
    WAITING = "waiting"  # not reported, the due day still far away


@dataclass(frozen=True)
class Verdict:
    """A light and the rule that gave it; `behind` in points when a percent was judged."""

    light: Light
    rule: LightRule
    behind: Fraction | None = None


def judge_light(
    *,
    today: date,
    due: date,
    deadline: date | None,
    status: ReportStatus | None,
    percent: int | None,
    year_start: date,
    year_end: date,
    calendar: Calendar,
    thresholds: LightThresholds = DEFAULT_THRESHOLDS,
) -> Verdict:
    """The light of one task for one unit on ``today``, with the rule that gave it.

    ``status`` and ``percent`` come from the latest report of the current period; ``None``
    status means the unit has not reported this period. ``due`` is the period's due day,
    ``deadline`` the task's (``None`` if it has none). Rules, first match wins:

    - DONE: the report says done.
    - RED: blocked; or not reported and the due day has passed; or the percent is more than
      ``behind_red_points`` behind the share of the year elapsed; or the deadline has passed.
    - YELLOW: at risk or needs coordination; or not reported and the due day is at most
      ``warn_working_days`` working days away; or the percent is ``behind_yellow_points`` to
      ``behind_red_points`` points behind (both ends included).
    - GREEN: reported and none of the above.
    - PENDING: not reported and the due day still far away.
    """
    if percent is not None and not 0 <= percent <= 100:
        raise ValueError(f"percent must be 0..100, not {percent}")
    if status is ReportStatus.DONE:
        return Verdict(Light.DONE, LightRule.DONE)

    reported = status is not None
    behind = (
        None if percent is None else year_elapsed_percent(today, year_start, year_end) - percent
    )
    red = (
        (status is ReportStatus.BLOCKED, LightRule.BLOCKED),
        (not reported and today > due, LightRule.OVERDUE),
        (behind is not None and behind > thresholds.behind_red_points, LightRule.FAR_BEHIND),
        (deadline is not None and today > deadline, LightRule.DEADLINE),
    )
    for matched, rule in red:
        if matched:
            return Verdict(Light.RED, rule, behind)
    yellow = (
        # 需协调 is yellow like 存在风险: the unit says it cannot finish alone and the
        # coordinator must act, but the work has not stopped; that is a risk, not a block.
        (status in (ReportStatus.AT_RISK, ReportStatus.NEEDS_COORDINATION), LightRule.AT_RISK),
        (
            not reported
            and calendar.working_days_between(today, due) <= thresholds.warn_working_days,
            LightRule.DUE_SOON,
        ),
        (behind is not None and behind >= thresholds.behind_yellow_points, LightRule.BEHIND),
    )
    for matched, rule in yellow:
        if matched:
            return Verdict(Light.YELLOW, rule, behind)
    if reported:
        return Verdict(Light.GREEN, LightRule.ON_TRACK, behind)
    return Verdict(Light.PENDING, LightRule.WAITING)


def aggregate_light(lights: Iterable[Light]) -> Light:
    """The light of a task over its units: the worst one wins.

    Order, worst first: RED, YELLOW, PENDING, GREEN, DONE. So a task is DONE only when every
    unit is done, and a task with no units to ask yet is PENDING.
    """
    return max(lights, key=lambda light: _SEVERITY[light], default=Light.PENDING)

"""Progress against time (序时进度): how far each target stands from where it should be.

Two rules, named wherever a target is shown:

- by time: a cumulative target to reach (新增城镇就业25万人, 完成投资2400亿元): progress is the
  value reported so far over the target, compared with the share of the year elapsed; it is
  behind by the difference in points.
- against the target: a rate or a level (地区生产总值增长7%, 总数达1.2万家) and any ceiling
  (控制在3%以内): the value against the target directly; behind by how far short of the target
  (or over the ceiling) it is, in points of the target.

A target behind by the light thresholds' points is yellow or red, like a reported percent, and
the task's light is the worse of the two (a done task stays done).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from bot.calendar.clock import PlanMoment
from bot.lights import Light, LightThresholds, year_elapsed_percent
from data.repo.targets import Facts, Reported


@dataclass(frozen=True)
class Standing:
    """A target with its latest value, its progress and how its rule judges it."""

    target: Facts
    reported: Reported | None
    rule: str  # "time" or "target"
    elapsed: Fraction  # share of the year elapsed, 0-100
    progress: Fraction | None  # the value as a share of the target, in percent
    behind: Fraction | None  # points behind (negative: ahead)
    light: Light | None  # None until a value is reported


def rule_of(target: Facts) -> str:
    """Cumulative targets to reach are judged by time; rates, levels and ceilings directly."""
    if target.kind == "cumulative" and target.comparator != "le":
        return "time"
    return "target"


def _number(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _behind(target: Facts, value: Fraction, goal: Fraction, elapsed: Fraction) -> Fraction:
    share = value / goal * 100
    if rule_of(target) == "time":
        return elapsed - share
    if target.comparator == "le":
        return share - 100
    if target.comparator == "range":
        high = _number(target.value_max)
        if high is not None and high > 0 and value > high:
            return value / high * 100 - 100
    return 100 - share


def _light(behind: Fraction, thresholds: LightThresholds) -> Light:
    if behind > thresholds.behind_red_points:
        return Light.RED
    if behind >= thresholds.behind_yellow_points:
        return Light.YELLOW
    return Light.GREEN


def judge(
    target: Facts,
    reported: Reported | None,
    *,
    elapsed: Fraction,
    thresholds: LightThresholds,
) -> Standing:
    """Where a target stands with its latest value at a share of the year elapsed."""
    rule = rule_of(target)
    goal, value = _number(target.value), _number(reported.value if reported else None)
    if value is None or goal is None or goal <= 0:
        return Standing(target, reported, rule, elapsed, None, None, None)
    behind = _behind(target, value, goal, elapsed)
    return Standing(
        target, reported, rule, elapsed, value / goal * 100, behind, _light(behind, thresholds)
    )


def standings(
    targets: Iterable[Facts],
    values: dict[int, Reported],
    *,
    elapsed: Fraction,
    thresholds: LightThresholds,
) -> list[Standing]:
    """Each target judged with its latest value."""
    return [judge(t, values.get(t.id), elapsed=elapsed, thresholds=thresholds) for t in targets]


def with_targets(light: Light, judged: Iterable[Standing]) -> Light:
    """A task's light made the worse of itself and its targets' (a done task stays done)."""
    if light is Light.DONE:
        return light
    worst = max(
        (s.light for s in judged if s.light is not None),
        key=lambda lit: lit.severity,
        default=None,
    )
    return worst if worst is not None and worst.severity > light.severity else light


def elapsed_at(moment: PlanMoment) -> Fraction:
    """The share of the plan year elapsed by the end of the moment's day (0-100)."""
    return year_elapsed_percent(moment.today, moment.year_start, moment.year_end)


def behind_time(judged: Iterable[Standing]) -> list[Standing]:
    """The targets whose light is yellow or red, the furthest behind first."""
    late = [s for s in judged if s.light in (Light.YELLOW, Light.RED) and s.behind is not None]
    return sorted(late, key=lambda s: -(s.behind or 0))

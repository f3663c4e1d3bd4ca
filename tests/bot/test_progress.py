"""Progress against time: cumulative targets by the year elapsed, rates, levels and ceilings
against the target, and a task's light the worse of its report and its targets."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from bot.lights import Light, LightThresholds
from bot.progress import judge, with_targets
from data.repo.targets import Facts, Reported

AT = datetime(2026, 6, 20, tzinfo=UTC)


def _target(
    comparator: str = "ge", kind: str = "cumulative", value_max: str | None = None
) -> Facts:
    return Facts(1, 1, "指标", "100", value_max, "个", comparator, kind)


@pytest.mark.parametrize(
    ("comparator", "kind", "value", "elapsed", "light", "behind"),
    [
        # By time: 40 of 100 with half the year gone is 10 points behind: yellow.
        ("ge", "cumulative", "40", 50, Light.YELLOW, 10),
        ("ge", "cumulative", "41", 50, Light.GREEN, 9),
        ("ge", "cumulative", "19", 50, Light.RED, 31),
        ("approx", "cumulative", "50", 50, Light.GREEN, 0),
        # Against the target: a rate at 92 of 100 is 8 short: green; at 69, red.
        ("ge", "rate", "92", 10, Light.GREEN, 8),
        ("ge", "rate", "69", 90, Light.RED, 31),
        # A ceiling: over it by 15% is yellow, under it green, whatever the time.
        ("le", "cumulative", "115", 10, Light.YELLOW, 15),
        ("le", "rate", "80", 90, Light.GREEN, -20),
    ],
)
def test_rules(
    comparator: str, kind: str, value: str, elapsed: int, light: Light, behind: int
) -> None:
    standing = judge(
        _target(comparator, kind),
        Reported(value, AT, "市发改委", None),
        elapsed=Fraction(elapsed),
        thresholds=LightThresholds(),
    )
    assert (standing.light, standing.behind) == (light, behind)


def test_a_range_is_judged_at_both_ends() -> None:
    def light_of(value: str) -> Light | None:
        reported = Reported(value, AT, "市发改委", None)
        target = _target("range", "rate", value_max="120")
        return judge(target, reported, elapsed=Fraction(50), thresholds=LightThresholds()).light

    assert [light_of(v) for v in ("85", "100", "120", "138", "160")] == [
        Light.YELLOW,
        Light.GREEN,
        Light.GREEN,
        Light.YELLOW,
        Light.RED,
    ]


def test_without_a_value_a_target_has_no_light() -> None:
    standing = judge(_target(), None, elapsed=Fraction(50), thresholds=LightThresholds())
    assert standing.light is None and standing.progress is None
    assert with_targets(Light.PENDING, [standing]) is Light.PENDING


def test_the_worse_light_wins_and_done_stays_done() -> None:
    red = judge(
        _target(),
        Reported("1", AT, "市发改委", None),
        elapsed=Fraction(90),
        thresholds=LightThresholds(),
    )
    assert with_targets(Light.GREEN, [red]) is Light.RED
    assert with_targets(Light.PENDING, [red]) is Light.RED
    assert with_targets(Light.DONE, [red]) is Light.DONE

"""How targets read, in every language: the target, a value, progress and the rule judging it.

Plain text: Telegram's rendering escapes it, the workbook and the bulletin write it as it is.
"""

from __future__ import annotations

from fractions import Fraction

from bot.i18n import Lang, t
from bot.plan.quantities import number_text
from bot.progress import Standing
from data.repo.targets import Facts

_SIGNS = {"ge": "≥", "le": "≤", "approx": "≈"}


def amount(value: str, unit: str) -> str:
    """A value with its unit: 18.65万人, 7%."""
    return f"{number_text(value)}{unit}"


def target_text(facts: Facts) -> str:
    """The target with its comparator: ≥25万人, ≤3%, ≈7%, 6–7%."""
    if facts.comparator == "range" and facts.value_max:
        return f"{number_text(facts.value)}–{amount(facts.value_max, facts.unit)}"
    return _SIGNS.get(facts.comparator, "") + amount(facts.value, facts.unit)


def share(value: Fraction | None) -> str:
    """A share in percent with one decimal: 52.0%."""
    return "—" if value is None else f"{float(value):.1f}%"


def value_text(lang: Lang, standing: Standing) -> str:
    """The latest value, or that none has been reported."""
    reported = standing.reported
    if reported is None:
        return t(lang, "targets.no_value")
    return amount(reported.value, standing.target.unit)


def rule_text(lang: Lang, standing: Standing) -> str:
    """How the target is judged, with the figures: 按序时:完成52.0%,序时45.2%."""
    progress, elapsed = share(standing.progress), share(standing.elapsed)
    key = f"targets.rule.{standing.rule}" + ("" if standing.progress is not None else "_none")
    return t(lang, key, progress=progress, elapsed=elapsed)


def light_emoji(standing: Standing) -> str:
    """The target's light, or a neutral mark before any value."""
    return standing.light.emoji if standing.light is not None else "⚪"


def standing_line(lang: Lang, standing: Standing) -> str:
    """One line per target: 🟢 城镇新增就业 12.5万人 / ≥26万人 · 按序时:完成48.1%,序时45.2%."""
    return t(
        lang,
        "targets.line",
        light=light_emoji(standing),
        metric=standing.target.metric,
        value=value_text(lang, standing),
        target=target_text(standing.target),
        rule=rule_text(lang, standing),
    )

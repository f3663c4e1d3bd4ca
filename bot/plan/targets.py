"""Quantitative targets in a task's text (地区生产总值增长7%, 新增市场主体22.5万户).

Each figure with a unit is a target: its metric is the clause around it (the verb before, the
noun after: 实施272个"双百工程"项目 is 实施"双百工程"项目, 272个), its comparator the words
beside it (以上, 不少于: at least, the default; 以内, 控制在, 不超过: at most; 左右: about;
6%-7%: a range), its kind a rate (a percent, a share, a level such as 总数达) or cumulative
(done over the year, judged against the time elapsed). What a plan says without a figure
(持续下降, 控制在省定标准以内) is not a target. Coordinators review what is found (/targets).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel

from bot.plan.quantities import (
    ARABIC,
    BASE_PATTERN,
    CHINESE,
    MAGNITUDE_PATTERN,
    is_chinese_quantity,
    plain,
    to_decimal,
)

COMPARATORS = ("ge", "le", "approx", "range")
KINDS = ("cumulative", "rate")
METRIC_CHARS = 40

_NUMBER = rf"(?:{ARABIC}|{CHINESE})"
_FIGURE = re.compile(
    rf"(?P<num>{_NUMBER})"
    rf"(?:%?\s*(?:-|－|~|～|—|–|至|到)\s*(?P<num2>{_NUMBER}))?"
    rf"(?P<mag>{MAGNITUDE_PATTERN})?"
    rf"(?P<base>{BASE_PATTERN})?"
    r"(?P<after>以上|以内|以下|左右)?"
)
_CLAUSES = re.compile(r"[^,，;；。:：!！?？\n]+")
_JOINERS = "、和及与"
_AFTER = {"以上": "ge", "以内": "le", "以下": "le", "左右": "approx"}
# Words just before a figure that say how it binds, longest first; stripped from the metric.
_BEFORE = (
    ("不少于", "ge"),
    ("不低于", "ge"),
    ("不超过", "le"),
    ("不高于", "le"),
    ("控制在", "le"),
    ("稳定在", "approx"),
    ("超过", "ge"),
    ("达到", "ge"),
    ("突破", "ge"),
    ("达", "ge"),
)
# Words a metric starts with that say nothing about what is measured.
_LEADING = ("力争", "确保", "争取", "努力")
# A share, a total or a level is judged as it stands, not against the time elapsed.
_LEVEL = re.compile(r"总数|累计|比重|占|率|浓度|指数|稳定在|总量|保有量")
# 社会消费品零售总额、外贸进出口总额均增长8%: one target per subject.
_BOTH = re.compile(r"均(?=增长|下降|提高|降低|达)")


class Target(BaseModel):
    """A quantitative target: metric, value (a range's upper end in value_max), unit,
    comparator, kind, and the words of the plan it was read from."""

    metric: str
    value: str
    unit: str
    comparator: str = "ge"
    kind: str = "cumulative"
    value_max: str | None = None
    phrase: str = ""


def extract_targets(text: str) -> list[Target]:
    """Find quantitative targets (地区生产总值增长7%, 新增城镇就业25万人) in a task's text."""
    targets: list[Target] = []
    for clause in _CLAUSES.finditer(text):
        targets += _in_clause(clause.group(0), text, clause.start(), targets)
    return targets


def _figures(clause: str, text: str, offset: int) -> Iterator[re.Match[str]]:
    """The figures of a clause that are targets: a number with a unit, not a name (第30届,
    G312, "4+1"), not a baseline (在2020年70%的基础上)."""
    for match in _FIGURE.finditer(clause):
        if not (match.group("mag") or match.group("base")):
            continue
        number = match.group("num")
        if not re.fullmatch(ARABIC, number) and not is_chinese_quantity(number):
            continue
        before = clause[: match.start()]
        if before.endswith(("第", ".")) or re.search(r"[A-Za-z0-9]$", before):
            continue
        if clause[match.end() :].startswith(("的基础上", "基础上")):
            continue
        if re.search(r"\d{4}年$", before):
            continue
        # Inside quotation marks a figure is a name (“4+1”工程, “百项提升工程”).
        absolute = offset + match.start()
        if text[:absolute].count("“") > text[:absolute].count("”"):
            continue
        yield match


def _in_clause(clause: str, text: str, offset: int, found: list[Target]) -> list[Target]:
    matches = list(_figures(clause, text, offset))
    out: list[Target] = []
    lead = ""
    for index, match in enumerate(matches):
        start = matches[index - 1].end() if index else 0
        end = matches[index + 1].start() if index + 1 < len(matches) else len(clause)
        prefix = clause[start : match.start()]
        if index:
            prefix = re.split(f"[{_JOINERS}]", prefix)[-1]
        suffix = clause[match.end() : end]
        if index + 1 < len(matches):
            suffix = re.split(f"[{_JOINERS}]", suffix)[0] or _tail(clause, matches)
        comparator, prefix = _comparator(match, prefix)
        if index == 0:
            lead = _verb(prefix)
        elif not prefix.strip():
            prefix = lead
        for metric in _metrics(prefix, suffix):
            if len(metric) <= 2 and (found or out):
                metric = f"{(out or found)[-1].metric}·{metric}"
            out.append(_target(match, metric, comparator, clause))
    return out


def _tail(clause: str, matches: list[re.Match[str]]) -> str:
    """The noun after the last figure, shared by those before it (续建10条、开工2条地铁线路)."""
    return clause[matches[-1].end() :]


def _verb(prefix: str) -> str:
    """The verb a clause starts with (实施10个河道和15个暗涵…: 实施), for the figures after."""
    return prefix.strip()[:2]


def _comparator(match: re.Match[str], prefix: str) -> tuple[str, str]:
    """The comparator the words around a figure give, and the prefix without them."""
    comparator = "range" if match.group("num2") else _AFTER.get(match.group("after") or "", "")
    for word, meaning in _BEFORE:
        if prefix.endswith(word):
            prefix = prefix[: -len(word)]
            if word == "稳定在":
                prefix += "稳定在"  # kept: it makes the target a level
            comparator = comparator or meaning
            break
    return comparator or "ge", prefix


def _metrics(prefix: str, suffix: str) -> list[str]:
    """The metric (or, for 社会消费品零售总额、外贸进出口总额均增长8%, one per subject)."""
    prefix = prefix.strip()
    for word in _LEADING:
        if prefix.startswith(word):
            prefix = prefix[len(word) :]
    suffix = suffix.strip()
    both = list(_BOTH.finditer(prefix))
    if both:
        subjects, verb = prefix[: both[-1].start()], prefix[both[-1].end() :]
        return [_cut(s + verb + suffix) for s in subjects.split("、") if s]
    return [_cut(prefix + suffix)]


def _cut(metric: str) -> str:
    metric = metric.strip(_JOINERS + " ")
    return metric if len(metric) <= METRIC_CHARS else metric[: METRIC_CHARS - 1] + "…"


def _target(match: re.Match[str], metric: str, comparator: str, clause: str) -> Target:
    unit = (match.group("mag") or "") + (match.group("base") or "")
    rate = unit.endswith(("%", "个百分点")) or bool(_LEVEL.search(metric))
    high = match.group("num2")
    return Target(
        metric=metric.replace("稳定在", "") or metric,
        value=plain(to_decimal(match.group("num"))),
        value_max=plain(to_decimal(high)) if high else None,
        unit=unit,
        comparator=comparator,
        kind="rate" if rate else "cumulative",
        phrase=clause.strip(),
    )

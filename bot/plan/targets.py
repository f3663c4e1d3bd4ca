"""Quantitative targets in a task's text (地区生产总值增长7%, 新增市场主体22.5万户)."""

from __future__ import annotations

import re

from pydantic import BaseModel

_TARGET_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>%|万亿元|亿美元|亿元|万元|万人次|万人|人次|万户|户|万亩|亩|万平方米|平方米|万套|套"
    r"|公里|万吨/日|万吨|吨|个|家|所|条|座|处|名|台|项|张|场|人|万)"
    r"(?P<cmp>以上|左右|以内|以下)?"
)
_METRIC_CUT = re.compile(r"[,;、。:“”\"()\s]")
_COMPARATORS = {"以上": "ge", "以内": "le", "以下": "le", "左右": "approx", None: "eq"}


class Target(BaseModel):
    """A quantitative target in a task's text: metric, value, unit and comparator."""

    metric: str
    value: str
    unit: str
    comparator: str = "eq"
    phrase: str


def extract_targets(text: str) -> list[Target]:
    """Find quantitative targets (地区生产总值增长7%, 新增市场主体22.5万户) in a task's text."""
    targets: list[Target] = []
    for match in _TARGET_RE.finditer(text):
        head = text[max(0, match.start() - 20) : match.start()]
        metric = _METRIC_CUT.split(head)[-1]
        if not metric or not re.search(r"[\u4e00-\u9fff]", metric) or metric.endswith("第"):
            continue
        if re.fullmatch(r"\d{4}", match.group("num")) and match.group("unit") == "年":
            continue
        targets.append(
            Target(
                metric=metric,
                value=match.group("num"),
                unit=match.group("unit"),
                comparator=_COMPARATORS[match.group("cmp")],
                phrase=metric + match.group(0),
            )
        )
    return targets

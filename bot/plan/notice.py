"""What a plan's notice (通知) says around the plan: its document number, title and year, the
reporting rule (每月20日前报送) and whether the first-listed unit leads (列第一位的为牵头单位)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.plan.model import ReportingRule

_DOCUMENT_RE = re.compile(r"([\u4e00-\u9fff]{1,12}[〔\[［(]\s*(\d{4})\s*[〕\]］)]\s*\d+\s*号)")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_DATE_LINE = re.compile(r"[\d年月日\s]+")
_ATTACHMENT = re.compile(r"附件\s*\d*\s*[::]?")
# 列第一位的(责任)单位为牵头单位, 排名第一的为牵头单位, 排在首位的部门为主办单位 …
_FIRST_LEADS = re.compile(
    r"(?:列|排)[^。;,]{0,4}?(?:第一|第1|首位|最前)[^。;]{0,12}?为(?:牵头|主办|主责)"
)
_DAY = r"(?P<d>\d{1,2})\s*[日号]"
# Each reporting rule: the pattern, the period, and whether the day falls in the month after
# (a quarter's due day counts from its last month: 每季度第1个月的20日前 is the next month's).
_RULES: tuple[tuple[re.Pattern[str], str, int], ...] = (
    (re.compile(r"每季度(?:的)?(?:第一个月|第1个月|首月)(?:的)?" + _DAY + "前"), "quarter", 1),
    (re.compile(r"每季度结束后(?:次月)?(?:的)?" + _DAY + "(?:内|前)"), "quarter", 1),
    (re.compile(r"每季度(?:最后一个月|最后1个月|末月|末)(?:的)?" + _DAY + "前"), "quarter", 0),
    (re.compile(r"每季度[^。;]{0,12}?次月" + _DAY + "前"), "quarter", 1),
    (re.compile(r"每月[^。;]{0,12}?次月" + _DAY + "前"), "month", 1),
    (re.compile(r"每月(?:的)?" + _DAY + "(?:前|之前|以前)"), "month", 0),
)


def find_document(lines: Sequence[str]) -> tuple[str | None, int | None]:
    """The document number (宁政发〔2021〕16号) and its year, from the first lines."""
    for line in lines[:80]:
        match = _DOCUMENT_RE.search(line)
        if match:
            return re.sub(r"\s+", "", match.group(1)), int(match.group(2))
    return None, None


def find_title(preamble: Sequence[str], document: str | None) -> str:
    """The plan's own title: the last line before its body (the seed's
    "2021年市政府主要工作目标任务分解落实方案"), skipping dates, the document number and 附件."""
    for line in reversed(preamble):
        if (
            line
            and line != document
            and not _DATE_LINE.fullmatch(line)
            and not _ATTACHMENT.fullmatch(line)
        ):
            return line[:300]
    return ""


def year_from_title(title: str) -> int | None:
    """The year a title names (2025年…), if any."""
    match = _YEAR_RE.search(title)
    return int(match.group(1)) if match else None


def first_unit_leads(text: str) -> bool:
    """Whether the notice says the first-listed unit of a task leads."""
    return _FIRST_LEADS.search(text) is not None


def reporting_rule(text: str) -> ReportingRule | None:
    """The reporting rule the notice states (每月20日前, 每季度第1个月的20日前 …)."""
    for pattern, kind, offset in _RULES:
        match = pattern.search(text)
        if match and 1 <= int(match.group("d")) <= 31:
            return ReportingRule(
                period_kind=kind,
                due_day=int(match.group("d")),
                due_month_offset=offset,
                phrase=match.group(0),
            )
    return None

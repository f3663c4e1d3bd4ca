"""Task deadlines as plans write them: a column's cell (a date, 2025-06-30, 6月底前, 三季度末,
全年) or a phrase in the task's text (6月底前, 2025年9月底前, 年底前, 11月30日前).

None as a day means the plan year's end (PRODUCT §2). A cell the rules below do not read is
kept as written, not guessed; a task's text only yields the phrases they do read.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.plan.numerals import chinese_number

# 全年, 持续推进 and the like: the whole year, i.e. its end.
_YEAR_LONG = re.compile(
    r"^(?:全年|年内|年底|年末|持续推进|持续|全年推进|全年持续推进)(?:前|完成)?$"
)
_Y = r"(?:(?P<y>(?:19|20)\d{2})\s*年\s*)?"
_BEFORE = r"(?:前|之前|以前)"
# Phrases read in text and in cells, each with how its day is found. In a task's text only
# phrases that name an end (底, 末, 前, 日) count: "一季度实现开门红" is not a deadline.
_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("day", re.compile(_Y + r"(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]" + _BEFORE + "?")),
    ("month", re.compile(_Y + r"(?P<m>\d{1,2})\s*月\s*(?:底|末|份)" + _BEFORE + "?")),
    (
        "quarter",
        re.compile(_Y + r"第?(?P<q>[一二三四1-4])\s*季度\s*(?:末|底|结束)" + _BEFORE + "?"),
    ),
    ("quarter", re.compile(_Y + r"第?(?P<q>[一二三四1-4])\s*季度" + _BEFORE)),
    ("half", re.compile(_Y + r"(?P<h>上|下)半年\s*(?:末|底)?" + _BEFORE)),
    ("year", re.compile(r"(?:(?P<y>(?:19|20)\d{2})\s*年|年)\s*(?:底|末)" + _BEFORE + "?")),
    ("year", re.compile(r"(?<![全今明当])年内")),
)
# Cells may say less: 6月, 2025年三季度, 上半年, 2025-06-30, 2025/6, 2025.6.30.
_CELL_ONLY: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "day",
        re.compile(r"^(?P<y>(?:19|20)\d{2})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})"),
    ),
    ("month", re.compile(r"^(?P<y>(?:19|20)\d{2})\s*[-/.]\s*(?P<m>\d{1,2})$")),
    ("month", re.compile(r"^" + _Y + r"(?P<m>\d{1,2})\s*月" + _BEFORE + "?$")),
    ("quarter", re.compile(r"^" + _Y + r"第?(?P<q>[一二三四1-4])\s*季度$")),
    ("half", re.compile(r"^" + _Y + r"(?P<h>上|下)半年$")),
)
# Excel keeps dates as day numbers when a cell lost its date format (45838 is 2025-06-30).
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_DAYS = range(36526, 73051)  # 2000-01-01 .. 2099-12-31


@dataclass(frozen=True)
class Deadline:
    """A deadline as written, the day it means (None: the plan year's end), and whether the
    rules could read it."""

    text: str = ""
    day: date | None = None
    understood: bool = True


NONE = Deadline()


def _day(kind: str, match: re.Match[str], year: int, shift: int) -> date | None:
    """The day a phrase means; None when it names no real day (2月30日). Years written out are
    moved with the plan (a plan rehearsed in another year: `shift` years on)."""
    groups = match.groupdict()
    y = int(groups["y"]) + shift if groups.get("y") else year
    try:
        if kind == "day":
            return date(y, int(groups["m"]), int(groups["d"]))
        if kind == "month":
            month = int(groups["m"])
            return date(y, month, calendar.monthrange(y, month)[1])
        if kind == "quarter":
            raw = groups["q"]
            quarter = int(raw) if raw.isdigit() else chinese_number(raw)
            return date(y, 3 * quarter, 30 if quarter in (2, 3) else 31)
        if kind == "half":
            return date(y, 6, 30) if groups["h"] == "上" else date(y, 12, 31)
        return date(y, 12, 31)
    except ValueError:
        return None


def _stored(day: date, year: int) -> date | None:
    """A day as a task keeps it: the plan year's end is None (the default)."""
    return None if day == date(year, 12, 31) else day


def in_text(text: str, *, year: int, shift: int = 0) -> Deadline:
    """The deadline a task's text states: the last day its phrases name (6月底前完成方案,年底前
    建成 → the year's end); none when it names none."""
    found: list[tuple[int, str, date]] = []
    taken: list[range] = []
    for kind, pattern in _PHRASES:
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(span.start in t or t.start in span for t in taken):
                continue  # a phrase inside one already read (6月30日前 holds 30日前)
            day = _day(kind, match, year, shift)
            if day is not None:
                taken.append(span)
                found.append((match.start(), match.group(0), day))
    if not found:
        return NONE
    last = max(day for _pos, _phrase, day in sorted(found))
    phrase = next(p for _pos, p, day in sorted(found) if day == last)
    return Deadline(phrase.strip(), _stored(last, year), True)


def in_cell(value: object, *, year: int, shift: int = 0) -> Deadline:
    """The deadline a table's 完成时限 cell states; kept as written (not understood) when the
    rules cannot read it."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return Deadline(value.isoformat(), _stored(value, year))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if int(value) in _EXCEL_DAYS:
            serial = date.fromordinal(_EXCEL_EPOCH.toordinal() + int(value))
            return in_cell(serial, year=year, shift=shift)
        return Deadline(str(value), None, False)
    written = str(value).strip()
    text = re.sub(r"\s+", "", written)
    if not text:
        return NONE
    if _YEAR_LONG.match(text):
        return Deadline(written, None, True)
    for kind, pattern in _CELL_ONLY:
        match = pattern.match(text)
        read = _day(kind, match, year, shift) if match else None
        if read is not None:
            return Deadline(written, _stored(read, year), True)
    found = in_text(text, year=year, shift=shift)
    if found.text and _mostly(found.text, text):
        return Deadline(written, found.day, True)
    return Deadline(written, None, False)


def _mostly(phrase: str, cell: str) -> bool:
    """Whether a phrase read in a cell is what the cell says, give or take a 完成 or a 前
    (not one date picked out of a sentence such as 2025年6月底前完成设计,视情况推进)."""
    rest = cell.replace(phrase, "", 1)
    return len(re.sub(r"完成|前|之前|以前|[,.;、。]", "", rest)) <= 2

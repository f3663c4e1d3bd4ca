"""A moment a person types, as Chinese offices (and English users) write it: 18:00, 明天 9:00,
明天上午九点, 12月5日 9点, 2026-12-05 09:00, tomorrow 9am; or exactly what was not understood."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.plan.numerals import NUMERAL_CHARS, chinese_number


class TimeProblem(StrEnum):
    """Why a typed moment was not taken."""

    UNKNOWN = "unknown"  # no day and time could be read at all
    NO_TIME = "no_time"  # a day, but no hour (明天)
    NO_DAY = "no_day"  # a day that does not exist (2月30日)
    BAD_HOUR = "bad_hour"  # 25:00, 下午15点
    PAST = "past"  # read, but not in the future


@dataclass(frozen=True)
class Typed:
    """What was read: the moment (local), or the problem (with the moment, when it is past)."""

    when: datetime | None
    problem: TimeProblem | None = None
    day: date | None = None  # the day read, when the time was not
    unread: str = ""  # the words after the day that were not understood


# Days named relative to today.
_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "今晚": 0,
    "today": 0,
    "tonight": 0,
    "明天": 1,
    "明日": 1,
    "明早": 1,
    "tomorrow": 1,
    "后天": 2,
}
# Parts of the day: afternoon and evening words move 1..11 o'clock past noon.
_AFTERNOON = ("下午", "晚上", "今晚", "傍晚", "中午", "tonight", "pm", "p.m.")
_MORNING = ("上午", "早上", "早晨", "凌晨", "明早", "am", "a.m.")
# 晚上12点 (今晚12点, 12 tonight) is the night's midnight, the end of that day, not noon.
_NIGHT = ("晚上", "今晚", "tonight")
_PARTS = sorted({*_AFTERNOON, *_MORNING}, key=len, reverse=True)

_FULL_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
)
_MONTH_DAY = re.compile(r"^(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?")
_RELATIVE_RE = re.compile("^(" + "|".join(sorted(_RELATIVE, key=len, reverse=True)) + ")")
_CLOCK = re.compile(
    r"^(?P<h>\d{1,2})\s*(?:"
    r":\s*(?P<m>\d{1,2})(?::\d{2})?"
    r"|[点时]\s*(?:(?P<half>半)|(?P<quarter>1刻)|(?P<m2>\d{1,2})\s*分?)?"
    r"|(?=\s*(?:am|pm|a\.m\.|p\.m\.)))"
)
_NUMERALS = re.compile(f"[{NUMERAL_CHARS}]+")


def _digits(text: str) -> str:
    """Full-width forms folded, Chinese numerals (九点, 十点半, 二十点) written in digits."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return _NUMERALS.sub(lambda m: str(chinese_number(m.group())), text)


def _strip_part(text: str) -> tuple[str, str | None]:
    """A part of the day at the start of the text (上午, 下午, pm …), taken off."""
    text = text.strip()
    for part in _PARTS:
        if text.startswith(part):
            return text[len(part) :].strip(), part
    return text, None


def _day(text: str, today: date) -> tuple[date | None, str, bool, str | None]:
    """(the day named, the rest, whether a day was named, a part of the day in the word)."""
    text = text.strip()
    for pattern in (_FULL_DATE, _MONTH_DAY):
        match = pattern.match(text)
        if match:
            year = int(match.groupdict().get("y") or today.year)
            try:
                day = date(year, int(match.group("m")), int(match.group("d")))
            except ValueError:
                return None, text[match.end() :], True, None
            return day, text[match.end() :], True, None
    match = _RELATIVE_RE.match(text)
    if match:
        word = match.group(1)
        part = word if word in (*_AFTERNOON, *_MORNING) else None
        return today + timedelta(days=_RELATIVE[word]), text[match.end() :], True, part
    return today, text, False, None


def _clock(text: str, part: str | None) -> timedelta | TimeProblem | None:
    """The hour and minute as the time since the day began (None: no time written; 晚上12点
    is 24:00, the day's end); a part of the day before or after it."""
    text = re.sub(r"^(?:at|@)\s+", "", text.strip())
    text, before = _strip_part(text)
    match = _CLOCK.match(text)
    if match is None:
        return None
    rest, after = _strip_part(text[match.end() :])
    if rest:
        return None
    hour = int(match.group("h"))
    minute = int(match.group("m") or match.group("m2") or 0)
    minute = 30 if match.group("half") else 15 if match.group("quarter") else minute
    said = after or before or part
    if said in _NIGHT and hour == 12 and minute == 0:
        return timedelta(hours=24)
    if said in _AFTERNOON and hour < 12:
        hour += 12 if not (said == "中午" and hour >= 11) else 0
    elif said in _MORNING and hour == 12:
        hour = 0
    if (said in _AFTERNOON and int(match.group("h")) > 12) or hour > 23 or minute > 59:
        return TimeProblem.BAD_HOUR
    return timedelta(hours=hour, minutes=minute)


def read_moment(raw: str, *, now: datetime) -> Typed:
    """The moment a person typed, in `now`'s time zone; a date without a year is the next
    one to come (1月5日 typed in December is next January), a time alone is today."""
    # 2026-12-05T09:00 (ISO) reads as 2026-12-05 09:00.
    text = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})t(?=\d)", r"\1 ", _digits(raw))
    day, rest, named, part = _day(text, now.date())
    rest, part_before = _strip_part(rest)
    part = part_before or part
    if day is None:
        return Typed(None, TimeProblem.NO_DAY)
    clock = _clock(rest, part)
    if isinstance(clock, TimeProblem):
        return Typed(None, clock)
    if clock is None:
        if not named:
            return Typed(None, TimeProblem.UNKNOWN)
        problem = TimeProblem.UNKNOWN if rest.strip() else TimeProblem.NO_TIME
        return Typed(None, problem, day=day, unread=rest.strip())
    when = datetime.combine(day, time.min, tzinfo=now.tzinfo) + clock
    yearless = named and not _FULL_DATE.match(text) and _MONTH_DAY.match(text)
    if yearless and when <= now:
        try:
            when = when.replace(year=when.year + 1)
        except ValueError:  # 2月29日
            return Typed(None, TimeProblem.NO_DAY)
    if when <= now + timedelta(seconds=30):
        return Typed(when, TimeProblem.PAST)
    return Typed(when)


def example_moment(now: datetime) -> datetime:
    """A moment to show in a prompt: tomorrow at 9:00, always in the future."""
    tomorrow = now.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(9, 0), tzinfo=now.tzinfo)

"""Typed moments: the ways offices (and English users) write a time, and what is refused."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.typed_time import TimeProblem, example_moment, read_moment

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 16, 4, tzinfo=TZ)  # a Thursday afternoon


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("18:00", datetime(2026, 12, 3, 18, 0)),
        ("18：00", datetime(2026, 12, 3, 18, 0)),
        ("今晚8点", datetime(2026, 12, 3, 20, 0)),
        ("今晚12点", datetime(2026, 12, 4, 0, 0)),  # the night's midnight, not noon
        ("明天晚上12点", datetime(2026, 12, 5, 0, 0)),
        ("明天中午12点", datetime(2026, 12, 4, 12, 0)),
        ("明天下午12:30", datetime(2026, 12, 4, 12, 30)),
        ("明天 9:00", datetime(2026, 12, 4, 9, 0)),
        ("明天上午九点", datetime(2026, 12, 4, 9, 0)),
        ("明天下午三点半", datetime(2026, 12, 4, 15, 30)),
        ("明天 九点一刻", datetime(2026, 12, 4, 9, 15)),
        ("后天 10:15", datetime(2026, 12, 5, 10, 15)),
        ("12月5日 9点", datetime(2026, 12, 5, 9, 0)),
        ("12月5号9点", datetime(2026, 12, 5, 9, 0)),
        ("十二月五日上午九点", datetime(2026, 12, 5, 9, 0)),
        ("1月5日 9:00", datetime(2027, 1, 5, 9, 0)),  # no year: the next one to come
        ("2026-12-05 09:00", datetime(2026, 12, 5, 9, 0)),
        ("2026-12-05T09:00", datetime(2026, 12, 5, 9, 0)),
        ("2026年12月5日 9:00", datetime(2026, 12, 5, 9, 0)),
        ("tomorrow 9:00", datetime(2026, 12, 4, 9, 0)),
        ("tomorrow 9am", datetime(2026, 12, 4, 9, 0)),
        ("Tomorrow at 9:30 PM", datetime(2026, 12, 4, 21, 30)),
    ],
)
def test_the_usual_forms_are_read(typed: str, expected: datetime) -> None:
    read = read_moment(typed, now=NOW)
    assert read.problem is None and read.when == expected.replace(tzinfo=TZ)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("明天", TimeProblem.NO_TIME),
        ("随便什么时候", TimeProblem.UNKNOWN),
        ("明天 9", TimeProblem.UNKNOWN),
        ("2月30日 9点", TimeProblem.NO_DAY),
        ("下午15点", TimeProblem.BAD_HOUR),
        ("25:00", TimeProblem.BAD_HOUR),
        ("12:00", TimeProblem.PAST),
        ("2026-06-11 09:00", TimeProblem.PAST),
    ],
)
def test_what_cannot_be_taken_says_why(typed: str, problem: TimeProblem) -> None:
    assert read_moment(typed, now=NOW).problem is problem


def test_a_day_read_without_an_hour_keeps_the_day_and_the_words_not_understood() -> None:
    read = read_moment("明天 9", now=NOW)
    assert (read.day, read.unread) == (date(2026, 12, 4), "9")


def test_the_example_is_always_in_the_future() -> None:
    late = datetime(2026, 12, 31, 23, 59, tzinfo=TZ)
    assert example_moment(late) == datetime(2027, 1, 1, 9, 0, tzinfo=TZ)
    assert read_moment(f"{example_moment(NOW):%Y-%m-%d %H:%M}", now=NOW).problem is None

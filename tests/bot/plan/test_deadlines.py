"""Deadlines as plans write them, in a task's text and in a table's 完成时限 column."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.plan.deadlines import in_cell, in_text


@pytest.mark.parametrize(
    ("text", "day", "phrase"),
    [
        ("6月底前完成改造", date(2025, 6, 30), "6月底前"),
        ("2025年9月底前建成投用", date(2025, 9, 30), "2025年9月底前"),
        ("三季度末前完成验收", date(2025, 9, 30), "三季度末前"),
        ("年底前全面建成", None, "年底前"),
        ("11月30日前完成招标", date(2025, 11, 30), "11月30日前"),
        ("6月底前完成方案,年底前建成", None, "年底前"),
        ("上半年前完成", date(2025, 6, 30), "上半年前"),
        ("年内完成主体工程", None, "年内"),
        # Words that are not deadlines: the year's end stands, nothing is written.
        ("一季度实现开门红", None, ""),
        ("持续推进农村人居环境整治", None, ""),
        ("全年改造老旧小区", None, ""),
    ],
)
def test_phrases_in_a_tasks_text(text: str, day: date | None, phrase: str) -> None:
    found = in_text(text, year=2025)
    assert (found.day, found.text, found.understood) == (day, phrase, True)


@pytest.mark.parametrize(
    ("cell", "day", "understood"),
    [
        (datetime(2025, 6, 30), date(2025, 6, 30), True),  # an Excel date
        (date(2025, 12, 31), None, True),
        (45838, date(2025, 6, 30), True),  # an Excel day number that lost its format
        ("2025-06-30", date(2025, 6, 30), True),
        ("2025/6/30", date(2025, 6, 30), True),
        ("2025.9", date(2025, 9, 30), True),
        ("6月", date(2025, 6, 30), True),
        ("6月底前", date(2025, 6, 30), True),
        ("9月30日", date(2025, 9, 30), True),
        ("三季度", date(2025, 9, 30), True),
        ("2025年三季度末", date(2025, 9, 30), True),
        ("上半年", date(2025, 6, 30), True),
        ("全年", None, True),
        ("持续推进", None, True),
        ("年底前", None, True),
        ("长期坚持", None, False),
        ("2025年3月-2026年6月分阶段推进", None, False),
    ],
)
def test_cells_of_a_deadline_column(cell: object, day: date | None, understood: bool) -> None:
    found = in_cell(cell, year=2025)
    assert (found.day, found.understood) == (day, understood)
    assert found.text  # always kept as written (an Excel date as its ISO form)


def test_written_years_move_with_the_plan() -> None:
    assert in_text("2021年9月底前", year=2026, shift=5).day == date(2026, 9, 30)
    assert in_cell("2021-06-30", year=2026, shift=5).day == date(2026, 6, 30)
    assert in_text("9月底前", year=2026, shift=5).day == date(2026, 9, 30)

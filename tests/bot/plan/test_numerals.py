"""Chinese numerals: one module reads and writes them for the parser, the CLI and /status."""

from __future__ import annotations

import pytest

from bot.plan.numerals import chinese_number, chinese_numeral, section_numeral


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十", 10), ("十一", 11), ("二十三", 23), ("一百", 100), ("一百零五", 105)],
)
def test_chinese_numbers(text: str, value: int) -> None:
    assert chinese_number(text) == value
    assert chinese_numeral(value) == text


def test_chinese_numerals_read_back_for_every_section_number() -> None:
    assert all(chinese_number(chinese_numeral(n)) == n for n in range(1, 1000))
    assert [chinese_numeral(n) for n in (20, 21, 110, 999)] == [
        "二十",
        "二十一",
        "一百一十",
        "九百九十九",
    ]


def test_one_hundred_and_twenty_one_from_the_one_module() -> None:
    # The CLI once had its own copy, which wrote 100 as "十十".
    assert chinese_numeral(100) == "一百"
    assert chinese_numeral(21) == "二十一"
    assert section_numeral(100) == "一百"
    assert section_numeral(1000) == "1000"

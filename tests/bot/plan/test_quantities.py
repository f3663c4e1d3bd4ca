"""Values as liaisons type them, read in the target's unit (万/亿 understood)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.plan.quantities import QuantityError, plain, read_quantity


@pytest.mark.parametrize(
    ("typed", "unit", "value"),
    [
        ("18.5", "万人", "18.5"),
        ("18.5万", "万人", "18.5"),
        ("18.5万人", "万人", "18.5"),
        ("186500人", "万人", "18.65"),
        ("186,500 人", "万人", "18.65"),
        ("二十五万", "万人", "25"),
        ("1.2万", "个", "12000"),
        ("1200亿元", "亿元", "1200"),
        ("0.12万亿元", "亿元", "1200"),
        ("5.2%", "%", "5.2"),
        ("５．２％", "%", "5.2"),
        ("-1.5", "%", "-1.5"),
        ("三", "个", "3"),
    ],
)
def test_values_in_the_targets_unit(typed: str, unit: str, value: str) -> None:
    assert plain(read_quantity(typed, unit)) == value


@pytest.mark.parametrize("typed", ["很多", "12a", "1.2.3", "", "约20", "若干"])
def test_not_a_number(typed: str) -> None:
    with pytest.raises(QuantityError) as caught:
        read_quantity(typed, "个")
    assert caught.value.reason == "not_number"


@pytest.mark.parametrize(("typed", "unit", "said"), [("25个", "万人", "个"), ("5亿元", "%", "元")])
def test_another_unit_is_refused(typed: str, unit: str, said: str) -> None:
    with pytest.raises(QuantityError) as caught:
        read_quantity(typed, unit)
    assert (caught.value.reason, caught.value.unit) == ("unit", said)


def test_plain_numbers() -> None:
    assert plain(Decimal("25.000")) == "25" and plain(Decimal("1E+4")) == "10000"

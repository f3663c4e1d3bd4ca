"""Quantities as plans and people write them: 7%, 1.2万家, 2400亿元, 二十五万人, 186500人.

A unit is a magnitude (万, 亿, 万亿) and a base (人, 元, 个, %); 万人 and 人 share a base, so a
value typed in one is read in the other. Numbers are Decimals: exact, as targets are compared
with the 10- and 30-point thresholds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

# Longest first, so that 万亿 is not read as 万 and 人次 not as 人.
MAGNITUDES: dict[str, int] = {"万亿": 10**12, "亿": 10**8, "千万": 10**7, "万": 10**4}
BASE_UNITS = (
    "个百分点",
    "微克/立方米",
    "吨/日",
    "平方公里",
    "平方米",
    "千瓦时",
    "千瓦",
    "公里",
    "公顷",
    "美元",
    "人次",
    "项次",
    "元",
    "人",
    "户",
    "家",
    "个",
    "所",
    "条",
    "座",
    "处",
    "名",
    "台",
    "项",
    "张",
    "场",
    "套",
    "亩",
    "吨",
    "辆",
    "间",
    "栋",
    "件",
    "%",
)
BASE_PATTERN = "|".join(re.escape(u) for u in BASE_UNITS)
MAGNITUDE_PATTERN = "|".join(MAGNITUDES)
ARABIC = r"\d+(?:\.\d+)?"
# A Chinese numeral as a plan writes a quantity (二十五, 一千二百, 三点五); digits alone (八条,
# 六个一体化) are names more often than figures, so one must hold 十, 百, 千 or 点.
CHINESE = r"[一二三四五六七八九两十][零一二三四五六七八九两十百千点]*"


def is_chinese_quantity(numeral: str) -> bool:
    """Whether a Chinese numeral reads as a figure (二十五, 一千二百, 三点五), not a name."""
    return any(ch in numeral for ch in "十百千点")


def to_decimal(numeral: str) -> Decimal:
    """An Arabic or Chinese numeral (7, 22.5, 二十五, 一千二百, 三点五) as a Decimal."""
    text = numeral.strip()
    if re.fullmatch(ARABIC, text):
        return Decimal(text)
    try:
        value = cn2an.cn2an(text, "strict")
    except (ValueError, KeyError) as exc:  # cn2an says ValueError; be safe on odd input
        raise ValueError(f"not a number: {numeral!r}") from exc
    return Decimal(str(value))


@dataclass(frozen=True)
class Unit:
    """A unit split into its magnitude (1, 10^4, 10^8, 10^12) and base (人, 元, %; '' for a
    bare 万)."""

    factor: int
    base: str

    @classmethod
    def parse(cls, unit: str) -> Unit:
        """万人 → (10^4, 人); 亿元 → (10^8, 元); % → (1, %); 万 → (10^4, '')."""
        for word, factor in MAGNITUDES.items():
            if unit.startswith(word):
                return cls(factor, unit[len(word) :])
        return cls(1, unit)


def plain(value: Decimal) -> str:
    """A Decimal as people write it: 25, 18.65, 0.5 (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def number_text(value: str) -> str:
    """A stored decimal as shown: '25', '18.65'."""
    try:
        return plain(Decimal(value))
    except InvalidOperation:
        return value


class QuantityError(ValueError):
    """Typed text that is not a quantity in the unit asked for."""

    def __init__(self, reason: str, unit: str = "") -> None:
        super().__init__(reason)
        self.reason = reason  # "not_number" or "unit"
        self.unit = unit  # the unit typed, for "unit"


_TYPED = re.compile(
    rf"^(?P<sign>[-+])?(?P<num>{ARABIC}|{CHINESE})\s*(?P<mag>{MAGNITUDE_PATTERN})?\s*(?P<base>{BASE_PATTERN})?$"
)


def read_quantity(raw: str, unit: str) -> Decimal:
    """What a person typed (25, 25万, 25万人, 186500人, 二十五万, 1,200亿元) as a number in
    `unit`. A bare number is already in it; a magnitude or a unit of the same base is
    converted (186500人 in 万人 is 18.65); another base (个 for 万人) is refused. A rate may be
    negative (-1.5%)."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace(" ", "")
    text = text.replace("％", "%")
    match = _TYPED.match(text)
    if match is None:
        raise QuantityError("not_number")
    number = match.group("num")
    if not re.fullmatch(ARABIC, number) and not (is_chinese_quantity(number) or len(number) == 1):
        raise QuantityError("not_number")
    try:
        value = to_decimal(number)
    except ValueError as exc:
        raise QuantityError("not_number") from exc
    if match.group("sign") == "-":
        value = -value  # a growth rate may fall
    target = Unit.parse(unit)
    typed_base = match.group("base")
    if typed_base is not None and typed_base != target.base:
        raise QuantityError("unit", typed_base)
    magnitude = MAGNITUDES.get(match.group("mag") or "", 1)
    if typed_base is None and magnitude == 1:
        return value  # a bare number is in the target's unit
    return value * magnitude / target.factor

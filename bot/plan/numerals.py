"""Chinese numerals as plans number their sections and tasks (一, 十一, 二十三, 一百零五)."""

from __future__ import annotations

# The characters a plan's numerals are written with (两 as in 两百, rare but seen).
NUMERAL_CHARS = "零一二三四五六七八九十百两"
_DIGITS = "零一二三四五六七八九"
_VALUE = {ch: i for i, ch in enumerate(_DIGITS)} | {"两": 2}


def chinese_number(text: str) -> int:
    """Convert a Chinese numeral up to 999 (一, 十一, 二十三, 一百) to an int."""
    if not text or any(ch not in NUMERAL_CHARS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _VALUE[ch]
    return total + current


def chinese_numeral(number: int) -> str:
    """Write 1..999 the way a document numbers its sections (一, 十一, 二十, 一百零五)."""
    if not 1 <= number <= 999:
        raise ValueError(f"no Chinese section numeral for {number}")
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    out = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        out += "十" if tens == 1 and not hundreds else f"{_DIGITS[tens]}十"
    elif hundreds and ones:
        out += "零"
    return out + (_DIGITS[ones] if ones else "")


def section_numeral(number: int) -> str:
    """A section's number as a heading shows it: Chinese up to 999, digits beyond."""
    return chinese_numeral(number) if 1 <= number <= 999 else str(number)


def number_ranges(numbers: list[int]) -> str:
    """Task numbers as ranges: 1-3, 7, 9-12."""
    if not numbers:
        return ""
    parts: list[str] = []
    ordered = sorted(set(numbers))
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)

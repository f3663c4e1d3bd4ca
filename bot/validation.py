"""What people may type: report texts, return reasons and broadcast texts, and percents."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationError, field_validator

MAX_TEXT = 500


class TextProblem(StrEnum):
    """Why a text was refused."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    CONTROL = "control"
    NO_WORDS = "no_words"  # only punctuation or symbols: a stray key, not a report


_ALLOWED_CONTROLS = {"\n", "\t"}


# Characters that show nothing yet are not whitespace to str.strip(): zero-width spaces and
# joiners, the byte-order mark, Hangul fillers (ㅤ), the braille blank. A text of only these
# (and spaces) is empty; at its ends they are trimmed like spaces.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u3164\u115f\u1160\uffa0\u2800\u180e\u00ad"


def _blank(ch: str) -> bool:
    return ch.isspace() or ch in _INVISIBLE


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    if all(_blank(ch) for ch in text):
        return ""
    return text.strip(_INVISIBLE + "".join(ch for ch in set(text) if ch.isspace()))


class ReportText(BaseModel):
    """A report's text: 1 to 500 characters, no control characters but line breaks."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("text", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        return _clean(value) if isinstance(value, str) else value

    @field_validator("text")
    @classmethod
    def _no_controls(cls, value: str) -> str:
        if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value):
            raise ValueError("control characters")
        return value


def _has_words(text: str) -> bool:
    """Whether a text holds a letter (any script, Chinese included) or a digit."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def check_text(raw: str) -> str | TextProblem:
    """The cleaned text, or why it cannot be a report."""
    try:
        text = ReportText(text=raw).text
    except ValidationError as exc:
        kind = exc.errors()[0]["type"]
        if kind == "string_too_short":
            return TextProblem.EMPTY
        if kind == "string_too_long":
            return TextProblem.TOO_LONG
        return TextProblem.CONTROL
    return text if _has_words(text) else TextProblem.NO_WORDS


def parse_percent(raw: str) -> int | None:
    """A typed percent (\"60\", \"60%\", \"６０\"), or None when it is not 0–100."""
    text = unicodedata.normalize("NFKC", raw).strip().rstrip("%").strip()
    if not re.fullmatch(r"\d{1,3}", text):
        return None
    value = int(text)
    return value if 0 <= value <= 100 else None

"""The message catalog (every text users see, in Chinese and English) and its text helpers.

Chinese (zh-CN) is the default; the helpers escape, write dates and keep to Telegram's length.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from html import escape
from pathlib import Path
from typing import Literal

import yaml

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
_LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """All messages of one language, by key."""
    text = (_LOCALES / f"{lang}.yaml").read_text(encoding="utf-8")
    # libyaml's loader reads a catalog ten times faster: each worker process loads it anew.
    if hasattr(yaml, "CSafeLoader"):
        raw = yaml.load(text, Loader=yaml.CSafeLoader)
    else:  # pragma: no cover - PyYAML built without libyaml
        raw = yaml.safe_load(text)
    return {str(k): str(v) for k, v in raw.items()}


def t(lang: Lang, key: str, /, **values: object) -> str:
    """A message in a language, with values filled in (missing English falls back to zh)."""
    text = catalog(lang).get(key) or catalog(DEFAULT_LANG)[key]
    return text.format(**values) if values else text


def lang_of(stored: str | None) -> Lang:
    """The language a stored choice names: English only when it says so, else Chinese."""
    return "en" if stored == "en" else "zh"


def pick_language(stored: str | None, telegram_code: str | None) -> Lang:
    """The user's choice (/lang) first, then Telegram's language, else Chinese."""
    if stored in LANGUAGES:
        return lang_of(stored)
    if telegram_code and telegram_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def h(text: object) -> str:
    """Escape user or document text for Telegram's HTML parse mode."""
    return escape(str(text), quote=False)


def date_text(lang: Lang, day: date) -> str:
    """A date the way an office writes it: 6月25日 / 25 Jun."""
    if lang == "zh":
        return f"{day.month}月{day.day}日"
    return day.strftime("%d %b").lstrip("0")


def full_date_text(lang: Lang, day: date) -> str:
    """A date with its year: 2026年6月25日 / 25 Jun 2026."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime("%d %b %Y").lstrip("0")


MAX_MESSAGE = 4096  # Telegram's limit for a message's text


def fit(text: str, limit: int = MAX_MESSAGE) -> str:
    """Cut a message to Telegram's limit at a line break, never inside an HTML tag."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2] + "\n…"

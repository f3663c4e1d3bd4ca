"""Callback data: short prefixed strings with one parser (Telegram allows 64 bytes)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64

# Patterns for CallbackQueryHandler registration; anchored so prefixes never overlap.
MYTASKS_PAGE = r"^mt:\d+$"
TASK_OPEN = r"^tk:\d+:\d+$"
LANG_PICK = r"^lang:(zh|en)$"


@dataclass(frozen=True)
class Parsed:
    """A parsed callback: its kind and integer or text arguments."""

    kind: str
    args: tuple[str, ...]

    def int(self, index: int) -> int:
        """An argument as an int."""
        return int(self.args[index])


def _checked(data: str) -> str:
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def mytasks_page(page: int) -> str:
    """Show page N of /mytasks."""
    return _checked(f"mt:{page}")


def task_open(number: int, page: int) -> str:
    """Open task N (remembering the list page to go back to)."""
    return _checked(f"tk:{number}:{page}")


def lang_pick(lang: str) -> str:
    """Choose a language."""
    return _checked(f"lang:{lang}")


def parse(data: str | None) -> Parsed | None:
    """Split callback data into kind and arguments; None for anything malformed."""
    if not data or not re.fullmatch(r"[a-z]+(:[A-Za-z0-9_-]+)*", data):
        return None
    kind, *args = data.split(":")
    return Parsed(kind, tuple(args))

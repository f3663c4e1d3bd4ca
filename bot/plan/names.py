"""A plan's short name (简称): what people call it, taken from its title unless given."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol, TypeVar

MAX_LENGTH = 20


class _Named(Protocol):
    short_name: str
    document: str


PlanLike = TypeVar("PlanLike", bound=_Named)
# Titles say it many ways; the office says it one way.
KNOWN = (
    ("民生实事", "民生实事"),
    ("为民办实事", "民生实事"),
    ("重点项目", "重点项目"),
    ("政府工作报告", "政府工作报告"),
    ("主要工作目标", "政府工作报告"),
    ("批示", "领导批示"),
)
_YEAR = re.compile(r"(?:19|20)\d{2}年度?")
_PREFIX = re.compile(r"^(?:关于印发|关于|全市|市政府|市)+")
_SUFFIX = re.compile(
    r"(?:的通知|分解落实方案|任务分解表|分解表|实施方案|工作方案|方案|清单|计划|分解)+$"
)


def short_name_of(title: str) -> str:
    """The usual short name for a plan's title (2021年市政府主要工作目标… → 政府工作报告)."""
    for needle, name in KNOWN:
        if needle in title:
            return name
    core = _SUFFIX.sub("", _PREFIX.sub("", _YEAR.sub("", title.strip())))
    return core[:MAX_LENGTH] or title.strip()[:MAX_LENGTH] or "工作计划"


def valid_short_name(name: str) -> str | None:
    """The name cleaned up, or None when it cannot be one: 1–20 characters, no spaces (it is
    typed in commands such as /task 民生实事 2), and not a number."""
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= MAX_LENGTH or any(ch.isspace() for ch in cleaned):
        return None
    if cleaned.isdigit():
        return None
    return cleaned


def find_plan(ref: str, plans: Sequence[PlanLike]) -> PlanLike | None:
    """The plan a person means by `ref`: its short name, its document number, or the start of
    one short name only (民生 for 民生实事); None when none or several match."""
    wanted = ref.strip()
    exact = [p for p in plans if wanted in (p.short_name, p.document)]
    if exact:
        return exact[0]
    starting = [p for p in plans if wanted and p.short_name.startswith(wanted)]
    return starting[0] if len(starting) == 1 else None


_TASK_REF = re.compile(r"^(?P<plan>\D*?)\s*#?(?P<number>\d{1,6})\.?$")


def task_ref(words: Sequence[str]) -> tuple[str | None, int] | None:
    """A task as people name it after /task or /report: `2`, `民生实事 2`, `2 民生实事` or
    `民生2` → (plan reference or None, number); None when no number is there."""
    text = unicodedata.normalize("NFKC", " ".join(words)).strip()
    match = _TASK_REF.match(text)
    if match is None:
        parts = text.split()
        if len(parts) == 2 and parts[0].isdigit():  # the number first: 2 民生实事
            match = _TASK_REF.match(f"{parts[1]} {parts[0]}")
    if match is None:
        return None
    plan = match.group("plan").strip() or None
    return plan, int(match.group("number"))

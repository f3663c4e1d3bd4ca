"""A plan's short name (简称): what people call it, taken from its title unless given."""

from __future__ import annotations

import re

MAX_LENGTH = 20
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

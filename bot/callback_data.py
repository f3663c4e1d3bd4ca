"""Callback data: short prefixed strings with one parser (Telegram allows 64 bytes).

In bot/ rather than handlers/ because the scheduler builds buttons (nudges) too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64

# Patterns for CallbackQueryHandler registration; anchored so prefixes never overlap. Numbers
# are ASCII digits, at most nine (a database integer); a client can send any callback data,
# and whatever matches no pattern is answered as a stale button.
N = "[0-9]{1,9}"
MYTASKS_PAGE = rf"^mt:{N}$"
TASK_OPEN = rf"^tk:{N}:{N}$"
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


# Reports (rp:*), replies' status (rq:*), reviews (rv:*).
REPORT = rf"^rp:(p:{N}|t:{N}:{N}|s:[a-z]+|c:{N}|ok|ed|x|keep)$"
REPLY_STATUS = rf"^rq:{N}:[a-z]+$"
REVIEW = rf"^rv:[ar]:{N}$"


def report_page(page: int) -> str:
    """Page N of the task picker."""
    return _checked(f"rp:p:{page}")


def report_task(task_id: int, unit_id: int) -> str:
    """Start a report on a task for a unit."""
    return _checked(f"rp:t:{task_id}:{unit_id}")


def report_status(code: str) -> str:
    """Choose a status in the draft."""
    return _checked(f"rp:s:{code}")


def report_percent(value: int) -> str:
    """Choose a percent in the draft."""
    return _checked(f"rp:c:{value}")


def report_action(action: str) -> str:
    """ok (submit), ed (edit), x (cancel), keep (keep the previous text)."""
    return _checked(f"rp:{action}")


def reply_status(report_id: int, code: str) -> str:
    """Set the status of a report recorded from a reply."""
    return _checked(f"rq:{report_id}:{code}")


def review(action: str, report_id: int) -> str:
    """a = accept, r = return."""
    return _checked(f"rv:{action}:{report_id}")


SNOOZE = rf"^nz:{N}:[a-z]+$"


def snooze(period_id: int, step: str) -> str:
    """稍后提醒 under a nudge."""
    return _checked(f"nz:{period_id}:{step}")


LATE = rf"^ch:(all|{N})$"
ACK = rf"^ack:{N}$"


def chase_unit(unit_id: int) -> str:
    """催办 one unit from /late."""
    return _checked(f"ch:{unit_id}")


def chase_all() -> str:
    """催办 every late unit from /late."""
    return _checked("ch:all")


def ack(chase_id: int) -> str:
    """收到 under a 催办."""
    return _checked(f"ack:{chase_id}")


BROADCAST = r"^bc:"


def broadcast(action: str, arg: str | int | None = None) -> str:
    """A /broadcast step: a:<audience>, s:<section>, go, at, x."""
    return _checked(f"bc:{action}" + (f":{arg}" if arg is not None else ""))

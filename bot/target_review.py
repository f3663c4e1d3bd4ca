"""Coordinators' review of a task's targets: confirm, add or replace one from the plan's words,
switch its comparator or kind, remove one. Each change is audited and marks the task reviewed,
so a re-import keeps the coordinator's targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.plan.targets import COMPARATORS, Target, extract_targets
from data.models import Contact, Task, TaskTarget
from data.repo import audit
from data.repo.target_sync import live_targets, new_target
from data.repo.targets import fields_of

# 跳转 order of the comparator button: at least → at most → about (a range is typed).
CYCLE = {"ge": "le", "le": "approx", "approx": "ge", "range": "ge"}


def read_phrase(text: str) -> Target | None:
    """One target from words as a plan writes them (新增城镇就业28万人以上); None otherwise."""
    found = extract_targets(text)
    return found[0] if len(found) == 1 else None


def _reviewed(
    task: Task,
    by: Contact,
    action: str,
    detail: dict[str, object],
    now: datetime,
    session: AsyncSession,
) -> None:
    task.targets_reviewed_at = now
    audit.by_person(session, by, action, ("task", task.id), at=now, detail=detail)


def add(session: AsyncSession, *, task: Task, target: Target, by: Contact, now: datetime) -> None:
    """Add a target at the end of the task's list."""
    position = max((t.position for t in task.targets), default=-1) + 1
    row = new_target(target, position=position)
    task.targets.append(row)
    _reviewed(task, by, "target.add", {"number": task.number, **fields_of(row)}, now, session)


def replace(
    session: AsyncSession, *, task: Task, index: int, target: Target, by: Contact, now: datetime
) -> bool:
    """Replace the task's `index`-th (1-based) live target; False when there is none. The old
    one is retired (its reported values stay with it) and the new one takes its place."""
    live = live_targets(task)
    if not 1 <= index <= len(live):
        return False
    old = live[index - 1]
    old.retired = True
    add(session, task=task, target=target, by=by, now=now)
    task.targets[-1].position = old.position
    return True


def change(
    session: AsyncSession, *, task: Task, target: TaskTarget, what: str, by: Contact, now: datetime
) -> None:
    """A button on a target: c (next comparator), k (cumulative ↔ rate), d (remove)."""
    before = fields_of(target)
    if what == "c":
        target.comparator = CYCLE.get(target.comparator, "ge")
        if target.comparator != "range":
            target.value_max = None
    elif what == "k":
        target.kind = "rate" if target.kind == "cumulative" else "cumulative"
    else:
        target.retired = True
    detail = {"number": task.number, "from": before, "to": fields_of(target), "what": what}
    _reviewed(task, by, "target.change", detail, now, session)


def confirm(session: AsyncSession, *, task: Task, by: Contact, now: datetime) -> None:
    """The targets are right as they are."""
    _reviewed(task, by, "target.confirm", {"number": task.number}, now, session)


__all__ = ["COMPARATORS", "CYCLE", "add", "change", "confirm", "read_phrase", "replace"]

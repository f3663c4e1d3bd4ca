"""Coordinators' changes to the plan: task deadlines, assignments, the period's due day."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.plan.directory import DirectoryError, load_directory
from data.models import Contact, Plan, Task, Unit
from data.repo import audit
from data.repo.tasks import assign_members, collectives_of, task_by_number
from data.repo.units import resolve_unit

_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
)


def parse_day(text: str, *, default_year: int) -> date | None:
    """A date as offices write it: 2026-09-30, 2026/9/30, 2026年9月30日, 9月30日."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text.strip())
        if match:
            year = int(match.group("y") or default_year)
            try:
                return date(year, int(match.group("m")), int(match.group("d")))
            except ValueError:
                return None
    return None


def _audit(
    session: AsyncSession,
    *,
    by: Contact,
    now: datetime,
    action: str,
    entity_id: int,
    detail: dict[str, Any],
) -> None:
    """Audit a coordinator's change in its transaction; the entity is the action's first word
    (task.deadline → task, plan.due_day → plan)."""
    target = (action.partition(".")[0], entity_id)
    audit.by_person(session, by, action, target, at=now, detail=detail)


async def set_deadline(
    session: AsyncSession, *, task: Task, deadline: date | None, by: Contact, now: datetime
) -> None:
    """Set (or, with None, clear back to the year's end) a task's deadline; audited."""
    before = task.deadline
    task.deadline = deadline
    detail = {
        "number": task.number,
        "from": before.isoformat() if before else None,
        "to": deadline.isoformat() if deadline else None,
    }
    _audit(session, by=by, now=now, action="task.deadline", entity_id=task.id, detail=detail)


@dataclass(frozen=True)
class UnitFound:
    """A unit as a coordinator named it, or the units the name could mean."""

    unit: Unit | None
    candidates: tuple[str, ...] = ()


async def find_unit(session: AsyncSession, *, name: str) -> UnitFound:
    """A unit by its name, an alias, or the everyday name people use (发改委 → 市发改委,
    江宁区 → 江宁区政府); an ambiguous name (江宁) gives its candidates instead."""
    unit = await resolve_unit(session, name=name)
    if unit is not None:
        return UnitFound(unit)
    try:
        found = load_directory().lookup(name)
    except DirectoryError:
        return UnitFound(None)
    if found.name is None:
        return UnitFound(None, found.candidates)
    return UnitFound(await resolve_unit(session, name=found.name))


@dataclass
class Assignment:
    """What /assign did."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_member: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


async def assign(
    session: AsyncSession, *, task: Task, names: list[str], by: Contact, now: datetime
) -> Assignment:
    """Pick members of the task's "relevant" collectives (相关区政府 …) for this task."""
    result = Assignment()
    relevant = {
        tu.unit_id: tu.unit
        for tu in task.units
        if tu.unit.kind == "collective" and tu.unit.relevant
    }
    for name in names:
        found = await find_unit(session, name=name)
        unit = found.unit
        if found.candidates:
            result.ambiguous.append((name, found.candidates))
            continue
        if unit is None:
            result.unknown.append(name)
            continue
        matching = [c for c in await collectives_of(session, unit_id=unit.id) if c in relevant]
        if not matching:
            result.not_member.append(unit.name)
            continue
        added = await assign_members(
            session, task_id=task.id, collective_id=matching[0], unit_ids=[unit.id]
        )
        (result.added if added else result.already).append(unit.name)
    if result.added:
        detail = {"number": task.number, "units": result.added}
        _audit(session, by=by, now=now, action="task.assign", entity_id=task.id, detail=detail)
    return result


async def set_due_day(
    session: AsyncSession, *, plan: Plan, due_day: int, by: Contact, now: datetime
) -> None:
    """Change the plan's due day (this period and the next); audited."""
    detail = {"from": plan.due_day, "to": due_day}
    plan.due_day = due_day
    _audit(session, by=by, now=now, action="plan.due_day", entity_id=plan.id, detail=detail)


async def find_task(session: AsyncSession, *, plan: Plan, number: int) -> Task | None:
    """A live task of the plan by number, with its units."""
    return await task_by_number(session, plan_id=plan.id, number=number)

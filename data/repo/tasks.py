"""Task queries for people: which tasks a unit owes, a task's details, its reports."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import CompoundSelect, Select, and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from data.models import (
    CollectiveMember,
    Contact,
    Report,
    Section,
    Task,
    TaskAssignment,
    TaskUnit,
    Unit,
)

DUTY_CHUNK = 5_000


@dataclass(frozen=True)
class Duty:
    """A unit's role on a task, directly or through a collective it belongs to."""

    task_id: int
    unit_id: int
    role: str
    via: str | None  # the collective's name, when the duty comes through one


def duty_rows(plan_id: int | None, unit_ids: Collection[int] | None) -> CompoundSelect[Any]:
    """(task id, unit id, role, via) rows of a plan's live tasks (None: every plan's) for the
    units asked about (None: all units), directly or through a collective; a pair may come
    more than once (directly and through a collective, as lead and as co)."""
    ids = list(unit_ids) if unit_ids is not None else None
    live = and_(Task.id == TaskUnit.task_id, Task.retired.is_(False))
    if plan_id is not None:
        live = and_(live, Task.plan_id == plan_id)
    collective = aliased(Unit)

    def holders(unit: Any, via: Any) -> Select[Any]:
        """(task, unit, role, via) rows of the plan's live tasks, for the units asked about."""
        query = select(TaskUnit.task_id, unit.label("unit_id"), TaskUnit.role, via.label("via"))
        query = query.join(Task, live)
        return query.where(unit.in_(ids)) if ids is not None else query

    # Units named on a task hold their role on it.
    direct = holders(TaskUnit.unit_id, literal(None, Unit.name.type)).join(
        Unit, and_(Unit.id == TaskUnit.unit_id, Unit.kind == "ordinary")
    )
    # Members of an ordinary collective (各区政府) hold its role on every one of its tasks.
    through_members = (
        holders(CollectiveMember.member_id, collective.name)
        .join(CollectiveMember, CollectiveMember.collective_id == TaskUnit.unit_id)
        .join(collective, collective.id == TaskUnit.unit_id)
        .where(collective.relevant.is_(False))
    )
    # Members of a "relevant" collective (相关区政府) only where a coordinator assigned them.
    assigned = and_(
        TaskAssignment.task_id == TaskUnit.task_id,
        TaskAssignment.collective_id == TaskUnit.unit_id,
    )
    through_assignment = (
        holders(TaskAssignment.unit_id, collective.name)
        .join(TaskAssignment, assigned)
        .join(collective, collective.id == TaskUnit.unit_id)
    )
    return union_all(direct, through_members, through_assignment)


async def duties_of_units(
    session: AsyncSession, *, plan_id: int | None, unit_ids: Collection[int] | None
) -> list[Duty]:
    """Every (task, unit, role) the units (None: all units) hold on a plan's live tasks (None:
    every plan's), directly or as members of a collective; collectives themselves are left
    out."""
    if unit_ids is not None and not unit_ids:
        return []
    rows = (await session.execute(duty_rows(plan_id, unit_ids))).all()
    best: dict[tuple[int, int], Duty] = {}
    for count, (task_id, unit_id, role, via) in enumerate(rows, start=1):
        key = (task_id, unit_id)
        held = best.get(key)
        # A direct role beats one through a collective; lead beats co.
        if held is None or (role == "lead", via is None) > (held.role == "lead", held.via is None):
            best[key] = Duty(task_id, unit_id, role, via)
        if not count % DUTY_CHUNK:
            # A city's plan holds tens of thousands: the loop answers people in between.
            await asyncio.sleep(0)
    return list(best.values())


async def tasks_by_ids(session: AsyncSession, *, task_ids: Collection[int]) -> dict[int, Task]:
    """Tasks by id (no relationships loaded)."""
    if not task_ids:
        return {}
    rows = await session.scalars(select(Task).where(Task.id.in_(list(task_ids))))
    return {t.id: t for t in rows}


async def task_with_units(session: AsyncSession, *, plan_id: int, task_id: int) -> Task | None:
    """A live task of a plan by id, with its units, targets and section loaded."""
    return await session.scalar(
        select(Task)
        .where(Task.plan_id == plan_id, Task.id == task_id, Task.retired.is_(False))
        .options(selectinload(Task.units), selectinload(Task.targets), selectinload(Task.section))
    )


async def plan_of_task(session: AsyncSession, *, task_id: int) -> int | None:
    """The plan a live task belongs to."""
    return await session.scalar(
        select(Task.plan_id).where(Task.id == task_id, Task.retired.is_(False))
    )


async def numbered(
    session: AsyncSession, *, plan_ids: Collection[int], number: int
) -> list[tuple[int, int]]:
    """(plan id, task id) of the live tasks numbered N in these plans, oldest plan first."""
    rows = await session.execute(
        select(Task.plan_id, Task.id)
        .where(Task.plan_id.in_(list(plan_ids)), Task.number == number, Task.retired.is_(False))
        .order_by(Task.plan_id)
    )
    return [(plan_id, task_id) for plan_id, task_id in rows.all()]


async def task_by_number(session: AsyncSession, *, plan_id: int, number: int) -> Task | None:
    """A live task with its units, targets and section loaded."""
    return await session.scalar(
        select(Task)
        .where(Task.plan_id == plan_id, Task.number == number, Task.retired.is_(False))
        .options(selectinload(Task.units), selectinload(Task.targets), selectinload(Task.section))
    )


async def count_tasks(session: AsyncSession, *, plan_id: int) -> int:
    """How many live tasks a plan has."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.plan_id == plan_id, Task.retired.is_(False))
        )
        or 0
    )


async def current_reports(
    session: AsyncSession, *, period_id: int, task_ids: Collection[int], unit_ids: Collection[int]
) -> dict[tuple[int, int], Report]:
    """The current report of each (task, unit) in a period."""
    if not task_ids or not unit_ids:
        return {}
    rows = await session.scalars(
        select(Report).where(
            Report.period_id == period_id,
            Report.is_current.is_(True),
            Report.task_id.in_(list(task_ids)),
            Report.unit_id.in_(list(unit_ids)),
        )
    )
    return {(r.task_id, r.unit_id): r for r in rows}


@dataclass(frozen=True)
class HistoryRow:
    """One report in a task's history."""

    report: Report
    unit: str
    sender: str | None


async def report_history(
    session: AsyncSession, *, task_id: int, limit: int = 10
) -> list[HistoryRow]:
    """A task's latest reports (current versions), newest first."""
    rows = await session.execute(
        select(Report, Unit.name, Contact.full_name)
        .join(Unit, Unit.id == Report.unit_id)
        .outerjoin(Contact, Contact.id == Report.contact_id)
        .where(Report.task_id == task_id, Report.is_current.is_(True))
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(limit)
    )
    return [HistoryRow(r, unit, sender) for r, unit, sender in rows.all()]


async def reported_pairs(session: AsyncSession, *, period_id: int) -> set[tuple[int, int]]:
    """(task, unit) pairs with a current report in a period."""
    rows = await session.execute(
        select(Report.task_id, Report.unit_id).where(
            Report.period_id == period_id, Report.is_current.is_(True)
        )
    )
    return {(t, u) for t, u in rows.all()}


async def done_pairs(session: AsyncSession, *, plan_id: int) -> set[tuple[int, int]]:
    """(task, unit) pairs whose latest report, in any period, says done."""
    rows = await session.execute(
        select(Report.task_id, Report.unit_id)
        .join(Task, Task.id == Report.task_id)
        .where(Task.plan_id == plan_id, Report.is_current.is_(True), Report.status == "done")
    )
    return {(t, u) for t, u in rows.all()}


@dataclass(frozen=True)
class TaskBrief:
    """What lists need of a task: its number, text and deadline (no relationships)."""

    id: int
    number: int
    text: str
    deadline: date | None


async def live_task_briefs(session: AsyncSession, *, plan_id: int) -> dict[int, TaskBrief]:
    """A plan's live tasks by id, as plain rows."""
    rows = await session.execute(
        select(Task.id, Task.number, Task.text, Task.deadline).where(
            Task.plan_id == plan_id, Task.retired.is_(False)
        )
    )
    return {i: TaskBrief(i, number, text, deadline) for i, number, text, deadline in rows}


async def distinct_deadlines(session: AsyncSession, *, plan_id: int) -> list[date | None]:
    """The distinct deadlines of a plan's live tasks (None: the plan year's end)."""
    rows = await session.scalars(
        select(Task.deadline).where(Task.plan_id == plan_id, Task.retired.is_(False)).distinct()
    )
    return list(rows.all())


async def assign_members(
    session: AsyncSession, *, task_id: int, collective_id: int, unit_ids: Collection[int]
) -> list[int]:
    """Add members of a "relevant" collective to a task; returns the ids newly assigned."""
    existing = set(
        (
            await session.scalars(
                select(TaskAssignment.unit_id).where(
                    TaskAssignment.task_id == task_id,
                    TaskAssignment.collective_id == collective_id,
                )
            )
        ).all()
    )
    added = [u for u in unit_ids if u not in existing]
    session.add_all(
        TaskAssignment(task_id=task_id, collective_id=collective_id, unit_id=u) for u in added
    )
    await session.flush()
    return added


async def assigned_names(
    session: AsyncSession,
    *,
    task_ids: Collection[int] | None = None,
    plan_id: int | None = None,
) -> dict[tuple[int, str], list[str]]:
    """The members a coordinator assigned, by (task id, "relevant" collective's name), for
    some tasks or every live task of a plan."""
    collective, member = aliased(Unit), aliased(Unit)
    query = (
        select(TaskAssignment.task_id, collective.name, member.name)
        .join(collective, collective.id == TaskAssignment.collective_id)
        .join(member, member.id == TaskAssignment.unit_id)
        .order_by(TaskAssignment.task_id, member.id)
    )
    if task_ids is not None:
        query = query.where(TaskAssignment.task_id.in_(list(task_ids)))
    if plan_id is not None:
        query = query.join(Task, Task.id == TaskAssignment.task_id).where(
            Task.plan_id == plan_id, Task.retired.is_(False)
        )
    found: dict[tuple[int, str], list[str]] = {}
    for task_id, name, member_name in (await session.execute(query)).all():
        found.setdefault((task_id, name), []).append(member_name)
    return found


async def collectives_of(session: AsyncSession, *, unit_id: int) -> list[int]:
    """The collectives a unit belongs to."""
    rows = await session.scalars(
        select(CollectiveMember.collective_id).where(CollectiveMember.member_id == unit_id)
    )
    return list(rows.all())


async def task_ids_where(
    session: AsyncSession,
    *,
    plan_id: int,
    section: int | None = None,
    numbers: Collection[int] | None = None,
) -> set[int]:
    """Ids of a plan's live tasks in a section (by its number), or with the given numbers."""
    query = select(Task.id).where(Task.plan_id == plan_id, Task.retired.is_(False))
    if section is not None:
        query = query.join(Section, Section.id == Task.section_id).where(Section.number == section)
    if numbers is not None:
        query = query.where(Task.number.in_(list(numbers)))
    return set((await session.scalars(query)).all())

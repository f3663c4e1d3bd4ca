"""Who may report on what: the (task, unit, role) duties of a person's units, in the open plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Contact, Plan, Task, Unit
from data.repo.tasks import Duty, duties_of_units, tasks_by_ids
from data.repo.units import units_by_ids


@dataclass(frozen=True)
class Reportable:
    """A task the person may report on, for one of their units, in its plan."""

    task: Task
    unit: Unit
    role: str
    plan: Plan


async def reportable(
    session: AsyncSession, *, plans: Sequence[Plan], contact: Contact
) -> list[Reportable]:
    """Every (task, unit) the person may report on: plan by plan (oldest first), lead role
    first, by task number. (A loop over the open plans: a handful at most.)"""
    unit_ids = [cu.unit_id for cu in contact.units]
    out: list[Reportable] = []
    for plan in plans:
        duties = await duties_of_units(session, plan_id=plan.id, unit_ids=unit_ids)
        out += await _resolve(session, plan, duties)
    return out


async def _resolve(session: AsyncSession, plan: Plan, duties: list[Duty]) -> list[Reportable]:
    tasks = await tasks_by_ids(session, task_ids={d.task_id for d in duties})
    units = await units_by_ids(session, ids={d.unit_id for d in duties})
    out = [Reportable(tasks[d.task_id], units[d.unit_id], d.role, plan) for d in duties]
    out.sort(key=lambda r: (r.role != "lead", r.task.number, r.unit.name))
    return out


async def duty_for(
    session: AsyncSession,
    *,
    plans: Sequence[Plan],
    contact: Contact,
    task_id: int,
    unit_id: int | None = None,
) -> Reportable | None:
    """The person's duty on one task of the open plans (for a given unit, or their first unit
    holding one); None when it is not theirs, or its plan is not open."""
    task = (await tasks_by_ids(session, task_ids=[task_id])).get(task_id)
    plan = next((p for p in plans if task is not None and p.id == task.plan_id), None)
    if plan is None:
        return None
    duties = [
        d
        for d in await duties_of_units(
            session, plan_id=plan.id, unit_ids=[cu.unit_id for cu in contact.units]
        )
        if d.task_id == task_id and (unit_id is None or d.unit_id == unit_id)
    ]
    found = await _resolve(session, plan, duties)
    return found[0] if found else None

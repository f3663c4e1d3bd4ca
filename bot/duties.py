"""Who may report on what: the (task, unit, role) duties of a person's units in the plan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Contact, Plan, Task, Unit
from data.repo.tasks import Duty, duties_of_units, tasks_by_ids
from data.repo.units import units_by_ids


@dataclass(frozen=True)
class Reportable:
    """A task the person may report on, for one of their units."""

    task: Task
    unit: Unit
    role: str


async def reportable(session: AsyncSession, *, plan: Plan, contact: Contact) -> list[Reportable]:
    """Every (task, unit) the person may report on, lead role first, by task number."""
    duties = await duties_of_units(
        session, plan_id=plan.id, unit_ids=[cu.unit_id for cu in contact.units]
    )
    return await _resolve(session, duties)


async def _resolve(session: AsyncSession, duties: list[Duty]) -> list[Reportable]:
    tasks = await tasks_by_ids(session, task_ids={d.task_id for d in duties})
    units = await units_by_ids(session, ids={d.unit_id for d in duties})
    out = [Reportable(tasks[d.task_id], units[d.unit_id], d.role) for d in duties]
    out.sort(key=lambda r: (r.role != "lead", r.task.number, r.unit.name))
    return out


async def duty_for(
    session: AsyncSession,
    *,
    plan: Plan,
    contact: Contact,
    task_id: int,
    unit_id: int | None = None,
) -> Reportable | None:
    """The person's duty on one task (for a given unit, or their first unit holding one)."""
    duties = [
        d
        for d in await duties_of_units(
            session, plan_id=plan.id, unit_ids=[cu.unit_id for cu in contact.units]
        )
        if d.task_id == task_id and (unit_id is None or d.unit_id == unit_id)
    ]
    found = await _resolve(session, duties)
    return found[0] if found else None

"""Who still owes this period's reports: late lead units counted by the database, and the
tasks of the few a 催办 goes to."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Task, Unit
from data.repo.contacts import has_reachable_liaison
from data.repo.ledger import current_of, lead_pairs


def _owing(plan_id: int, period_id: int) -> Any:
    """(task id, unit id) of each lead duty on a plan's live tasks with no current report in
    the period."""
    leads = lead_pairs(plan_id)
    reported = exists().where(current_of(leads, period_id))
    return select(leads.c.task_id, leads.c.unit_id).where(~reported).subquery("owing")


async def late_unit_counts(session: AsyncSession, *, plan_id: int, period_id: int) -> list[Any]:
    """(unit id, name, tasks owed, has a reachable liaison) of each lead unit that has not
    reported every task it leads in the period."""
    owing = _owing(plan_id, period_id)
    rows = await session.execute(
        select(Unit.id, Unit.name, func.count(), has_reachable_liaison(Unit.id))
        .select_from(owing)
        .join(Unit, Unit.id == owing.c.unit_id)
        .group_by(Unit.id, Unit.name)
    )
    return list(rows.all())


async def owing_tasks(
    session: AsyncSession, *, plan_id: int, period_id: int, unit_ids: Collection[int], first: int
) -> dict[int, list[tuple[int, int, str]]]:
    """The first `first` tasks (id, number, text), by number, each of the units owes in the
    period."""
    if not unit_ids:
        return {}
    owing = _owing(plan_id, period_id)
    place = (
        func.row_number().over(partition_by=owing.c.unit_id, order_by=Task.number).label("place")
    )
    ranked = (
        select(owing.c.unit_id, Task.id, Task.number, Task.text, place)
        .join(Task, Task.id == owing.c.task_id)
        .where(owing.c.unit_id.in_(list(unit_ids)))
        .subquery("ranked")
    )
    rows = await session.execute(
        select(ranked.c.unit_id, ranked.c.id, ranked.c.number, ranked.c.text)
        .where(ranked.c.place <= first)
        .order_by(ranked.c.unit_id, ranked.c.number)
    )
    out: dict[int, list[tuple[int, int, str]]] = {}
    for unit_id, task_id, number, text in rows.all():
        out.setdefault(unit_id, []).append((task_id, number, text))
    return out

"""催办 (chases) sent to liaisons of late units, and their acknowledgements (收到)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Chase, Period


async def add_chases(
    session: AsyncSession,
    *,
    period_id: int,
    recipients: Sequence[tuple[int, int]],
    sent_by: int | None,
    now: datetime,
) -> dict[tuple[int, int], int]:
    """Record a 催办 to each (unit, liaison) in one statement; returns each one's chase id."""
    if not recipients:
        return {}
    rows = [
        {
            "period_id": period_id,
            "unit_id": unit_id,
            "contact_id": contact_id,
            "sent_by": sent_by,
            "created_at": now,
        }
        for unit_id, contact_id in recipients
    ]
    added = await session.execute(
        insert(Chase).values(rows).returning(Chase.unit_id, Chase.contact_id, Chase.id)
    )
    return {(unit_id, contact_id): chase_id for unit_id, contact_id, chase_id in added.all()}


async def latest_chases(
    session: AsyncSession, *, period_id: int, unit_ids: Collection[int] | None = None
) -> dict[int, Chase]:
    """Each unit's latest chase in a period (of the units asked about; None: all), picked by
    the database: the latest acknowledged one if any was, else the latest."""
    place = (
        func.row_number()
        .over(
            partition_by=Chase.unit_id,
            order_by=(Chase.acknowledged_at.is_(None), Chase.created_at.desc(), Chase.id.desc()),
        )
        .label("place")
    )
    ranked = select(Chase.id, place).where(Chase.period_id == period_id)
    if unit_ids is not None:
        ranked = ranked.where(Chase.unit_id.in_(list(unit_ids)))
    first = ranked.subquery("ranked")
    rows = await session.scalars(
        select(Chase).join(first, first.c.id == Chase.id).where(first.c.place == 1)
    )
    return {chase.unit_id: chase for chase in rows}


async def get_chase(session: AsyncSession, *, chase_id: int) -> Chase | None:
    """A chase by id."""
    return await session.get(Chase, chase_id)


@dataclass(frozen=True)
class Unanswered:
    """One 催办 (to all of a unit's liaisons at one moment) nobody acknowledged."""

    first_id: int
    unit_id: int
    period_id: int
    plan_id: int
    sent_at: datetime


async def unanswered_chases(
    session: AsyncSession, *, since: datetime, before: datetime
) -> list[Unanswered]:
    """催办 sent in [since, before) that no liaison of the unit acknowledged (收到)."""
    rows = await session.execute(
        select(
            func.min(Chase.id),
            Chase.unit_id,
            Chase.period_id,
            Period.plan_id,
            Chase.created_at,
        )
        .join(Period, Period.id == Chase.period_id)
        .where(Chase.created_at >= since, Chase.created_at < before)
        .group_by(Chase.unit_id, Chase.period_id, Period.plan_id, Chase.created_at)
        .having(func.count(Chase.acknowledged_at) == 0)
        .order_by(func.min(Chase.id))
    )
    return [Unanswered(*row) for row in rows.all()]

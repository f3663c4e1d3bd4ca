"""催办 (chases) sent to liaisons of late units, and their acknowledgements (收到)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Chase


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


async def latest_chases(session: AsyncSession, *, period_id: int) -> dict[int, Chase]:
    """Each unit's latest chase in a period (an acknowledged one wins a tie)."""
    rows = await session.scalars(
        select(Chase).where(Chase.period_id == period_id).order_by(Chase.created_at, Chase.id)
    )
    out: dict[int, Chase] = {}
    for chase in rows:
        held = out.get(chase.unit_id)
        if held is None or held.acknowledged_at is None or chase.acknowledged_at is not None:
            out[chase.unit_id] = chase
    return out


async def get_chase(session: AsyncSession, *, chase_id: int) -> Chase | None:
    """A chase by id."""
    return await session.get(Chase, chase_id)

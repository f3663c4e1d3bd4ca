"""Reporting periods as stored: one row per plan and start day, created on first use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Period
from data.repo.bulk import insert_new


async def ensure_period(
    session: AsyncSession, *, plan_id: int, kind: str, start: date, end: date, due: date
) -> Period:
    """The stored period of a plan starting on a day, created on first use (by whichever
    update or tick gets there first)."""
    period = await period_at(session, plan_id=plan_id, start=start)
    if period is not None:
        return period
    row = {"plan_id": plan_id, "kind": kind, "start": start, "end": end, "due_date": due}
    await insert_new(session, Period, [row], key=Period.id, conflict=("plan_id", "start"))
    period = await period_at(session, plan_id=plan_id, start=start)
    assert period is not None  # noqa: S101 - inserted now, or by another writer just before
    return period


async def period_at(session: AsyncSession, *, plan_id: int, start: date) -> Period | None:
    """The stored period of a plan starting on a day, if any report created it."""
    return await session.scalar(
        select(Period).where(Period.plan_id == plan_id, Period.start == start)
    )


async def plan_of_period(session: AsyncSession, *, period_id: int) -> int | None:
    """The plan a stored period belongs to."""
    return await session.scalar(select(Period.plan_id).where(Period.id == period_id))

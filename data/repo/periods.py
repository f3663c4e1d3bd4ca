"""Reporting periods as stored: one row per plan and start day, created on first use."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Period, Report
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


async def stored_periods(session: AsyncSession, *, plan_id: int) -> list[Period]:
    """Every stored period of a plan, in order."""
    rows = await session.scalars(
        select(Period).where(Period.plan_id == plan_id).order_by(Period.start)
    )
    return list(rows.all())


async def plan_of_period(session: AsyncSession, *, period_id: int) -> int | None:
    """The plan a stored period belongs to."""
    return await session.scalar(select(Period.plan_id).where(Period.id == period_id))


async def finished_periods(
    session: AsyncSession, *, plan_id: int, before: date, count: int
) -> list[Period]:
    """The plan's last `count` stored periods whose due day is before a day, latest first."""
    rows = await session.scalars(
        select(Period)
        .where(Period.plan_id == plan_id, Period.due_date < before)
        .order_by(Period.start.desc())
        .limit(count)
    )
    return list(rows.all())


async def report_states(
    session: AsyncSession, *, period_ids: Collection[int]
) -> dict[tuple[int, int, int], tuple[str, int | None]]:
    """(period, task, unit) -> (status, percent) of every current report in these periods."""
    if not period_ids:
        return {}
    # On the connection, not through the ORM: tens of thousands of plain rows at city scale.
    connection = await session.connection()
    rows = await connection.execute(
        select(
            Report.period_id, Report.task_id, Report.unit_id, Report.status, Report.percent
        ).where(Report.period_id.in_(list(period_ids)), Report.is_current.is_(True))
    )
    return {(p, t, u): (status, percent) for p, t, u, status, percent in rows.all()}

"""The ledger's reads: a plan's tasks and units, this period's current reports, the history.

Plain rows (tuples), never ORM objects: the ledger is built from tens of thousands of rows in
a worker process, and the history is streamed, so memory does not grow with all of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Contact, ContactUnit, Report, Section, Task, TaskUnit, Unit

STREAM_ROWS = 2_000


def _reports(columns: str, *more: Any) -> Select[Any]:
    """Report versions with their task and sender joined: the report's `columns` (named, space
    separated) and `more` columns."""
    return (
        select(*(getattr(Report, name) for name in columns.split()), *more)
        .join(Task, Task.id == Report.task_id)
        .outerjoin(Contact, Contact.id == Report.contact_id)
    )


async def live_task_rows(session: AsyncSession, *, plan_id: int) -> list[Any]:
    """(id, number, text, deadline, section number, leader) of a plan's live tasks, in
    order."""
    rows = await session.execute(
        select(Task.id, Task.number, Task.text, Task.deadline, Section.number, Task.leader)
        .join(Section, Section.id == Task.section_id)
        .where(Task.plan_id == plan_id, Task.retired.is_(False))
        .order_by(Section.number, Task.number)
    )
    return list(rows.all())


async def task_unit_names(session: AsyncSession, *, plan_id: int) -> list[Any]:
    """(task id, unit name, role) as the document names them, in document order."""
    rows = await session.execute(
        select(TaskUnit.task_id, Unit.name, TaskUnit.role)
        .join(Task, Task.id == TaskUnit.task_id)
        .join(Unit, Unit.id == TaskUnit.unit_id)
        .where(Task.plan_id == plan_id, Task.retired.is_(False))
        .order_by(TaskUnit.task_id, TaskUnit.position)
    )
    return list(rows.all())


async def current_report_rows(session: AsyncSession, *, plan_id: int, period_id: int) -> list[Any]:
    """(task id, unit id, status, percent, text, created at, first submitted at, sender) of
    every current report of a plan's period."""
    columns = "task_id unit_id status percent text created_at first_submitted_at"
    rows = await session.execute(
        _reports(columns, Contact.full_name).where(
            Task.plan_id == plan_id, Report.period_id == period_id, Report.is_current.is_(True)
        )
    )
    return list(rows.all())


async def units_with_liaisons(session: AsyncSession) -> set[int]:
    """Ids of units with at least one reachable liaison."""
    rows = await session.scalars(
        select(ContactUnit.unit_id)
        .join(Contact, Contact.id == ContactUnit.contact_id)
        .where(Contact.unreachable_at.is_(None))
        .distinct()
    )
    return set(rows.all())


async def unit_names(session: AsyncSession) -> dict[int, str]:
    """Every unit's name by id."""
    return {i: n for i, n in (await session.execute(select(Unit.id, Unit.name))).all()}


async def stream_history(
    session: AsyncSession, *, plan_id: int, since: datetime | None, until: datetime | None
) -> AsyncIterator[Sequence[Any]]:
    """Every report version of a plan, oldest first, as (created at, role, status, percent,
    text, review, is current, task number, unit name, sender); streamed, a chunk at a time
    (one hop to the database's thread a chunk, not a row: 200,000 hops took 8 s of an
    export)."""
    columns = "created_at role status percent text review is_current"
    query = (
        _reports(columns, Task.number, Unit.name, Contact.full_name)
        .join(Unit, Unit.id == Report.unit_id)
        .where(Task.plan_id == plan_id)
        .order_by(Report.created_at, Report.id)
        .execution_options(yield_per=STREAM_ROWS)
    )
    if since is not None:
        query = query.where(Report.created_at >= since)
    if until is not None:
        query = query.where(Report.created_at < until)
    # Core rows straight from the connection: the ORM's row wrapping took half a second.
    connection = await session.connection()
    result = await connection.stream(query)
    async for rows in result.partitions():
        yield rows


def year_bounds(year: int, tz: Any) -> tuple[datetime, datetime]:
    """The first moment of a year and of the next, in a time zone."""
    return (
        datetime.combine(date(year, 1, 1), datetime.min.time(), tz),
        datetime.combine(date(year + 1, 1, 1), datetime.min.time(), tz),
    )

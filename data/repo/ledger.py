"""The ledger's reads: a plan's tasks and units, its lead duties with this period's reports
and each lead unit's counts, the current reports, the history.

Plain rows (tuples), never ORM objects: the ledger is built from tens of thousands of rows in
a worker process, and the history is streamed, so memory does not grow with all of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Contact, Report, Section, Task, TaskUnit, Unit
from data.repo.contacts import has_reachable_liaison
from data.repo.tasks import duty_rows

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


def lead_pairs(plan_id: int) -> Subquery:
    """(task id, unit id) of every unit that owes a plan's live task's report: its lead units,
    collectives resolved to their members, each pair once (lead beats co)."""
    duties = duty_rows(plan_id, None).subquery("duties")
    return (
        select(duties.c.task_id, duties.c.unit_id)
        .where(duties.c.role == "lead")
        .distinct()
        .subquery("leads")
    )


def current_of(leads: Subquery, period_id: int) -> Any:
    """The condition that a report is a (task, unit) pair's current one of a period (one at
    most)."""
    return and_(
        Report.task_id == leads.c.task_id,
        Report.unit_id == leads.c.unit_id,
        Report.period_id == period_id,
        Report.is_current.is_(True),
    )


async def lead_unit_ids(session: AsyncSession, *, plan_id: int) -> list[tuple[int, int]]:
    """(task id, unit id) of every lead duty on a plan's live tasks."""
    leads = lead_pairs(plan_id)
    rows = await session.execute(
        select(leads.c.task_id, leads.c.unit_id).order_by(leads.c.task_id, leads.c.unit_id)
    )
    return [(task_id, unit_id) for task_id, unit_id in rows.all()]


async def lead_report_states(session: AsyncSession, *, plan_id: int, period_id: int) -> list[Any]:
    """(task id, number, section number, deadline, unit id, status, percent) of each lead duty
    on a plan's live tasks, with the unit's current report of the period (status and percent
    None when it has not reported); a task nobody leads comes once, its unit id None."""
    leads = lead_pairs(plan_id)
    rows = await session.execute(
        select(
            Task.id,
            Task.number,
            Section.number,
            Task.deadline,
            leads.c.unit_id,
            Report.status,
            Report.percent,
        )
        .select_from(Task)
        .join(Section, Section.id == Task.section_id)
        .outerjoin(leads, leads.c.task_id == Task.id)
        .outerjoin(Report, current_of(leads, period_id))
        .where(Task.plan_id == plan_id, Task.retired.is_(False))
    )
    return list(rows.all())


async def unit_rate_rows(
    session: AsyncSession, *, plan_id: int, period_id: int, on_time_before: datetime
) -> list[Any]:
    """(unit id, name, tasks owed, reported, reported on time, has a reachable liaison) of
    each lead unit of a plan's live tasks in a period; on time: first submitted before
    `on_time_before`."""
    leads = lead_pairs(plan_id)
    on_time = case((Report.first_submitted_at < on_time_before, 1), else_=0)
    rows = await session.execute(
        select(
            Unit.id,
            Unit.name,
            func.count(),
            func.count(Report.id),
            func.coalesce(func.sum(on_time), 0),
            has_reachable_liaison(Unit.id),
        )
        .select_from(leads)
        .join(Unit, Unit.id == leads.c.unit_id)
        .outerjoin(Report, current_of(leads, period_id))
        .group_by(Unit.id, Unit.name)
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

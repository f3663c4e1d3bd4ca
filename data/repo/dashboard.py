"""The dashboard's own reads: how new the data is, a task's every report version, a file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from data.models import Attachment, AuditEntry, Contact, Period, Report, Task, Unit


async def data_version(session: AsyncSession) -> tuple[int, int]:
    """The newest audit entry and report version: every change people or the clock make is
    audited, and every report is a new row, so figures read before are current while these
    stay the same (two index lookups)."""
    audited = await session.scalar(select(func.max(AuditEntry.id)))
    reported = await session.scalar(select(func.max(Report.id)))
    return int(audited or 0), int(reported or 0)


@dataclass(frozen=True)
class ReportVersion:
    """One version of a unit's report on a task, with who sent and who reviewed it."""

    report: Report  # attachments loaded
    unit: str
    period_start: date
    sender: str | None
    reviewer: str | None


async def task_reports(session: AsyncSession, *, task_id: int) -> list[ReportVersion]:
    """Every version of every report on a task, newest period first, then by unit, newest
    version first (two queries: the rows, then their attachments)."""
    reviewer = aliased(Contact)
    rows = await session.execute(
        select(Report, Unit.name, Period.start, Contact.full_name, reviewer.full_name)
        .join(Unit, Unit.id == Report.unit_id)
        .join(Period, Period.id == Report.period_id)
        .outerjoin(Contact, Contact.id == Report.contact_id)
        .outerjoin(reviewer, reviewer.id == Report.reviewed_by)
        .where(Report.task_id == task_id)
        .options(selectinload(Report.attachments))
        .order_by(Period.start.desc(), Unit.name, Report.created_at.desc(), Report.id.desc())
    )
    return [ReportVersion(*row) for row in rows.all()]


async def attachment_in_plan(
    session: AsyncSession, *, attachment_id: int
) -> tuple[Attachment, int] | None:
    """An attachment and the plan its report's task belongs to."""
    row = (
        await session.execute(
            select(Attachment, Task.plan_id)
            .join(Report, Report.id == Attachment.report_id)
            .join(Task, Task.id == Report.task_id)
            .where(Attachment.id == attachment_id)
        )
    ).first()
    return (row[0], row[1]) if row else None

"""Reports, their drafts, reviews, and the refs that tie bot messages to tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from data.models import (
    Attachment,
    Contact,
    MessageRef,
    Report,
    ReportDraft,
    TargetValue,
    Task,
    Unit,
)
from data.repo.bulk import upsert

# --- drafts -------------------------------------------------------------------------------


async def get_draft(session: AsyncSession, *, contact_id: int) -> ReportDraft | None:
    """The person's conversation in progress, if any."""
    return await session.scalar(select(ReportDraft).where(ReportDraft.contact_id == contact_id))


async def replace_draft(session: AsyncSession, *, draft: ReportDraft) -> ReportDraft:
    """Start a new conversation, dropping whatever the person had in progress."""
    await session.execute(delete(ReportDraft).where(ReportDraft.contact_id == draft.contact_id))
    session.add(draft)
    await session.flush()
    return draft


async def take_draft(session: AsyncSession, *, draft_id: int) -> bool:
    """Delete a draft only if it still exists: of two taps on 提交, one wins."""
    result = await session.execute(
        delete(ReportDraft)
        .where(ReportDraft.id == draft_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def take_idle_drafts(
    session: AsyncSession, *, before: datetime
) -> list[tuple[ReportDraft, Contact]]:
    """End the conversations untouched since a moment: each draft (deleted here, so a second
    worker's sweep finds nothing) with its person."""
    rows = (
        await session.execute(
            select(ReportDraft, Contact)
            .join(Contact, Contact.id == ReportDraft.contact_id)
            .where(ReportDraft.updated_at < before)
        )
    ).all()
    taken = (
        set(
            (
                await session.scalars(
                    delete(ReportDraft)
                    .where(
                        ReportDraft.id.in_([draft.id for draft, _ in rows]),
                        ReportDraft.updated_at < before,
                    )
                    .returning(ReportDraft.id)
                    .execution_options(synchronize_session=False)
                )
            ).all()
        )
        if rows
        else set()
    )
    return [(draft, contact) for draft, contact in rows if draft.id in taken]


# --- reports ------------------------------------------------------------------------------


async def current_report(
    session: AsyncSession, *, task_id: int, unit_id: int, period_id: int
) -> Report | None:
    """The current version of a unit's report on a task in a period."""
    return await session.scalar(
        select(Report)
        .where(
            Report.task_id == task_id,
            Report.unit_id == unit_id,
            Report.period_id == period_id,
            Report.is_current.is_(True),
        )
        .options(selectinload(Report.attachments))
    )


async def add_report_version(
    session: AsyncSession,
    *,
    columns: Mapping[str, Any],
    attachments: Sequence[dict[str, Any]],
    now: datetime,
    values: Mapping[int, str] | None = None,
) -> Report:
    """Store a new version of a unit's report (`columns`: task_id, unit_id, period_id,
    contact_id, role, status, percent, text) with its target values (target id → value); the
    previous one stays, no longer current."""
    previous = await current_report(
        session,
        task_id=columns["task_id"],
        unit_id=columns["unit_id"],
        period_id=columns["period_id"],
    )
    if previous is not None:
        previous.is_current = False
        await session.flush()
    report = Report(
        **columns,
        supersedes_id=previous.id if previous else None,
        is_current=True,
        review="pending",
        first_submitted_at=previous.first_submitted_at if previous else now,
        created_at=now,
        attachments=[Attachment(**a) for a in attachments],
        values=[TargetValue(target_id=t, value=v) for t, v in (values or {}).items()],
    )
    session.add(report)
    await session.flush()
    return report


async def contributions(
    session: AsyncSession, *, task_id: int, period_id: int
) -> list[tuple[Report, str]]:
    """The co-units' current reports on a task in a period, with the units' names."""
    rows = await session.execute(
        select(Report, Unit.name)
        .join(Unit, Unit.id == Report.unit_id)
        .where(
            Report.task_id == task_id,
            Report.period_id == period_id,
            Report.is_current.is_(True),
            Report.role == "co",
        )
        .order_by(Report.created_at)
    )
    return [(r, name) for r, name in rows.all()]


async def review_report(
    session: AsyncSession,
    *,
    report_id: int,
    accepted: bool,
    reviewer_id: int | None,
    reason: str | None,
    now: datetime,
) -> bool:
    """Record a coordinator's decision on a report still waiting for one: a conditional update,
    so that of two coordinators deciding at once (in two processes) exactly one succeeds.
    False when the report was decided or superseded first."""
    result = await session.execute(
        update(Report)
        .where(Report.id == report_id, Report.is_current.is_(True), Report.review == "pending")
        .values(
            review="accepted" if accepted else "returned",
            reviewed_by=reviewer_id,
            reviewed_at=now,
            review_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


# --- message refs -------------------------------------------------------------------------


async def remember_message(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    task_id: int,
    unit_id: int | None,
    kind: str,
    now: datetime,
) -> None:
    """Note that a message the bot sent is about one task. A message id seen before (a chat
    whose ids started over, as the terminal console's do on every visit) is about the new
    message now."""
    about = {"task_id": task_id, "unit_id": unit_id, "kind": kind, "created_at": now}
    key = {"chat_id": chat_id, "message_id": message_id}
    await upsert(session, MessageRef, key=key, values=about)


async def message_ref(
    session: AsyncSession, *, chat_id: int, message_id: int
) -> MessageRef | None:
    """What a bot message is about, if it is about one task."""
    return await session.get(MessageRef, (chat_id, message_id))


async def all_reports(
    session: AsyncSession, *, plan_id: int
) -> list[tuple[Report, int, str, str | None]]:
    """Every report version of a plan with its task number, unit name and sender's name."""
    rows = await session.execute(
        select(Report, Task.number, Unit.name, Contact.full_name)
        .join(Task, Task.id == Report.task_id)
        .join(Unit, Unit.id == Report.unit_id)
        .outerjoin(Contact, Contact.id == Report.contact_id)
        .where(Task.plan_id == plan_id)
        .order_by(Report.created_at, Report.id)
    )
    return [(r, number, unit, sender) for r, number, unit, sender in rows.all()]


async def get_report(session: AsyncSession, *, report_id: int) -> Report | None:
    """A report version by id."""
    return await session.get(Report, report_id)

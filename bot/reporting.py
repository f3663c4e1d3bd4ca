"""Progress reports: the conversation's steps as services, validation, submit, review.

Handlers call these with a session; each step commits, so the conversation survives restarts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.lights import ReportStatus
from data.models import Contact, Plan, Report, ReportDraft, Task, Unit
from data.repo import audit
from data.repo.periods import ensure_period
from data.repo.reports import (
    add_report_version,
    contributions,
    current_report,
    get_draft,
    replace_draft,
    review_report,
    take_draft,
)
from data.repo.tasks import Duty, duties_of_units, tasks_by_ids
from data.repo.units import units_by_ids

MAX_TEXT = 500
PERCENT_CHOICES = (0, 25, 50, 75, 100)
# Short codes for callback data (rp:s:ok); one table both ways.
STATUS_CODES: dict[str, ReportStatus] = {
    "ok": ReportStatus.ON_TRACK,
    "risk": ReportStatus.AT_RISK,
    "blk": ReportStatus.BLOCKED,
    "done": ReportStatus.DONE,
    "coord": ReportStatus.NEEDS_COORDINATION,
}
ESCALATE = {ReportStatus.BLOCKED, ReportStatus.NEEDS_COORDINATION}


class DraftStep(StrEnum):
    """Where a report conversation stands."""

    STATUS = "status"
    PERCENT = "percent"
    TEXT = "text"
    PREVIEW = "preview"
    REASON = "reason"  # a coordinator typing why a report is returned


class TextProblem(StrEnum):
    """Why a text was refused."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    CONTROL = "control"


_ALLOWED_CONTROLS = {"\n", "\t"}


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()


class ReportText(BaseModel):
    """A report's text: 1 to 500 characters, no control characters but line breaks."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("text", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        return _clean(value) if isinstance(value, str) else value

    @field_validator("text")
    @classmethod
    def _no_controls(cls, value: str) -> str:
        if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value):
            raise ValueError("control characters")
        return value


def check_text(raw: str) -> str | TextProblem:
    """The cleaned text, or why it cannot be a report."""
    try:
        return ReportText(text=raw).text
    except ValidationError as exc:
        kind = exc.errors()[0]["type"]
        if kind == "string_too_short":
            return TextProblem.EMPTY
        if kind == "string_too_long":
            return TextProblem.TOO_LONG
        return TextProblem.CONTROL


def parse_percent(raw: str) -> int | None:
    """A typed percent (\"60\", \"60%\", \"６０\"), or None when it is not 0–100."""
    text = unicodedata.normalize("NFKC", raw).strip().rstrip("%").strip()
    if not re.fullmatch(r"\d{1,3}", text):
        return None
    value = int(text)
    return value if 0 <= value <= 100 else None


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


class Refusal(StrEnum):
    """Why a report cannot be started or stored."""

    NOT_YOURS = "not_yours"
    ACCEPTED = "accepted"
    NO_PLAN = "no_plan"


async def period_of(session: AsyncSession, *, plan: Plan, moment: PlanMoment) -> int:
    """The id of the period in force, created on first use."""
    span = moment.span
    period = await ensure_period(
        session, plan_id=plan.id, kind=span.kind, start=span.start, end=span.end, due=moment.due
    )
    return period.id


async def _standing(
    session: AsyncSession, *, plan: Plan, moment: PlanMoment, duty: Reportable
) -> tuple[int, Report | None]:
    """The period in force and the unit's current report on the task in it, if any."""
    period_id = await period_of(session, plan=plan, moment=moment)
    existing = await current_report(
        session, task_id=duty.task.id, unit_id=duty.unit.id, period_id=period_id
    )
    return period_id, existing


async def begin(
    session: AsyncSession,
    *,
    plan: Plan,
    moment: PlanMoment,
    contact: Contact,
    duty: Reportable,
    chat_id: int,
    now: datetime,
) -> ReportDraft | Refusal:
    """Start (or restart) a report on a task for a unit; an earlier report pre-fills it."""
    _period_id, existing = await _standing(session, plan=plan, moment=moment, duty=duty)
    if existing is not None and existing.review == "accepted":
        return Refusal.ACCEPTED
    draft = ReportDraft(
        contact_id=contact.id,
        kind="report",
        task_id=duty.task.id,
        unit_id=duty.unit.id,
        report_id=existing.id if existing else None,
        step=DraftStep.STATUS,
        status=existing.status if existing else None,
        percent=existing.percent if existing else None,
        text=existing.text if existing else None,
        attachments=[_attachment_dict(a) for a in existing.attachments] if existing else [],
        chat_id=chat_id,
        created_at=now,
        updated_at=now,
    )
    return await replace_draft(session, draft=draft)


def _attachment_dict(attachment: Any) -> dict[str, Any]:
    return {
        "kind": attachment.kind,
        "file_id": attachment.file_id,
        "file_unique_id": attachment.file_unique_id,
        "file_name": attachment.file_name,
        "mime_type": attachment.mime_type,
        "size": attachment.size,
    }


def is_idle(draft: ReportDraft, *, now: datetime, timeout: timedelta) -> bool:
    """Whether a conversation has been left alone too long."""
    return now - draft.updated_at > timeout


def set_status(draft: ReportDraft, status: ReportStatus, now: datetime) -> None:
    """DraftStep 1: the status; next comes the percent."""
    draft.status = status.value
    draft.step = DraftStep.PERCENT
    draft.updated_at = now


def set_percent(draft: ReportDraft, percent: int, now: datetime) -> None:
    """DraftStep 2: the percent; next comes the text."""
    draft.percent = percent
    draft.step = DraftStep.TEXT
    draft.updated_at = now


def set_text(draft: ReportDraft, text: str, now: datetime) -> None:
    """DraftStep 3: the text; next comes the preview (attachments may still be added)."""
    draft.text = text
    draft.step = DraftStep.PREVIEW
    draft.updated_at = now


def add_attachment(draft: ReportDraft, attachment: dict[str, Any], now: datetime) -> None:
    """Evidence: a photo or document sent during the text or preview step."""
    draft.attachments = [*draft.attachments, attachment]
    draft.updated_at = now


def back_to_start(draft: ReportDraft, now: datetime) -> None:
    """修改: go through the steps again, keeping what was entered as the defaults."""
    draft.step = DraftStep.STATUS
    draft.updated_at = now


@dataclass
class Preview:
    """What the person is about to submit."""

    task: Task
    unit: Unit
    role: str
    status: ReportStatus
    percent: int | None
    text: str
    attachments: int
    contributions: list[tuple[Report, str]] = field(default_factory=list)


async def preview(
    session: AsyncSession, *, plan: Plan, moment: PlanMoment, draft: ReportDraft, duty: Reportable
) -> Preview:
    """The draft as it will be stored; a lead unit also sees the co-units' contributions."""
    shown: list[tuple[Report, str]] = []
    if duty.role == "lead":
        period_id = await period_of(session, plan=plan, moment=moment)
        shown = await contributions(session, task_id=duty.task.id, period_id=period_id)
    return Preview(
        task=duty.task,
        unit=duty.unit,
        role=duty.role,
        status=ReportStatus(draft.status or ReportStatus.ON_TRACK),
        percent=draft.percent,
        text=draft.text or "",
        attachments=len(draft.attachments),
        contributions=shown,
    )


@dataclass(frozen=True)
class Submitted:
    """A stored report and whether coordinators must hear of it at once."""

    report: Report
    escalate: bool


async def submit(
    session: AsyncSession,
    *,
    plan: Plan,
    moment: PlanMoment,
    draft: ReportDraft,
    duty: Reportable,
    contact: Contact,
    now: datetime,
) -> Submitted | Refusal | None:
    """Store the draft as the period's report in this transaction; None if already submitted."""
    if not await take_draft(session, draft_id=draft.id):
        return None
    period_id, existing = await _standing(session, plan=plan, moment=moment, duty=duty)
    if existing is not None and existing.review == "accepted":
        return Refusal.ACCEPTED
    status = ReportStatus(draft.status or ReportStatus.ON_TRACK)
    report = await add_report_version(
        session,
        task_id=duty.task.id,
        unit_id=duty.unit.id,
        period_id=period_id,
        contact_id=contact.id,
        role=duty.role,
        status=status.value,
        percent=draft.percent,
        text=draft.text or "",
        attachments=draft.attachments,
        now=now,
    )
    audit.record(
        session,
        at=now,
        **audit.by(contact),
        action="report.edit" if existing else "report.submit",
        entity="report",
        entity_id=report.id,
        detail={
            "task": duty.task.number,
            "unit": duty.unit.name,
            "status": status.value,
            "percent": draft.percent,
            "supersedes": existing.id if existing else None,
        },
    )
    return Submitted(
        report, status in ESCALATE and (existing is None or existing.status != status.value)
    )


async def record_reply(
    session: AsyncSession,
    *,
    plan: Plan,
    moment: PlanMoment,
    duty: Reportable,
    contact: Contact,
    text: str,
    now: datetime,
) -> Report | Refusal:
    """A reply to a prompt about a task: stored at once as the period's report text."""
    period_id, existing = await _standing(session, plan=plan, moment=moment, duty=duty)
    if existing is not None and existing.review == "accepted":
        return Refusal.ACCEPTED
    report = await add_report_version(
        session,
        task_id=duty.task.id,
        unit_id=duty.unit.id,
        period_id=period_id,
        contact_id=contact.id,
        role=duty.role,
        status=existing.status if existing else ReportStatus.ON_TRACK.value,
        percent=existing.percent if existing else None,
        text=text,
        attachments=[_attachment_dict(a) for a in existing.attachments] if existing else [],
        now=now,
    )
    audit.record(
        session,
        at=now,
        **audit.by(contact),
        action="report.reply",
        entity="report",
        entity_id=report.id,
        detail={"task": duty.task.number, "unit": duty.unit.name},
    )
    return report


async def restatus(
    session: AsyncSession,
    *,
    report: Report,
    status: ReportStatus,
    contact: Contact,
    period_id: int,
    now: datetime,
) -> Report | Refusal | None:
    """Change a reply's status (a new version, keeping its evidence); None when it is no longer
    the current one, or belongs to a period that is over (`period_id` is the one in force)."""
    if not report.is_current or report.period_id != period_id:
        return None
    if report.review == "accepted":
        return Refusal.ACCEPTED
    if report.status == status.value:
        return report
    # The same row, with its evidence loaded.
    loaded = await current_report(
        session, task_id=report.task_id, unit_id=report.unit_id, period_id=period_id
    )
    evidence = loaded.attachments if loaded is not None else []
    new = await add_report_version(
        session,
        task_id=report.task_id,
        unit_id=report.unit_id,
        period_id=report.period_id,
        contact_id=contact.id,
        role=report.role,
        status=status.value,
        percent=report.percent,
        text=report.text,
        attachments=[_attachment_dict(a) for a in evidence],
        now=now,
    )
    audit.record(
        session,
        at=now,
        **audit.by(contact),
        action="report.status",
        entity="report",
        entity_id=new.id,
        detail={"status": status.value, "supersedes": report.id},
    )
    return new


class ReviewOutcome(StrEnum):
    """What a review did."""

    ACCEPTED = "accepted"
    RETURNED = "returned"
    NOT_CURRENT = "not_current"
    ALREADY = "already"


async def review(
    session: AsyncSession,
    *,
    report: Report,
    accept: bool,
    reviewer: Contact,
    reason: str | None,
    now: datetime,
) -> ReviewOutcome:
    """A coordinator accepts a report, or returns it with a reason."""
    if not report.is_current:
        return ReviewOutcome.NOT_CURRENT
    if report.review == "accepted":
        return ReviewOutcome.ALREADY
    review_report(report, accepted=accept, reviewer_id=reviewer.id, reason=reason, now=now)
    audit.record(
        session,
        at=now,
        **audit.by(reviewer),
        action="report.accept" if accept else "report.return",
        entity="report",
        entity_id=report.id,
        detail={"reason": reason},
    )
    return ReviewOutcome.ACCEPTED if accept else ReviewOutcome.RETURNED


async def start_return(
    session: AsyncSession, *, report: Report, reviewer: Contact, chat_id: int, now: datetime
) -> ReportDraft:
    """退回 pressed: ask the coordinator for the reason (kept as a draft of kind 'return')."""
    draft = ReportDraft(
        contact_id=reviewer.id,
        kind="return",
        report_id=report.id,
        task_id=report.task_id,
        unit_id=report.unit_id,
        step=DraftStep.REASON,
        attachments=[],
        chat_id=chat_id,
        created_at=now,
        updated_at=now,
    )
    return await replace_draft(session, draft=draft)


async def draft_of(session: AsyncSession, *, contact: Contact) -> ReportDraft | None:
    """The person's conversation in progress."""
    return await get_draft(session, contact_id=contact.id)

"""Progress reports: the conversation's steps and storing report versions.

Handlers call these with a session and commit after each step, so a conversation survives
restarts. Who may report on what is in bot/duties.py, what people may type in
bot/validation.py, and reviews in bot/review.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from bot import report_values
from bot.calendar.clock import PlanMoment
from bot.duties import Reportable
from bot.lights import ReportStatus
from data.models import Contact, Period, Plan, Report, ReportDraft, Task, Unit
from data.repo import audit
from data.repo.periods import ensure_period
from data.repo.reports import (
    add_report_version,
    contributions,
    current_report,
    get_draft,
    replace_draft,
    take_draft,
)
from data.repo.targets import Facts, values_of_reports

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
    TARGET = "target"  # a target's value so far this year (bot/report_values.py)
    TEXT = "text"
    PREVIEW = "preview"
    REASON = "reason"  # a coordinator typing why a report is returned


# The step each rp:* button answers; pressed at another step it is stale (picking a task,
# paging and cancelling belong to no step).
BUTTON_STEPS: dict[str, DraftStep] = {
    "s": DraftStep.STATUS,
    "c": DraftStep.PERCENT,
    "skip": DraftStep.TARGET,
    "keep": DraftStep.TEXT,
    "ok": DraftStep.PREVIEW,
    "ed": DraftStep.PREVIEW,
}


def percent_pressed(value: tuple[str, ...]) -> bool:
    """A percent button's value: one of the choices, or a percent kept (y) after the question
    about 已完成 below 100%."""
    percent = int(value[0])
    return percent in PERCENT_CHOICES or (value[1:] == ("y",) and 0 <= percent <= 100)


def doubtful_percent(draft: ReportDraft, percent: int) -> bool:
    """已完成 with less than 100%: one of the two is likely a slip, so it is asked once."""
    return draft.status == ReportStatus.DONE.value and percent < 100


def button_fits(action: str, step: str) -> bool:
    """Whether a report button belongs to the step the draft is at."""
    wanted = BUTTON_STEPS.get(action)
    return wanted is None or step == wanted


@dataclass(frozen=True)
class Reporter:
    """A person reporting on one of their duties, at one moment of the plan."""

    contact: Contact
    duty: Reportable
    plan: Plan
    moment: PlanMoment
    now: datetime


class Refusal(StrEnum):
    """Why a report cannot be started, stored or changed."""

    ACCEPTED = "accepted"  # the period's report is accepted: it is final
    ALREADY_SUBMITTED = "already_submitted"  # the draft was taken (a second tap on 提交)
    NOT_CURRENT = "not_current"  # superseded, or its period is over


async def current_period(session: AsyncSession, *, plan: Plan, moment: PlanMoment) -> Period:
    """The period in force at the moment, created on first use (by whichever update or tick
    gets there first)."""
    span = moment.span
    return await ensure_period(
        session, plan_id=plan.id, kind=span.kind, start=span.start, end=span.end, due=moment.due
    )


def _final(report: Report | None) -> bool:
    """An accepted report closes its task for the unit in that period: no new version."""
    return report is not None and report.review == "accepted"


# The two halves of data.repo.reports.add_report_version's arguments, kept as typed dicts
# so they are passed on as they are.
class _Slot(TypedDict):
    """Where report versions go: a unit's report on a task in a period, in a role."""

    task_id: int
    unit_id: int
    period_id: int
    role: str


class _Content(TypedDict):
    """What a report version says."""

    status: str
    percent: int | None
    text: str
    attachments: list[dict[str, Any]]
    values: dict[int, str]  # target id → value so far this year


async def _standing(
    session: AsyncSession, *, reporter: Reporter
) -> tuple[_Slot, Report | None] | Refusal:
    """The duty's slot in the period in force and its current report, unless that is final."""
    duty = reporter.duty
    period = await current_period(session, plan=reporter.plan, moment=reporter.moment)
    period_id = period.id
    existing = await current_report(
        session, task_id=duty.task.id, unit_id=duty.unit.id, period_id=period_id
    )
    if _final(existing):
        return Refusal.ACCEPTED
    slot = _Slot(task_id=duty.task.id, unit_id=duty.unit.id, period_id=period_id, role=duty.role)
    return slot, existing


async def _new_version(
    session: AsyncSession,
    *,
    slot: _Slot,
    content: _Content,
    contact: Contact,
    action: str,
    detail: dict[str, Any],
    now: datetime,
) -> Report:
    """Every way a report changes: a new version, audited in the same transaction."""
    words = {k: v for k, v in content.items() if k not in ("attachments", "values")}
    columns = {**slot, **words, "contact_id": contact.id}
    evidence, values = content["attachments"], content["values"]
    report = await add_report_version(
        session, columns=columns, attachments=evidence, now=now, values=values
    )
    audit.by_person(session, contact, action, ("report", report.id), at=now, detail=detail)
    return report


async def _values(session: AsyncSession, report: Report | None) -> dict[int, str]:
    """A report's target values, to carry into its next version."""
    if report is None:
        return {}
    return (await values_of_reports(session, report_ids=[report.id])).get(report.id, {})


def _evidence(report: Report | None) -> list[dict[str, Any]]:
    """A report's attachments, to carry into its next version (or a draft)."""
    return [_attachment_dict(a) for a in report.attachments] if report is not None else []


async def begin(
    session: AsyncSession, *, reporter: Reporter, chat_id: int
) -> ReportDraft | Refusal:
    """Start (or restart) a report on a task for a unit; an earlier report pre-fills it."""
    standing = await _standing(session, reporter=reporter)
    if isinstance(standing, Refusal):
        return standing
    slot, existing = standing
    now = reporter.now
    draft = ReportDraft(
        contact_id=reporter.contact.id,
        kind="report",
        task_id=slot["task_id"],
        unit_id=slot["unit_id"],
        report_id=existing.id if existing else None,
        step=DraftStep.STATUS,
        status=existing.status if existing else None,
        percent=existing.percent if existing else None,
        text=existing.text if existing else None,
        attachments=_evidence(existing),
        chat_id=chat_id,
        created_at=now,
        updated_at=now,
    )
    await report_values.prefill(session, draft=draft, report_id=existing.id if existing else None)
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


# Evidence a report may carry (a phone's album is ten at most, too).
MAX_ATTACHMENTS = 10


def add_attachment(draft: ReportDraft, attachment: dict[str, Any], now: datetime) -> None:
    """Evidence: a photo or document sent during the text or preview step."""
    draft.attachments = [*draft.attachments, attachment]
    draft.updated_at = now


def back_to_start(draft: ReportDraft, now: datetime) -> None:
    """修改: go through the steps again, keeping what was entered as the defaults."""
    report_values.ask_again(draft)
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
    values: list[tuple[Facts, str | None]] = field(default_factory=list)  # target, value


async def preview(session: AsyncSession, *, reporter: Reporter, draft: ReportDraft) -> Preview:
    """The draft as it will be stored; a lead unit also sees the co-units' contributions."""
    duty = reporter.duty
    shown: list[tuple[Report, str]] = []
    if duty.role == "lead":
        period = await current_period(session, plan=reporter.plan, moment=reporter.moment)
        shown = await contributions(session, task_id=duty.task.id, period_id=period.id)
    targets = await report_values.targets_to_ask(session, draft=draft, role=duty.role)
    return Preview(
        task=duty.task,
        unit=duty.unit,
        role=duty.role,
        status=ReportStatus(draft.status or ReportStatus.ON_TRACK),
        percent=draft.percent,
        text=draft.text or "",
        attachments=len(draft.attachments),
        contributions=shown,
        values=[(t, report_values.given(draft, t.id)) for t in targets],
    )


@dataclass(frozen=True)
class Submitted:
    """A stored report and whether coordinators must hear of it at once."""

    report: Report
    escalate: bool


async def submit(
    session: AsyncSession, *, reporter: Reporter, draft: ReportDraft
) -> Submitted | Refusal:
    """Store the draft as the period's report in this transaction (taking the draft, so of two
    taps on 提交 the second is refused)."""
    if not await take_draft(session, draft_id=draft.id):
        return Refusal.ALREADY_SUBMITTED
    standing = await _standing(session, reporter=reporter)
    if isinstance(standing, Refusal):
        return standing
    slot, existing = standing
    duty = reporter.duty
    status = ReportStatus(draft.status or ReportStatus.ON_TRACK)
    targets = await report_values.targets_to_ask(session, draft=draft, role=duty.role)
    values = report_values.to_store(draft, targets)
    report = await _new_version(
        session,
        slot=slot,
        content=_Content(
            status=status.value,
            percent=draft.percent,
            text=draft.text or "",
            attachments=draft.attachments,
            values=values,
        ),
        contact=reporter.contact,
        action="report.edit" if existing else "report.submit",
        detail={
            "task": duty.task.number,
            "unit": duty.unit.name,
            "status": status.value,
            "percent": draft.percent,
            "values": {str(k): v for k, v in values.items()},
            "supersedes": existing.id if existing else None,
        },
        now=reporter.now,
    )
    changed = existing is None or existing.status != status.value
    return Submitted(report, status in ESCALATE and changed)


async def record_reply(
    session: AsyncSession, *, reporter: Reporter, text: str
) -> Report | Refusal:
    """A reply to a prompt about a task: stored at once as the period's report text, keeping
    the current version's status, percent and evidence."""
    standing = await _standing(session, reporter=reporter)
    if isinstance(standing, Refusal):
        return standing
    slot, existing = standing
    duty = reporter.duty
    return await _new_version(
        session,
        slot=slot,
        content=_Content(
            status=existing.status if existing else ReportStatus.ON_TRACK.value,
            percent=existing.percent if existing else None,
            text=text,
            attachments=_evidence(existing),
            values=await _values(session, existing),
        ),
        contact=reporter.contact,
        action="report.reply",
        detail={"task": duty.task.number, "unit": duty.unit.name},
        now=reporter.now,
    )


async def restatus(
    session: AsyncSession,
    *,
    report: Report,
    status: ReportStatus,
    contact: Contact,
    period_id: int,
    now: datetime,
) -> Report | Refusal:
    """Change a reply's status (a new version, keeping its evidence); refused when it is no
    longer the current one, or belongs to a period that is over (`period_id` is the one in
    force)."""
    if not report.is_current or report.period_id != period_id:
        return Refusal.NOT_CURRENT
    if _final(report):
        return Refusal.ACCEPTED
    if report.status == status.value:
        return report
    # The same row, with its evidence loaded.
    loaded = await current_report(
        session, task_id=report.task_id, unit_id=report.unit_id, period_id=period_id
    )
    slot = _Slot(
        task_id=report.task_id,
        unit_id=report.unit_id,
        period_id=report.period_id,
        role=report.role,
    )
    return await _new_version(
        session,
        slot=slot,
        content=_Content(
            status=status.value,
            percent=report.percent,
            text=report.text,
            attachments=_evidence(loaded),
            values=await _values(session, report),
        ),
        contact=contact,
        action="report.status",
        detail={"status": status.value, "supersedes": report.id},
        now=now,
    )


async def draft_of(session: AsyncSession, *, contact: Contact) -> ReportDraft | None:
    """The person's conversation in progress."""
    return await get_draft(session, contact_id=contact.id)

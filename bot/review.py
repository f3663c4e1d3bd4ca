"""Coordinators reviewing reports: 采纳 (accept), or 退回 (return with a reason the unit hears)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import report_button
from bot.delivery.queue import Outgoing, queue_message
from bot.i18n import Lang, fit, h, lang_of, t
from bot.reporting import DraftStep
from data.models import Contact, Report, ReportDraft
from data.repo import audit
from data.repo.contacts import liaisons_of
from data.repo.reports import get_report, replace_draft, review_report, take_draft
from data.repo.tasks import tasks_by_ids
from data.repo.units import units_by_ids


class ReviewOutcome(StrEnum):
    """What a review did."""

    ACCEPTED = "accepted"
    RETURNED = "returned"  # with a reason, told to the unit's liaisons
    NOT_CURRENT = "not_current"  # a newer version came in since the button was sent
    DECIDED = "decided"  # someone decided first (accepted or returned): see the report


@dataclass(frozen=True)
class Verdict:
    """A finished review and what to call the report in the answer: task number, unit name."""

    outcome: ReviewOutcome
    number: int
    unit: str


def _closed(report: Report) -> ReviewOutcome | None:
    """Why a report can no longer be reviewed (superseded, or decided), if it can't."""
    if not report.is_current:
        return ReviewOutcome.NOT_CURRENT
    if report.review != "pending":
        return ReviewOutcome.DECIDED
    return None


@dataclass(frozen=True)
class Decision:
    """Who decided a report first, and what (for the coordinator who came second)."""

    accepted: bool
    by: str
    at: datetime | None


async def decision_on(session: AsyncSession, *, report: Report) -> Decision:
    """The decision standing on a report, as the database has it now."""
    await session.refresh(report)
    by = await session.get(Contact, report.reviewed_by) if report.reviewed_by else None
    return Decision(report.review == "accepted", by.full_name if by else "?", report.reviewed_at)


async def nothing_done(
    session: AsyncSession, *, lang: Lang, outcome: ReviewOutcome, report: Report, tz: tzinfo
) -> str:
    """What to tell a coordinator whose review found the report superseded, or decided by
    someone first (who, what, when); Telegram HTML."""
    if outcome is ReviewOutcome.NOT_CURRENT:
        return t(lang, "review.not_current")
    decided = await decision_on(session, report=report)
    when = decided.at.astimezone(tz) if decided.at else None
    return t(
        lang,
        "review.decided",
        name=h(decided.by),
        decision=t(lang, "review.accepted" if decided.accepted else "review.returned"),
        time=f"{when:%m-%d %H:%M}" if when else "",
    )


async def report_names(session: AsyncSession, *, report: Report) -> tuple[int, str]:
    """The report's task number and unit name (0 and "" for ones no longer there)."""
    tasks = await tasks_by_ids(session, task_ids={report.task_id})
    units = await units_by_ids(session, ids={report.unit_id})
    task, unit = tasks.get(report.task_id), units.get(report.unit_id)
    return (task.number if task else 0), (unit.name if unit else "")


async def _decide(
    session: AsyncSession, *, report: Report, reviewer: Contact, reason: str | None, now: datetime
) -> ReviewOutcome:
    """Accept (no reason) or return (a reason) a report that is still open; audited."""
    closed = _closed(report)
    if closed is not None:
        return closed
    accept = reason is None
    if not await review_report(
        session,
        report_id=report.id,
        accepted=accept,
        reviewer_id=reviewer.id,
        reason=reason,
        now=now,
    ):
        # Someone decided (or the unit reported again) between reading and writing.
        await session.refresh(report)
        return _closed(report) or ReviewOutcome.DECIDED
    await session.refresh(report)
    action = "report.accept" if accept else "report.return"
    audit.by_person(
        session, reviewer, action, ("report", report.id), at=now, detail={"reason": reason}
    )
    return ReviewOutcome.ACCEPTED if accept else ReviewOutcome.RETURNED


async def accept(
    session: AsyncSession, *, report: Report, reviewer: Contact, now: datetime
) -> ReviewOutcome:
    """采纳: the report becomes final for its period."""
    return await _decide(session, report=report, reviewer=reviewer, reason=None, now=now)


async def start_return(
    session: AsyncSession, *, report: Report, reviewer: Contact, chat_id: int, now: datetime
) -> ReportDraft | ReviewOutcome:
    """退回 pressed: ask the coordinator for the reason (kept as a draft of kind 'return'),
    unless the report can no longer be reviewed."""
    closed = _closed(report)
    if closed is not None:
        return closed
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


async def finish_return(
    session: AsyncSession, *, draft: ReportDraft, reviewer: Contact, reason: str, now: datetime
) -> Verdict | None:
    """The typed reason ends the draft and returns its report (see `return_report`). None when
    the report is gone."""
    report = await get_report(session, report_id=draft.report_id) if draft.report_id else None
    await take_draft(session, draft_id=draft.id)
    if report is None:
        return None
    return await return_report(session, report=report, reviewer=reviewer, reason=reason, now=now)


async def return_report(
    session: AsyncSession, *, report: Report, reviewer: Contact, reason: str, now: datetime
) -> Verdict:
    """退回 with a reason (typed in chat, or on the dashboard): the unit's reachable liaisons
    hear why (through the outbox), unless someone decided first."""
    outcome = await _decide(session, report=report, reviewer=reviewer, reason=reason, now=now)
    number, unit = await report_names(session, report=report)
    if outcome is ReviewOutcome.RETURNED:
        for liaison in await liaisons_of(session, unit_id=report.unit_id):
            lang = lang_of(liaison.language)
            notice = t(lang, "review.returned_notice", number=number, reason=h(reason))
            message = Outgoing(
                chat_id=liaison.chat_id,
                kind="returned",
                buttons=[[report_button(lang, report.task_id, report.unit_id)]],
                text=fit(notice),
                contact_id=liaison.id,
                dedupe_key=f"returned:r{report.id}:c{liaison.id}",
            )
            await queue_message(session, message, now=now)
    return Verdict(outcome, number, unit)

"""Coordinators reviewing reports: 采纳 (accept) or 退回 (return, with a reason)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update

from bot.buttons import report_button
from bot.context import DubanContext
from bot.delivery.queue import queue_message
from bot.i18n import h, lang_of, t
from bot.reporting import ReviewOutcome, TextProblem, check_text, review, start_return
from data.models import Report, ReportDraft, Task, Unit
from data.repo.contacts import liaisons_of
from data.repo.reports import take_draft
from handlers.common import Caller, button_press, fit, identify, refuse_text, reply

log = logging.getLogger(__name__)


async def _names(session: AsyncSession, report: Report) -> tuple[int, str]:
    task = await session.get(Task, report.task_id)
    unit = await session.get(Unit, report.unit_id)
    return (task.number if task else 0), (unit.name if unit else "")


async def review_callback(update: Update, context: DubanContext) -> None:
    """rv:a:ID accepts at once; rv:r:ID asks for the reason first."""
    query, parsed = button_press(update)
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        if not caller.coordinator or caller.contact is None:
            await query.answer(t(caller.lang, "coordinator_only"), show_alert=True)
            return
        report = await session.get(Report, parsed.int(1))
        if report is None:
            await query.answer(t(caller.lang, "callback.stale"), show_alert=True)
            return
        number, unit = await _names(session, report)
        if parsed.args[0] == "r":
            if not report.is_current or report.review == "accepted":
                key = "review.not_current" if not report.is_current else "review.already"
                await query.answer(t(caller.lang, key), show_alert=True)
                return
            chat = update.effective_chat
            await start_return(
                session,
                report=report,
                reviewer=caller.contact,
                chat_id=chat.id if chat else caller.contact.chat_id,
                now=context.now(),
            )
            await session.commit()
            await query.answer()
            await reply(update, t(caller.lang, "review.ask_reason", unit=h(unit), number=number))
            return
        outcome = await review(
            session,
            report=report,
            accept=True,
            reviewer=caller.contact,
            reason=None,
            now=context.now(),
        )
        await session.commit()
    if outcome is ReviewOutcome.ACCEPTED:
        await query.answer(t(caller.lang, "review.done_accept", unit=unit, number=number))
        message = query.message if isinstance(query.message, Message) else None
        if message is not None:
            await reply(update, t(caller.lang, "review.done_accept", unit=h(unit), number=number))
    else:
        key = "review.not_current" if outcome is ReviewOutcome.NOT_CURRENT else "review.already"
        await query.answer(t(caller.lang, key), show_alert=True)


async def handle_reason(
    update: Update,
    context: DubanContext,
    session: AsyncSession,
    caller: Caller,
    draft: ReportDraft,
    raw: str,
) -> None:
    """The coordinator's typed reason: return the report and tell the unit's liaisons."""
    assert caller.contact is not None  # noqa: S101 - drafts belong to contacts
    reason = check_text(raw)
    if isinstance(reason, TextProblem):
        await refuse_text(update, caller.lang, reason, raw)
        return
    report = await session.get(Report, draft.report_id) if draft.report_id else None
    await take_draft(session, draft_id=draft.id)
    if report is None:
        await session.commit()
        await reply(update, t(caller.lang, "callback.stale"))
        return
    outcome = await review(
        session,
        report=report,
        accept=False,
        reviewer=caller.contact,
        reason=reason,
        now=context.now(),
    )
    number, unit = await _names(session, report)
    liaisons = (
        await liaisons_of(session, unit_id=report.unit_id)
        if (outcome is ReviewOutcome.RETURNED)
        else []
    )
    if outcome is not ReviewOutcome.RETURNED:
        await session.commit()
        key = "review.not_current" if outcome is ReviewOutcome.NOT_CURRENT else "review.already"
        await reply(update, t(caller.lang, key))
        return
    now = context.now()
    for liaison in liaisons:
        lang = lang_of(liaison.language)
        await queue_message(
            session,
            chat_id=liaison.chat_id,
            kind="returned",
            now=now,
            buttons=[[report_button(lang, report.task_id, report.unit_id)]],
            text=fit(t(lang, "review.returned_notice", number=number, reason=h(reason))),
            contact_id=liaison.id,
            dedupe_key=f"returned:r{report.id}:c{liaison.id}",
        )
    await session.commit()
    context.services.wake_outbox()
    await reply(update, t(caller.lang, "review.done_return", unit=h(unit), number=number))

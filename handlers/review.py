"""Coordinators reviewing reports: 采纳 (accept) or 退回 (return, with a reason)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update

from bot.context import DubanContext
from bot.i18n import h, t
from bot.review import ReviewOutcome, accept, finish_return, report_names, start_return
from bot.validation import TextProblem, check_text
from data.models import ReportDraft
from data.repo.reports import report_with_context
from handlers.common import Caller, button_press, identify, refuse_text, reply

log = logging.getLogger(__name__)


def _nothing_done(outcome: ReviewOutcome) -> str:
    """The catalog key for a review that found the report superseded or already accepted."""
    return "review.not_current" if outcome is ReviewOutcome.NOT_CURRENT else "review.already"


async def review_callback(update: Update, context: DubanContext) -> None:
    """rv:a:ID accepts at once; rv:r:ID asks for the reason first."""
    query, parsed = button_press(update)
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        if not caller.coordinator or caller.contact is None:
            await query.answer(t(caller.lang, "coordinator_only"), show_alert=True)
            return
        report = await report_with_context(session, report_id=parsed.int(1))
        if report is None:
            await query.answer(t(caller.lang, "callback.stale"), show_alert=True)
            return
        number, unit = await report_names(session, report=report)
        if parsed.args[0] == "r":
            chat = update.effective_chat
            started = await start_return(
                session,
                report=report,
                reviewer=caller.contact,
                chat_id=chat.id if chat else caller.contact.chat_id,
                now=context.now(),
            )
            if isinstance(started, ReviewOutcome):
                await query.answer(t(caller.lang, _nothing_done(started)), show_alert=True)
                return
            await session.commit()
            await query.answer()
            await reply(update, t(caller.lang, "review.ask_reason", unit=h(unit), number=number))
            return
        outcome = await accept(session, report=report, reviewer=caller.contact, now=context.now())
        await session.commit()
    if outcome is ReviewOutcome.ACCEPTED:
        await query.answer(t(caller.lang, "review.done_accept", unit=unit, number=number))
        message = query.message if isinstance(query.message, Message) else None
        if message is not None:
            await reply(update, t(caller.lang, "review.done_accept", unit=h(unit), number=number))
    else:
        await query.answer(t(caller.lang, _nothing_done(outcome)), show_alert=True)


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
    verdict = await finish_return(
        session, draft=draft, reviewer=caller.contact, reason=reason, now=context.now()
    )
    await session.commit()
    if verdict is None:
        await reply(update, t(caller.lang, "callback.stale"))
        return
    if verdict.outcome is not ReviewOutcome.RETURNED:
        await reply(update, t(caller.lang, _nothing_done(verdict.outcome)))
        return
    context.services.wake_outbox()
    await reply(
        update, t(caller.lang, "review.done_return", unit=h(verdict.unit), number=verdict.number)
    )

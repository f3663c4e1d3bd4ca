"""Coordinators reviewing reports: 采纳 (accept) or 退回 (return, with a typed reason)."""

from __future__ import annotations

from bot.i18n import h
from bot.review import (
    ReviewOutcome,
    accept,
    finish_return,
    nothing_done,
    report_names,
    start_return,
)
from bot.validation import TextProblem, check_text
from data.models import Report, ReportDraft
from data.repo.reports import get_report
from data.repo.tasks import plan_of_task
from handlers.access import Known, Member, Request, coordinator


async def _nothing_done(req: Request, outcome: ReviewOutcome, report: Report) -> str:
    """What to tell a coordinator whose review found nothing left to decide."""
    tz = req.context.settings.tz
    return await nothing_done(req.session, lang=req.lang, outcome=outcome, report=report, tz=tz)


@coordinator(plan=False)
async def review_callback(req: Known) -> None:
    """rv:a:ID accepts at once; rv:r:ID asks for the reason first."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    report = await get_report(req.session, report_id=parsed.int(1))
    if report is None:
        await req.refuse("callback.stale")
        return
    plan_id = await plan_of_task(req.session, task_id=report.task_id)
    if plan_id is None or not req.caller.scope.covers(plan_id):
        await req.refuse("coordinator_only")  # a plan this coordinator does not coordinate
        return
    number, unit = await report_names(req.session, report=report)
    if parsed.args[0] == "r":
        started = await start_return(
            req.session,
            report=report,
            reviewer=req.contact,
            chat_id=req.chat_id or req.contact.chat_id,
            now=req.now(),
        )
        if isinstance(started, ReviewOutcome):
            await req.say_no(await _nothing_done(req, started, report))
            return
        await req.session.commit()
        await req.query.answer()
        await req.reply(req.t("review.ask_reason", unit=h(unit), number=number))
        return
    outcome = await accept(req.session, report=report, reviewer=req.contact, now=req.now())
    await req.session.commit()
    if outcome is not ReviewOutcome.ACCEPTED:
        await req.say_no(await _nothing_done(req, outcome, report))
        return
    if req.pressed_on is None:
        # Telegram no longer shows the message: the button's own notice is the only answer.
        await req.query.answer(req.t("review.done_accept", unit=unit, number=number))
        return
    await req.query.answer()
    await req.reply(req.t("review.done_accept", unit=h(unit), number=number))


async def take_reason(req: Member, draft: ReportDraft, raw: str) -> None:
    """The coordinator's typed reason: return the report and tell the unit's liaisons."""
    reason = check_text(raw)
    if isinstance(reason, TextProblem):
        await req.explain(reason, raw)
        return
    verdict = await finish_return(
        req.session, draft=draft, reviewer=req.contact, reason=reason, now=req.now()
    )
    if verdict is None:
        await req.session.commit()
        await req.reply(req.t("callback.stale"))
        return
    if verdict.outcome is not ReviewOutcome.RETURNED:
        await req.session.commit()
        report = await get_report(req.session, report_id=draft.report_id or 0)
        if report is not None:
            await req.reply(await _nothing_done(req, verdict.outcome, report))
        return
    await req.queued()
    await req.reply(req.t("review.done_return", unit=h(verdict.unit), number=verdict.number))

"""The dashboard's writes, through the services the chat's buttons use (audited the same way):
采纳 / 退回 (bot/review.py) and 催办 (bot/chasing.py, queued in the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import plan_moment
from bot.chasing import chase as queue_chases
from bot.chasing import late_units
from bot.context import Services
from bot.dashboard.auth import Refused, Viewer
from bot.i18n import h, t
from bot.review import ReviewOutcome, accept, nothing_done, report_names, return_report
from bot.validation import TextProblem, check_text
from data.models import Plan
from data.repo.reports import get_report
from data.repo.tasks import plan_of_task


@dataclass(frozen=True)
class Done:
    """What a write did, in the viewer's language (Telegram HTML, made plain by the route)."""

    ok: bool
    message: str
    status: int = 200


async def review(
    session: AsyncSession,
    services: Services,
    viewer: Viewer,
    *,
    report_id: int,
    accepting: bool,
    reason: str,
) -> Done:
    """采纳 a report, or 退回 it with a reason the unit's liaisons hear; one decision wins."""
    lang, now = viewer.lang, services.clock().astimezone(UTC)
    report = await get_report(session, report_id=report_id)
    if report is None:
        raise Refused(404, "dash.not_found")
    viewer.plan(await plan_of_task(session, task_id=report.task_id) or -1)
    if accepting:
        outcome = await accept(session, report=report, reviewer=viewer.contact, now=now)
    else:
        cleaned = check_text(reason)
        if isinstance(cleaned, TextProblem):
            return Done(False, t(lang, f"dash.reason_{cleaned.value}"), 400)
        verdict = await return_report(
            session, report=report, reviewer=viewer.contact, reason=cleaned, now=now
        )
        outcome = verdict.outcome
    await session.commit()
    services.wake_outbox()
    number, unit = await report_names(session, report=report)
    if outcome is ReviewOutcome.ACCEPTED:
        return Done(True, t(lang, "review.done_accept", unit=h(unit), number=number))
    if outcome is ReviewOutcome.RETURNED:
        return Done(True, t(lang, "review.done_return", unit=h(unit), number=number))
    said = await nothing_done(
        session, lang=lang, outcome=outcome, report=report, tz=services.settings.tz
    )
    return Done(False, said, 409)


async def chase(
    session: AsyncSession, services: Services, viewer: Viewer, *, plan: Plan, unit_id: int | None
) -> Done:
    """催办 one late unit (or every late unit anyone can hear) through the outbox, as /late."""
    lang, now = viewer.lang, services.clock().astimezone(UTC)
    moment = plan_moment(plan, now=now, tz=services.settings.tz, calendar=services.calendar)
    found = await late_units(session, plan=plan, moment=moment)
    wanted = [e.unit.id for e in found.reachable] if unit_id is None else [unit_id]
    units, people = await queue_chases(
        session, late=found, unit_ids=wanted, by=viewer.contact, now=now
    )
    await session.commit()
    services.wake_outbox()
    if not people:
        return Done(False, t(lang, "late.nothing_to_chase"), 409)
    return Done(True, t(lang, "late.chased_done", units=units, people=people))

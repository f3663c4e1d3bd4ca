"""Escalation: a report of 受阻 or 需协调 goes to every coordinator at once, through the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import review_rows
from bot.delivery.queue import Outgoing, queue_message
from bot.duties import Reportable
from bot.i18n import fit, h, lang_of, t
from bot.tasks_view import short_title
from data.models import Contact, Report
from data.repo.coordinators import coordinators


async def escalate(
    session: AsyncSession,
    *,
    report: Report,
    duty: Reportable,
    sender: Contact,
    extra_coordinators: Sequence[int],
    now: datetime,
) -> None:
    """Queue the report's text with 采纳 / 退回 to every coordinator (the caller commits)."""
    plan_id = duty.plan.id
    for coordinator in await coordinators(session, extra_ids=extra_coordinators, plan_id=plan_id):
        lang = lang_of(coordinator.language)
        text = t(
            lang,
            "report.escalation",
            status=t(lang, f"status.{report.status}"),
            number=duty.task.number,
            unit=h(duty.unit.name),
            title=h(short_title(duty.task.text, 60)),
            text=h(report.text),
            sender=h(sender.full_name),
        )
        alert = Outgoing(
            chat_id=coordinator.chat_id,
            text=fit(text),
            kind="escalation",
            buttons=review_rows(lang, [(report.id, duty.unit.name)]),
            contact_id=coordinator.id,
            dedupe_key=f"escalation:r{report.id}:c{coordinator.id}",
        )
        await queue_message(session, alert, now=now)

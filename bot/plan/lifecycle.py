"""A plan's life: open while its year and its last period's reports run, then closed by the
clock (coordinators are told; tasks and reports stay)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.calendar.workdays import Calendar
from bot.delivery.queue import Outgoing, queue_messages
from bot.i18n import h, lang_of, t
from data.models import Plan
from data.repo import audit
from data.repo.coordinators import coordinators
from data.repo.plans import close_plans

log = logging.getLogger("duban.plans")


def last_day(moment: PlanMoment, calendar: Calendar) -> date:
    """The plan's last day: its year's end, or the day after its last period's due day (the
    late step) when that comes later, as when December's reports are due in January."""
    late = calendar.next_working_day(moment.last_due, inclusive=False)
    return max(moment.year_end, late) if moment.last_due > moment.year_end else moment.year_end


def is_over(moment: PlanMoment, calendar: Calendar) -> bool:
    """Whether the plan has run its course at this moment (periods and nudges stop)."""
    return moment.today > last_day(moment, calendar)


async def close_finished(
    session: AsyncSession,
    *,
    plans: Sequence[tuple[Plan, PlanMoment]],
    calendar: Calendar,
    coordinator_ids: Sequence[int],
    now: datetime,
) -> list[Plan]:
    """Close the plans that have run their course and tell the coordinators, in the caller's
    transaction; returns the plans closed."""
    finished = [plan for plan, moment in plans if is_over(moment, calendar)]
    if not finished:
        return []
    await close_plans(session, plan_ids=[p.id for p in finished], now=now)
    notices = []
    for plan in finished:  # a plan or two at a year's turn
        people = await coordinators(session, extra_ids=coordinator_ids, plan_id=plan.id)
        audit.record(session, "clock", "plan.close", ("plan", plan.id), at=now)
        log.info("plan %s closed: its year and last period are over", plan.document)
        for person in people:
            lang = lang_of(person.language)
            notices.append(
                Outgoing(
                    chat_id=person.chat_id,
                    kind="system",
                    text=t(
                        lang,
                        "plan.closed",
                        name=h(plan.short_name),
                        document=h(plan.document),
                        year=plan.year,
                    ),
                    contact_id=person.id,
                    dedupe_key=f"plan-closed:{plan.id}:c{person.id}",
                )
            )
    await queue_messages(session, notices, now=now)
    return finished

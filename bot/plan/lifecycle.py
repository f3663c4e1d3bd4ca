"""A plan's life: open while its year runs, then closed by the clock (reports stay)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from data.models import Plan
from data.repo import audit
from data.repo.plans import close_plans

log = logging.getLogger("duban.plans")


def is_over(moment: PlanMoment) -> bool:
    """Whether the plan's year is over at this moment (periods and nudges stop)."""
    return moment.today > moment.year_end


async def close_finished(
    session: AsyncSession, *, plans: Sequence[tuple[Plan, PlanMoment]], now: datetime
) -> list[Plan]:
    """Close the plans whose year is over, in the caller's transaction; returns them."""
    finished = [plan for plan, moment in plans if is_over(moment)]
    await close_plans(session, plan_ids=[p.id for p in finished], now=now)
    for plan in finished:
        audit.record(
            session, at=now, actor="clock", action="plan.close", entity="plan", entity_id=plan.id
        )
        log.info("plan %s closed: its year is over", plan.document)
    return finished

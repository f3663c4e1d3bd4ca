"""The dashboard's figures of a plan, read in a worker process and kept while nothing changed.

They are /status's own ledger and numbers (bot/ledger/jobs.py), so the overview and /status
agree by construction. Reading a city's ledger takes seconds, so figures are kept per plan and
local day. When the data version (the newest audit entry and report) moves on, or the kept
figures are older than `MAX_AGE` (what the audit does not see, such as a liaison who blocked
the bot, shows within that), the kept figures are still shown, marked as being updated, while
a worker reads the new ones (stale while revalidating): nobody waits seconds after each report.
Only the first view of a plan on a day waits for its read. Only figures are kept, never
rights: who may see them is checked at every call before they are looked up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Services
from bot.ledger.jobs import DashboardFigures, dashboard_figures, ledger_job
from data.models import Plan
from data.repo.dashboard import data_version

log = logging.getLogger("duban.dashboard")

MAX_AGE = timedelta(minutes=1)


@dataclass(frozen=True)
class Shown:
    """Figures as a page shows them, with when they were read; `updating` while newer ones
    are read."""

    figures: DashboardFigures
    clock: str  # when they were read, local time (HH:MM)
    updating: bool


@dataclass(frozen=True)
class _Kept:
    version: tuple[int, int]
    today: date
    read_at: datetime
    figures: DashboardFigures


class FiguresCache:
    """Each plan's latest figures, by data version."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._kept: dict[int, _Kept] = {}
        self._reading: dict[int, asyncio.Task[DashboardFigures]] = {}

    async def of(self, session: AsyncSession, plan: Plan) -> Shown:
        """The plan's figures now: kept ones (a newer read started when they are behind), or,
        the first time on a day, read in a worker (two people asking at once share one read)."""
        services = self._services
        now = services.clock()
        today = now.astimezone(services.settings.tz).date()
        version = await data_version(session)
        await session.commit()  # no transaction stays open while a worker reads
        kept = self._kept.get(plan.id)
        if kept is None or kept.today != today:
            figures = await self._read(plan.id, version, today, now)
            return self._shown(figures, now, updating=False)
        if kept.version != version or now - kept.read_at >= MAX_AGE:
            reading = self._reading.get(plan.id)
            if reading is None or reading.done():
                self._reading[plan.id] = asyncio.create_task(
                    self._read(plan.id, version, today, now), name=f"dashboard figures {plan.id}"
                )
                self._reading[plan.id].add_done_callback(_log_failure)
            return self._shown(kept.figures, kept.read_at, updating=True)
        return self._shown(kept.figures, kept.read_at, updating=False)

    def _shown(self, figures: DashboardFigures, read_at: datetime, *, updating: bool) -> Shown:
        clock = f"{read_at.astimezone(self._services.settings.tz):%H:%M}"
        return Shown(figures, clock, updating)

    async def _read(
        self, plan_id: int, version: tuple[int, int], today: date, now: datetime
    ) -> DashboardFigures:
        services = self._services
        job = ledger_job(
            services.settings,
            plan_ids=[plan_id],
            lang="zh",  # the figures hold no text; pages are written in the viewer's language
            now=now,
            thresholds=services.thresholds,
        )
        figures = await services.offload.run(
            ("dashboard", plan_id, version, today), dashboard_figures, job
        )
        kept = self._kept.get(plan_id)
        if kept is None or kept.read_at <= now:  # a slower, older read never wins
            self._kept[plan_id] = _Kept(version, today, now, figures)
        return figures


def _log_failure(task: asyncio.Task[DashboardFigures]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("reading the dashboard's figures failed", exc_info=task.exception())

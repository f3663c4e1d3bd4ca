"""The dashboard's figures of a plan, read in a worker process and kept while nothing changed.

They are /status's own ledger and numbers (bot/ledger/jobs.py), so the overview and /status
agree by construction. Reading a city's ledger takes a second or more, so figures are kept
per plan while the data version (the newest audit entry and report), the local day and the
plan in view are the same, and for at most `MAX_AGE` (what the audit does not see, such as a
liaison who blocked the bot, shows within that). Only figures are kept, never rights: who may
see them is checked at every call before they are looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Services
from bot.ledger.jobs import DashboardFigures, dashboard_figures, ledger_job
from data.models import Plan
from data.repo.dashboard import data_version

MAX_AGE = timedelta(minutes=1)


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

    async def of(self, session: AsyncSession, plan: Plan) -> DashboardFigures:
        """The plan's figures now: kept ones while still current, else read in a worker (two
        people asking at once share one read)."""
        services = self._services
        now = services.clock()
        today = now.astimezone(services.settings.tz).date()
        version = await data_version(session)
        await session.commit()  # no transaction stays open while a worker reads
        kept = self._kept.get(plan.id)
        if (
            kept is not None
            and (kept.version, kept.today) == (version, today)
            and now - kept.read_at < MAX_AGE
        ):
            return kept.figures
        job = ledger_job(
            services.settings,
            plan_ids=[plan.id],
            lang="zh",  # the figures hold no text; pages are written in the viewer's language
            now=now,
            thresholds=services.thresholds,
        )
        figures = await services.offload.run(
            ("dashboard", plan.id, version, today), dashboard_figures, job
        )
        self._kept[plan.id] = _Kept(version, today, now, figures)
        return figures

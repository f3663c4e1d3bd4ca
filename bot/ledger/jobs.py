"""The ledger's heavy jobs, run in a worker process: the workbook, the /status figures and the
bulletin (通报).

matplotlib and the workbook and Word writers are imported inside the jobs, so the bot's own
process (which only names the jobs) never loads them.

Each job opens its own database engine from the URL it is given and runs its own event loop,
so neither the reading of tens of thousands of rows nor the writer or matplotlib ever runs on the
loop that answers users (a thread would not do: it holds the interpreter lock).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import NullPool

from bot.calendar.clock import PlanMoment, period_moment, plan_moment
from bot.calendar.periods import parse_period
from bot.calendar.workdays import calendar_for
from bot.i18n import DEFAULT_LANG, Lang, t
from bot.ledger.build import read_ledger
from bot.ledger.model import Ledger, Overview, counted, overview, section_label
from bot.ledger.status import read_status
from bot.ledger.trend import TrendPoint, read_trend
from bot.lights import LIGHT_ORDER, Light, LightThresholds
from bot.offload import run_job
from bot.settings import Settings
from data.db import make_engine, make_sessionmaker
from data.models import Plan
from data.repo.ledger import stream_history, year_bounds
from data.repo.plans import get_plan_by_id

CHART_UNITS = 15


@dataclass(frozen=True)
class LedgerJob:
    """What a worker needs to read plans' ledgers by itself (the first plan for /status)."""

    database_url: str
    plan_ids: tuple[int, ...]
    now: datetime
    timezone: str
    calendar_file: Path | None
    thresholds: LightThresholds
    lang: Lang


def ledger_job(
    settings: Settings,
    *,
    plan_ids: Sequence[int],
    lang: Lang,
    now: datetime,
    thresholds: LightThresholds,
) -> LedgerJob:
    """The job for plans' ledgers as the bot's settings describe its database and calendar."""
    return LedgerJob(
        database_url=settings.database_url,
        plan_ids=tuple(plan_ids),
        now=now,
        timezone=settings.timezone,
        calendar_file=settings.calendar_file,
        thresholds=thresholds,
        lang=lang,
    )


@dataclass(frozen=True)
class ExportFile:
    """A written workbook and what it holds (not the ledgers it was written from: a city's would
    take the bot's loop a sixth of a second to unpickle)."""

    data: bytes
    tasks: int
    reports: int
    units: int
    moment: PlanMoment  # the first plan's, which the file is named and captioned after


@dataclass(frozen=True)
class StatusFigures:
    """The /status numbers and their chart (not the ledger: pickling ten thousand tasks back
    to the bot would cost its loop a second)."""

    moment: PlanMoment
    overview: Overview
    targets: int  # the plan's live targets
    png: bytes | None  # no chart when only the numbers were asked for


@asynccontextmanager
async def _session(job: LedgerJob) -> AsyncIterator[AsyncSession]:
    """A session on the job's own engine (nothing is shared with the bot's process)."""
    engine = make_engine(job.database_url, poolclass=NullPool)
    try:
        async with make_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def _ledger(
    session: AsyncSession, job: LedgerJob, plan_id: int, period: str | None = None
) -> Ledger:
    """A plan's ledger for the period in force, or for the period named (2026-06)."""
    plan, moment = await _moment(session, job, plan_id)
    calendar = calendar_for(job.calendar_file)
    tz = ZoneInfo(job.timezone)
    if period is not None:
        span = parse_period(period, plan.period_kind)
        if span.year != plan.year:
            raise ValueError(f"{period} is outside {plan.short_name}'s year {plan.year}")
        moment = period_moment(plan, span, now=job.now, tz=tz, calendar=calendar)
    ledger = await read_ledger(
        session, plan=plan, moment=moment, calendar=calendar, thresholds=job.thresholds, tz=tz
    )
    await session.commit()  # the period may have been created just now
    return ledger


async def _export(job: LedgerJob, all_years: bool) -> ExportFile:
    from bot.ledger.workbook import LedgerWorkbook  # the writer loads in the worker only

    tz = ZoneInfo(job.timezone)
    buffer = io.BytesIO()
    async with _session(job) as session:
        ledgers = [await _ledger(session, job, plan_id) for plan_id in job.plan_ids]
        book = LedgerWorkbook(ledgers, lang=job.lang, tz=tz, target=buffer)
        for ledger in ledgers:
            since, until = (None, None) if all_years else year_bounds(ledger.year, tz)
            history = stream_history(session, plan_id=ledger.plan_id, since=since, until=until)
            async for rows in history:
                book.add_history(rows, ledger)
    book.save()
    tasks = sum(len(ledger.tasks) for ledger in ledgers)
    units = sum(len(ledger.rates) for ledger in ledgers)
    return ExportFile(buffer.getvalue(), tasks, book.history_rows, units, ledgers[0].moment)


def export_workbook(job: LedgerJob, all_years: bool = False) -> ExportFile:
    """The ledger workbook of the job's plans (history: each plan's year, or all of it)."""
    return run_job(_export(job, all_years))


async def _moment(session: AsyncSession, job: LedgerJob, plan_id: int) -> tuple[Plan, PlanMoment]:
    """A plan and the moment of its period in force."""
    plan = await get_plan_by_id(session, plan_id=plan_id)
    if plan is None:
        raise LookupError(f"no plan {plan_id}")
    tz = ZoneInfo(job.timezone)
    return plan, plan_moment(plan, now=job.now, tz=tz, calendar=calendar_for(job.calendar_file))


async def _status(job: LedgerJob, chart: bool) -> StatusFigures:
    async with _session(job) as session:
        plan, moment = await _moment(session, job, job.plan_ids[0])
        numbers, targets = await read_status(
            session,
            plan=plan,
            moment=moment,
            calendar=calendar_for(job.calendar_file),
            thresholds=job.thresholds,
            tz=ZoneInfo(job.timezone),
        )
        await session.commit()  # the period may have been created just now
    png = _chart(numbers, job.lang) if chart else None
    return StatusFigures(moment, numbers, targets, png)


def _chart(numbers: Overview, lang: Lang) -> bytes:
    from bot.charts import StatusChart  # matplotlib loads in the worker only

    # Only units with something to show; the rest are one line saying they stand at 0.
    shown = [r for r in numbers.ranking if r.on_time][:CHART_UNITS]
    rest = len(numbers.ranking) - len(shown)
    note = ""
    if not shown:
        note = t(lang, "overview.chart_nobody", count=len(numbers.ranking))
    elif rest:
        note = t(lang, "overview.chart_rest", count=rest)
    return StatusChart(
        title=t(lang, "overview.chart_title"),
        sections=[(section_label(n, title, None), c) for n, title, c in numbers.sections],
        light_names={light: t(lang, f"light.{light.value}") for light in LIGHT_ORDER},
        ranking=[(r.unit, r.on_time, r.owed) for r in shown],
        ranking_title=t(lang, "overview.chart_ranking", count=len(shown)),
        count_label=t(lang, "overview.chart_count"),
        ranking_note=note,
    ).png()


def status_figures(job: LedgerJob, chart: bool = True) -> StatusFigures:
    """The /status numbers of the job's (first) plan, and their chart unless not wanted."""
    return run_job(_status(job, chart))


@dataclass(frozen=True)
class DashboardFigures:
    """What the dashboard's overview, matrix and units pages are read from: /status's ledger
    and numbers, and the trend over the plan's periods."""

    ledger: Ledger
    overview: Overview
    trend: list[TrendPoint]


async def _dashboard(job: LedgerJob) -> DashboardFigures:
    async with _session(job) as session:
        ledger = await _ledger(session, job, job.plan_ids[0])
        plan = await get_plan_by_id(session, plan_id=ledger.plan_id)
        assert plan is not None  # noqa: S101 - _ledger has just read it
        trend = await read_trend(
            session,
            plan=plan,
            ledger=ledger,
            calendar=calendar_for(job.calendar_file),
            thresholds=job.thresholds,
        )
    return DashboardFigures(ledger, overview(ledger), trend)


def dashboard_figures(job: LedgerJob) -> DashboardFigures:
    """The dashboard's figures of the job's (first) plan: the same ledger as /status's."""
    return run_job(_dashboard(job))


@dataclass(frozen=True)
class BulletinFile:
    """A written bulletin (.docx) and the ledgers it was written from."""

    data: bytes
    filename: str
    ledgers: list[Ledger]


async def _bulletin(job: LedgerJob, period: str | None) -> BulletinFile:
    from bot.ledger.bulletin import write_bulletin  # python-docx loads in the worker only

    async with _session(job) as session:
        ledgers = [await _ledger(session, job, plan_id, period) for plan_id in job.plan_ids]
    lang = job.lang
    data = write_bulletin(
        [(ledger, overview(ledger)) for ledger in ledgers],
        lang=lang,
        office=t(lang, "bulletin.office"),
    )
    label = ledgers[0].moment.span.label(lang)
    return BulletinFile(data, f"{t(lang, 'bulletin.filename')}-{label}.docx", ledgers)


def bulletin_document(job: LedgerJob, period: str | None = None) -> BulletinFile:
    """The bulletin (通报) of the job's plans for the period in force, or the one named
    (ValueError when it is not a period of the plan's year)."""
    return run_job(_bulletin(job, period))


def warm_up() -> None:
    """Load what the jobs need (matplotlib, its CJK font, the workbook and Word writers) before
    the first coordinator asks, so that /status answers in its usual time from the start."""
    from bot.ledger import bulletin, workbook  # noqa: F401 - loaded for the first export

    # One small chart drawn and thrown away: the first one in a process spends about a second
    # setting matplotlib up (pyplot, the font's tables, the PNG writer).
    sample = counted([(1, t(DEFAULT_LANG, "overview.chart_title"))], [(1, Light.GREEN)], [], [])
    _chart(sample, DEFAULT_LANG)

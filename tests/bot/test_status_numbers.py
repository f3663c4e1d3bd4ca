"""/status's numbers, read by themselves, are the ledger's: lights by section, each unit's
tasks owed, reported and reported on time, and the targets behind time."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ledger.jobs import dashboard_figures, status_figures
from bot.ledger.model import overview
from data.models import Report, Task, TaskTarget, Unit
from data.repo.periods import ensure_period
from data.repo.reports import add_report_version
from tests.bot.test_ledger_workbook import NOW, TZ, build_june, june_job

Sessions = async_sessionmaker[AsyncSession]


async def _values_and_a_late_report(sessions: Sessions) -> None:
    """市人社局 reports task 80 with a target's value; 市财政局's report arrived after the
    due day (25 June)."""
    async with sessions() as session:
        tasks = {t.number: t for t in (await session.scalars(select(Task))).all()}
        june = await ensure_period(
            session,
            plan_id=tasks[80].plan_id,
            kind="month",
            start=date(2026, 6, 1),
            end=date(2026, 6, 30),
            due=date(2026, 6, 25),
        )
        target = await session.scalar(
            select(TaskTarget).where(
                TaskTarget.task_id == tasks[80].id, TaskTarget.metric == "城镇新增就业"
            )
        )
        unit = await session.scalar(select(Unit).where(Unit.name == "市人社局"))
        assert target is not None and unit is not None
        columns = {
            "task_id": tasks[80].id,
            "unit_id": unit.id,
            "period_id": june.id,
            "contact_id": None,
            "role": "lead",
            "status": "on_track",
            "percent": 45,
            "text": "新增就业12万人",
        }
        await add_report_version(
            session,
            columns=columns,
            attachments=[],
            now=NOW - timedelta(days=2),
            values={target.id: "12"},
        )
        finance = await session.scalar(select(Unit.id).where(Unit.name == "市财政局"))
        await session.execute(
            update(Report)
            .where(Report.unit_id == finance)
            .values(first_submitted_at=datetime(2026, 6, 26, 9, 0, tzinfo=TZ))
        )
        await session.commit()


async def test_status_numbers_are_the_ledgers(database_url: str, sessions: Sessions) -> None:
    await build_june(sessions)
    await _values_and_a_late_report(sessions)
    job = june_job(database_url)
    figures = await asyncio.to_thread(status_figures, job, False)
    ledger = (await asyncio.to_thread(dashboard_figures, job)).ledger  # the whole ledger
    assert figures.overview == overview(ledger)
    assert figures.moment == ledger.moment
    assert figures.targets == len(ledger.targets) == 114
    ranking = {r.unit: (r.owed, r.reported, r.on_time) for r in figures.overview.ranking}
    assert ranking["市发改委"] == (23, 2, 2)
    assert ranking["市财政局"] == (4, 1, 0)  # reported, after the due day
    assert "江宁区政府" not in ranking  # it leads nothing: its report was as a co-unit
    assert figures.overview.targets == 1


async def test_on_time_is_judged_on_the_plans_clock(database_url: str, sessions: Sessions) -> None:
    # Due 25 June. 23:30 on the 25th in Nanjing is on time; 07:00 on the 26th is late, though
    # it is still the 25th in UTC (23:00), as the times are stored.
    await build_june(sessions)
    async with sessions() as session:
        units = {u.name: u.id for u in (await session.scalars(select(Unit))).all()}
        for unit, moment in (
            ("市发改委", datetime(2026, 6, 25, 23, 30, tzinfo=TZ)),
            ("市财政局", datetime(2026, 6, 26, 7, 0, tzinfo=TZ)),
        ):
            await session.execute(
                update(Report)
                .where(Report.unit_id == units[unit])
                .values(first_submitted_at=moment)
            )
        await session.commit()
    job = june_job(database_url)
    for figures in (
        await asyncio.to_thread(status_figures, job, False),
        await asyncio.to_thread(dashboard_figures, job),
    ):
        ranking = {r.unit: (r.reported, r.on_time) for r in figures.overview.ranking}
        assert ranking["市发改委"] == (2, 2)
        assert ranking["市财政局"] == (1, 0)

"""Importing plans into the database: resolution, idempotence, corrections, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.plan.loader import import_plan
from bot.plan.parser import PlanParseError
from data.models import AuditEntry, Base, Period, Report, Task, Unit
from data.repo.plans import get_plan, plan_tree
from data.repo.units import list_units
from tests.factories.plans import FIXED_NOW, SEED_TEXT, directory, load_seed, small_plan

Sessions = async_sessionmaker[AsyncSession]


async def _snapshot(sessions: Sessions) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (bar the audit log's timestamps), to compare imports."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table).order_by(*table.primary_key))).all()
            out[table.name] = [tuple(row) for row in rows]
    return out


async def _units_of(sessions: Sessions, number: int) -> tuple[list[str], list[str]]:
    async with sessions() as session:
        plan = await get_plan(session)
        assert plan is not None
        for _section, tasks in await plan_tree(session, plan_id=plan.id):
            for task in tasks:
                if task.number == number:
                    units = sorted(task.units, key=lambda tu: tu.position)
                    return (
                        [tu.unit.name for tu in units if tu.role == "lead"],
                        [tu.unit.name for tu in units if tu.role == "co"],
                    )
    raise AssertionError(f"task {number} not found")


async def test_seed_import_resolves_names_through_the_directory(sessions: Sessions) -> None:
    summary = await load_seed(sessions)
    assert (summary.document, summary.sections, summary.tasks) == ("宁政发〔2021〕16号", 11, 100)
    assert summary.created == 100 and summary.unknown_units == []
    # 市消防救援支队等相关部门: the written 相关部门 resolves to the collective 市相关部门.
    assert await _units_of(sessions, 73) == (
        ["市应急管理局", "市水务局"],
        [
            "市商务局",
            "市交通运输局",
            "市建委",
            "市消防救援支队",
            "市相关部门",
            "各区政府",
            "各园区管委会",
        ],
    )
    assert (await _units_of(sessions, 40))[0][0] == "市政府国资委"


async def test_units_report_counts_and_collectives(sessions: Sessions) -> None:
    await load_seed(sessions)
    async with sessions() as session:
        rows = {row.name: row for row in await list_units(session)}
    assert (rows["市发改委"].lead, rows["市发改委"].co) == (23, 11)
    districts = rows["各区政府"]
    assert districts.kind == "collective" and len(districts.members) == 11
    assert "江宁区政府" in districts.members and "江北新区管委会" not in districts.members
    assert rows["相关区政府"].relevant is True


async def test_reimport_changes_nothing(sessions: Sessions) -> None:
    await load_seed(sessions)
    before = await _snapshot(sessions)
    again = await load_seed(sessions)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 100)
    assert await _snapshot(sessions) == before


async def test_corrected_plan_updates_in_place_and_keeps_reports(sessions: Sessions) -> None:
    await load_seed(sessions)
    async with sessions() as session:
        task2 = await session.scalar(select(Task).where(Task.number == 2))
        unit = await session.scalar(select(Unit).where(Unit.name == "市发改委"))
        assert task2 is not None and unit is not None
        period = Period(
            plan_id=task2.plan_id,
            kind="month",
            start=datetime(2021, 3, 1).date(),
            end=datetime(2021, 3, 31).date(),
            due_date=datetime(2021, 3, 25).date(),
        )
        session.add(period)
        await session.flush()
        session.add(
            Report(
                task_id=task2.id,
                unit_id=unit.id,
                period_id=period.id,
                status="on_track",
                percent=20,
                text="一季度开局良好",
                first_submitted_at=FIXED_NOW,
                created_at=FIXED_NOW,
            )
        )
        await session.commit()
        task2_id = task2.id

    corrected = SEED_TEXT.replace(
        "2.地区生产总值增长7%,固定资产投资增长8%。(市发改委主办)",
        "2.地区生产总值增长7.5%,固定资产投资增长8%。(市发改委主办,市统计局协办)",
    )
    async with sessions() as session:
        summary = await import_plan(
            session, text=corrected, directory=directory(), now=FIXED_NOW, year=None
        )
        await session.commit()
    assert (summary.updated, summary.unchanged) == (1, 99)
    assert summary.unknown_units == []  # 市统计局 is in the directory
    async with sessions() as session:
        task2 = await session.get(Task, task2_id)
        assert task2 is not None and task2.text.startswith("地区生产总值增长7.5%")
        reports = (await session.scalars(select(Report).where(Report.task_id == task2_id))).all()
        assert [r.text for r in reports] == ["一季度开局良好"]
        audits = (await session.scalars(select(AuditEntry.action))).all()
        assert audits == ["plan.import", "plan.import"]
    assert await _units_of(sessions, 2) == (["市发改委"], ["市统计局"])


async def test_dropped_task_is_retired_not_deleted(sessions: Sessions) -> None:
    first = small_plan("1.一项。(市发改委主办)", "2.二项。(市财政局主办)")
    second = small_plan("1.一项。(市发改委主办)")
    async with sessions() as session:
        await import_plan(session, text=first, directory=directory(), now=FIXED_NOW)
        await session.commit()
    async with sessions() as session:
        summary = await import_plan(session, text=second, directory=directory(), now=FIXED_NOW)
        await session.commit()
    assert summary.retired == [2]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Task)) == 2
        plan = await get_plan(session)
        assert plan is not None
        tree = await plan_tree(session, plan_id=plan.id)
        assert [t.number for _s, tasks in tree for t in tasks] == [1]


async def test_broken_plan_leaves_the_database_as_it_was(sessions: Sessions) -> None:
    await load_seed(sessions)
    before = await _snapshot(sessions)
    broken = SEED_TEXT.replace("(市财政局主办)\n", "\n", 1)  # task 3 loses its units
    async with sessions() as session:
        with pytest.raises(PlanParseError) as info:
            await import_plan(session, text=broken, directory=directory(), now=FIXED_NOW)
        await session.rollback()
    assert str(info.value.problems[0]).startswith("line 31: task 3. does not end with its units")
    assert await _snapshot(sessions) == before


async def test_unknown_units_are_imported_and_reported(sessions: Sessions) -> None:
    text = small_plan("1.一项。(市发改委、市火星办主办,某某中心协办)")
    async with sessions() as session:
        summary = await import_plan(
            session, text=text, directory=directory(), now=datetime(2024, 1, 2, tzinfo=UTC)
        )
        await session.commit()
    assert summary.unknown_units == ["市火星办", "某某中心"]
    async with sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.name == "市火星办"))
        assert unit is not None and unit.in_directory is False

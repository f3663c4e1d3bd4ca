"""The ledger workbook, cell for cell, on the seed plan with a month of varied reports."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ledger.jobs import LedgerJob, export_workbook
from bot.lights import LightThresholds
from data.models import Report, Task, TaskTarget, Unit
from data.repo.periods import ensure_period
from data.repo.reports import add_report_version, review_report
from tests.factories.people import liaison
from tests.factories.plans import load_seed

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 20, 10, 0, tzinfo=TZ)
GOLDEN = Path(__file__).parent / "golden" / "ledger_seed_2026_06.json"

# (unit, task number, period month, status, percent, text, minutes after the first report)
REPORTS = [
    ("市发改委", 2, 5, "on_track", 40, "五月:投资项目按序推进", 0),
    ("市发改委", 2, 6, "at_risk", 35, "六月:两个项目用地未落实", 10),
    ("市发改委", 2, 6, "at_risk", 45, "六月(修改):一个项目用地已落实", 20),
    ("市发改委", 5, 6, "on_track", 60, "按计划推进", 30),
    ("市发改委", 7, 6, "blocked", 10, "资金未到位 <需协调>", 40),
    ("市财政局", 3, 6, "done", 100, "已完成", 50),
    ("江宁区政府", 40, 6, "on_track", None, "配合开展工作", 60),
    ("市卫健委", 1, 6, "needs_coordination", 50, "=SUM(A1)", 70),
]


async def build_june(sessions: Sessions) -> None:
    """The seed plan in 2026 and the reports above; 市发改委's task 5 accepted, 7 returned."""
    await load_seed(sessions, year=2026)
    people = {}
    for index, unit in enumerate(("市发改委", "市财政局", "江宁区政府", "市卫健委")):
        people[unit] = await liaison(
            sessions, 7100 + index, unit, now=NOW - timedelta(days=30), name=f"联络员{index}"
        )
    start = datetime(2026, 5, 20, 9, 0, tzinfo=TZ)
    async with sessions() as session:
        plan_id = (await session.scalars(select(Task.plan_id))).first()
        assert plan_id is not None
        periods = {
            month: await ensure_period(
                session,
                plan_id=plan_id,
                kind="month",
                start=date(2026, month, 1),
                end=date(2026, month, 30 if month == 6 else 31),
                due=date(2026, month, 25),
            )
            for month in (5, 6)
        }
        units = {u.name: u for u in (await session.scalars(select(Unit))).all()}
        tasks = {t.number: t for t in (await session.scalars(select(Task))).all()}
        stored = {}
        for unit, number, month, status, percent, text, minutes in REPORTS:
            at = (start if month == 5 else NOW - timedelta(days=8)) + timedelta(minutes=minutes)
            columns = {
                "task_id": tasks[number].id,
                "unit_id": units[unit].id,
                "period_id": periods[month].id,
                "contact_id": people[unit],
                "role": "co" if unit == "江宁区政府" else "lead",
                "status": status,
                "percent": percent,
                "text": text,
            }
            stored[(unit, number, month)] = await add_report_version(
                session, columns=columns, attachments=[], now=at
            )
        later = NOW - timedelta(days=1)
        await review_report(
            session,
            report_id=stored[("市发改委", 5, 6)].id,
            accepted=True,
            reviewer_id=None,
            reason=None,
            now=later,
        )
        await review_report(
            session,
            report_id=stored[("市发改委", 7, 6)].id,
            accepted=False,
            reviewer_id=None,
            reason="请补充",
            now=later,
        )
        await session.commit()


def june_job(database_url: str) -> LedgerJob:
    """The ledger job of the seed plan as of NOW, in Chinese."""
    return LedgerJob(
        database_url=database_url,
        plan_ids=(1,),
        now=NOW,
        timezone="Asia/Shanghai",
        calendar_file=None,
        thresholds=LightThresholds(),
        lang="zh",
    )


def cells(data: bytes) -> dict[str, Any]:
    """Every sheet's title and cell values (dates as ISO text), in order."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    out: dict[str, Any] = {}
    for sheet in book.worksheets:
        out[sheet.title] = [
            [v.isoformat() if isinstance(v, datetime) else v for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    return out


def golden() -> dict[str, Any]:
    """The workbook as the ledger wrote it before it was streamed (kept in tests/bot/golden)."""
    return json.loads(GOLDEN.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


async def test_streamed_workbook_equals_the_ledger_as_it_was(
    database_url: str, sessions: Sessions
) -> None:
    await build_june(sessions)
    job = june_job(database_url)
    expected = golden()
    for lang in ("zh", "en"):
        built = await asyncio.to_thread(export_workbook, replace(job, lang=lang))
        sheets = cells(built.data)
        # The targets sheet came later (test_targets_sheet); nothing else changed.
        targets = sheets.pop("量化指标序时进度" if lang == "zh" else "Targets against time")
        assert sheets == expected[lang]
        assert len(targets) == 1 + 114  # a row per target of the seed
    assert (built.tasks, built.reports) == (100, 8)


async def test_history_is_the_plan_year_unless_all_years(
    database_url: str, sessions: Sessions
) -> None:
    await build_june(sessions)
    async with sessions() as session:
        # A version written before the plan's year (a rehearsal's leftovers, say).
        report = (await session.scalars(select(Report).order_by(Report.id))).first()
        assert report is not None
        report.created_at = datetime(2025, 12, 31, 23, 0, tzinfo=TZ)
        await session.commit()
    job = june_job(database_url)
    assert (await asyncio.to_thread(export_workbook, job)).reports == 7
    assert (await asyncio.to_thread(export_workbook, job, True)).reports == 8


async def test_targets_sheet(database_url: str, sessions: Sessions) -> None:
    """Values reported for task 2 (rates) and task 80 (cumulative): each target with its
    latest value, progress, the year elapsed, its light and who reported it when."""
    await build_june(sessions)
    await liaison(sessions, 7200, "市人社局", now=NOW, name="人社联络员")
    async with sessions() as session:
        tasks = {t.number: t for t in (await session.scalars(select(Task))).all()}
        june = await ensure_period(
            session,
            plan_id=tasks[2].plan_id,
            kind="month",
            start=date(2026, 6, 1),
            end=date(2026, 6, 30),
            due=date(2026, 6, 25),
        )
        targets = {
            t.metric: t.id
            for t in (await session.scalars(select(TaskTarget))).all()
            if t.task_id in (tasks[2].id, tasks[80].id)
        }
        unit = await session.scalar(select(Unit).where(Unit.name == "市人社局"))
        assert unit is not None
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
        values = {targets["城镇新增就业"]: "12"}
        at = NOW - timedelta(days=2)
        await add_report_version(session, columns=columns, attachments=[], now=at, values=values)
        # 市发改委's June report on task 2 gets a new version with GDP growth so far.
        ndrc = await session.scalar(select(Unit).where(Unit.name == "市发改委"))
        assert ndrc is not None
        columns |= {"task_id": tasks[2].id, "unit_id": ndrc.id, "percent": 45, "text": "增速"}
        values = {targets["地区生产总值增长"]: "3.5", targets["固定资产投资增长"]: "7.6"}
        await add_report_version(session, columns=columns, attachments=[], now=at, values=values)
        await session.commit()
    job = june_job(database_url)
    sheets = cells((await asyncio.to_thread(export_workbook, job)).data)
    rows = {(r[0], r[2]): r for r in sheets["量化指标序时进度"][1:]}
    elapsed = round(171 / 365, 4)  # 20 June: 171 of 365 days
    assert rows[(2, "地区生产总值增长")] == [
        2,
        "地区生产总值增长7%,固定资产投资增长8%",
        "地区生产总值增长",
        "≥7%",
        "3.5%",
        0.5,
        elapsed,
        "对目标",
        "🔴 滞后",
        "市发改委",
        None,
        "2026-06-18T10:00:00",  # an Excel date-time
    ]
    assert rows[(2, "固定资产投资增长")][3:9] == [
        "≥8%",
        "7.6%",
        0.95,
        elapsed,
        "对目标",
        "🟢 正常",
    ]
    assert rows[(80, "城镇新增就业")][3:11] == [
        "≥26万人",
        "12万人",
        round(12 / 26, 4),
        elapsed,
        "按序时",
        "🟢 正常",
        "市人社局",
        None,
    ]
    assert rows[(6, "完成投资")][4:9] == ["未填报", None, elapsed, "按序时", None]
    # Task 2's light is the worse of its report (at risk: yellow) and its targets (red).
    section_2 = next(rows for title, rows in sheets.items() if title.startswith("2."))
    assert next(r for r in section_2 if r[0] == 2)[4] == "🔴 滞后"


async def test_history_has_real_times_and_says_which_versions_were_superseded(
    database_url: str, sessions: Sessions
) -> None:
    await build_june(sessions)
    job = june_job(database_url)
    built = await asyncio.to_thread(export_workbook, job)
    history = openpyxl.load_workbook(io.BytesIO(built.data))["全部报送记录"]
    # The headers fit every version, not only the latest.
    assert [c.value for c in history[1]][4:7] == ["状态", "进度(%)", "报送内容"]
    first_june = [c.value for c in history[3]]  # 市发改委's first June version of task 2
    assert first_june[0] == datetime(2026, 6, 12, 10, 10)
    assert history.cell(3, 1).number_format == "yyyy-mm-dd hh:mm"
    assert first_june[6] == "六月:两个项目用地未落实"
    assert (first_june[8], first_june[9]) == ("已被新版本替代", None)  # not "待审核"
    latest = [c.value for c in history[4]]
    assert (latest[8], latest[9]) == ("待审核", "是")


async def test_section_sheets_wrap_their_text_and_show_report_times(
    database_url: str, sessions: Sessions
) -> None:
    await build_june(sessions)
    built = await asyncio.to_thread(export_workbook, june_job(database_url))
    book = openpyxl.load_workbook(io.BytesIO(built.data))
    sheet = next(s for s in book.worksheets if s.title.startswith("1."))
    task = [c for c in sheet[2]]
    assert task[0].value == 1
    assert all((c.alignment.wrap_text, c.alignment.vertical) == (True, "top") for c in task[:4])
    sections = [s for s in book.worksheets if s.title[0].isdigit()]
    reported = next(
        row for s in sections for row in s.iter_rows(min_row=2) if row[-1].value is not None
    )
    assert isinstance(reported[-1].value, datetime)
    assert reported[-1].number_format == "yyyy-mm-dd hh:mm"
    assert sheet.freeze_panes == "A2"

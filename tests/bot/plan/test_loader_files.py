"""Importing plans from Word and Excel files: the seed as before, dry runs, deadlines, leaders,
the notice's reporting rule, everyday unit names, and nothing half-imported."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.plan.loader import ImportSummary, import_plan, reporting_clock
from bot.plan.model import PlanParseError, ReportingRule
from bot.plan.sources import read_plan_bytes
from data.models import Plan, Task
from data.repo.plans import ClockRules
from tests.bot.plan.test_loader import _snapshot
from tests.factories.files import HEADER, NOTICE, docx_bytes, xlsx_bytes
from tests.factories.plans import FIXED_NOW, SEED_TEXT, directory, load_seed, small_plan

Sessions = async_sessionmaker[AsyncSession]
SEED_DOCX = docx_bytes(SEED_TEXT.splitlines())
TABLE = [
    HEADER,
    ["一、稳增长"],
    [1, "地区生产总值增长5.5%。", "张副市长", "发改委", "统计局、江宁", "6月底前"],
    [2, "推进重大项目。", None, "市建委", "江宁区、市财政局", "2025-09-30"],
    ["二、惠民生"],
    [3, "稳定就业。", "李副市长", "市人社局", None, "长期坚持"],
]


async def _import(sessions: Sessions, data: bytes, name: str, **options: object) -> ImportSummary:
    async with sessions() as session:
        summary = await import_plan(
            session,
            source=read_plan_bytes(data, name),
            directory=directory(),
            now=FIXED_NOW,
            **options,  # type: ignore[arg-type]
        )
        await session.commit()
    return summary


async def test_the_seed_from_a_docx_of_its_paragraphs_imports_as_before(
    sessions: Sessions,
) -> None:
    summary = await _import(sessions, SEED_DOCX, "宁政发〔2021〕16号.docx")
    assert (summary.document, summary.sections, summary.tasks) == ("宁政发〔2021〕16号", 11, 100)
    assert (summary.created, summary.unknown_units, summary.ambiguous) == (100, [], {})
    before = await _snapshot(sessions)
    again = await load_seed(sessions)  # the same plan as text changes nothing
    assert (again.created, again.updated, again.unchanged) == (0, 0, 100)
    assert await _snapshot(sessions) == before


async def test_the_seed_from_text_then_docx_changes_nothing(sessions: Sessions) -> None:
    first = await load_seed(sessions)
    assert (first.created, first.tasks) == (100, 100)
    before = await _snapshot(sessions)
    again = await _import(sessions, SEED_DOCX, "seed.docx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 100)
    assert await _snapshot(sessions) == before


async def test_a_table_plan_with_leaders_deadlines_rule_and_everyday_names(
    sessions: Sessions,
) -> None:
    data = docx_bytes(NOTICE, [TABLE])
    summary = await _import(sessions, data, "分解表.docx")
    assert (summary.document, summary.tasks, summary.created) == ("某政发〔2025〕8号", 3, 3)
    assert summary.read_as == {"发改委": "市发改委", "统计局": "市统计局", "江宁区": "江宁区政府"}
    assert summary.ambiguous == {"江宁": ["江宁区政府", "江宁开发区管委会", "江宁高新区管委会"]}
    assert summary.unknown_units == ["江宁"]  # imported as written, listed
    assert (summary.deadlines, summary.leaders) == (2, 2)
    assert summary.kept_deadlines == [(3, "长期坚持")]
    assert summary.rule is not None and summary.rule_applied
    async with sessions() as session:
        plan = await session.scalar(select(Plan))
        assert plan is not None
        assert (plan.period_kind, plan.due_day, plan.due_month_offset) == ("month", 20, 0)
        tasks = (await session.scalars(select(Task).order_by(Task.number))).all()
        assert [(t.leader, t.deadline, t.deadline_text) for t in tasks] == [
            ("张副市长", date(2025, 6, 30), "6月底前"),
            ("", date(2025, 9, 30), "2025-09-30"),
            ("李副市长", None, "长期坚持"),
        ]


@pytest.mark.parametrize(
    ("given", "clock", "applied"),
    [
        (ClockRules(), ClockRules("month", 20, 0), True),
        (ClockRules(None, 25, None), ClockRules("month", 25, 0), False),
        (ClockRules("month", None, 1), ClockRules("month", 20, 1), False),
        (ClockRules("quarter", None, None), ClockRules("quarter", None, None), False),
    ],
)
def test_the_notices_rule_unless_the_operator_says_otherwise(
    given: ClockRules, clock: ClockRules, applied: bool
) -> None:
    rule = ReportingRule(period_kind="month", due_day=20, due_month_offset=0, phrase="每月20日前")
    assert reporting_clock(rule, given) == (clock, applied)
    assert reporting_clock(None, given) == (given, False)


async def test_a_re_import_keeps_a_coordinators_deadline_unless_the_plan_changes_it(
    sessions: Sessions,
) -> None:
    text = small_plan("1.6月底前建成。(市发改委主办)", "2.推进。(市财政局主办)")
    async with sessions() as session:
        await import_plan(session, text=text, directory=directory(), now=FIXED_NOW)
        task = await session.scalar(select(Task).where(Task.number == 2))
        assert task is not None
        task.deadline = date(2024, 10, 31)  # as /deadline 2 2024-10-31 sets it
        await session.commit()
    async with sessions() as session:
        again = await import_plan(session, text=text, directory=directory(), now=FIXED_NOW)
        await session.commit()
    assert again.unchanged == 2
    corrected = text.replace("6月底前", "9月底前")
    async with sessions() as session:
        changed = await import_plan(session, text=corrected, directory=directory(), now=FIXED_NOW)
        await session.commit()
        deadlines = (await session.scalars(select(Task.deadline).order_by(Task.number))).all()
    assert changed.changed == [1]
    assert deadlines == [date(2024, 9, 30), date(2024, 10, 31)]


async def test_a_rehearsed_plan_keeps_its_year_for_deadlines_on_re_import(
    sessions: Sessions,
) -> None:
    text = small_plan("1.6月底前建成。(市发改委主办)")
    for year in (2026, None):
        async with sessions() as session:
            await import_plan(session, text=text, directory=directory(), now=FIXED_NOW, year=year)
            await session.commit()
    async with sessions() as session:
        plan = await session.scalar(select(Plan))
        deadline = await session.scalar(select(Task.deadline))
    assert plan is not None and plan.year == 2026 and deadline == date(2026, 6, 30)


async def test_a_dry_run_writes_nothing_and_says_what_would_change(sessions: Sessions) -> None:
    empty = await _snapshot(sessions)
    async with sessions() as session:
        first = await import_plan(
            session, text=SEED_TEXT, directory=directory(), now=FIXED_NOW, dry_run=True
        )
    assert (first.created, len(first.new_units), first.short_name) == (100, 86, "政府工作报告")
    assert await _snapshot(sessions) == empty

    await load_seed(sessions)
    before = await _snapshot(sessions)
    last = next(line for line in SEED_TEXT.splitlines() if line.startswith("100."))
    corrected = SEED_TEXT.replace(
        "2.地区生产总值增长7%,固定资产投资增长8%。(市发改委主办)",
        "2.地区生产总值增长7.5%,固定资产投资增长8%。(市发改委主办,市火星办协办)",
    ).replace(last, "")
    async with sessions() as session:
        summary = await import_plan(
            session, text=corrected, directory=directory(), now=FIXED_NOW, dry_run=True
        )
    assert (summary.new, summary.changed, summary.retired) == ([], [2], [100])
    assert summary.new_units == ["市火星办"] and summary.unknown_units == ["市火星办"]
    assert await _snapshot(sessions) == before


async def test_a_broken_table_leaves_the_database_as_it_was(sessions: Sessions) -> None:
    await load_seed(sessions)
    before = await _snapshot(sessions)
    rows = [*TABLE, [3, "重复的编号", None, "市人社局", None, None]]
    with pytest.raises(PlanParseError) as info:
        await _import(sessions, xlsx_bytes(("表", [["某政发〔2025〕8号"], *rows])), "plan.xlsx")
    assert [str(p) for p in info.value.problems] == [
        "row 8: task 3 appears twice (first on row 7)"
    ]
    assert await _snapshot(sessions) == before


async def test_new_units_are_those_the_database_lacked(sessions: Sessions) -> None:
    first = await _import(sessions, docx_bytes(NOTICE, [TABLE]), "a.docx")
    assert "市发改委" in first.new_units
    again = await _import(sessions, xlsx_bytes(("表", [["某政发〔2025〕9号"], *TABLE])), "b.xlsx")
    assert again.new_units == [] and again.created == 3

"""Plans side by side: each has a short name, kept unique, and keeps its rehearsed year."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.plan.loader import import_plan
from bot.plan.names import short_name_of, valid_short_name
from data.models import Plan, Task
from data.repo.plans import ShortNameTakenError
from tests.factories.plans import FIXED_NOW, SEED_TEXT, directory, load_seed, small_plan

Sessions = async_sessionmaker[AsyncSession]


@pytest.mark.parametrize(
    ("title", "short"),
    [
        ("2021年市政府主要工作目标任务分解落实方案", "政府工作报告"),
        ("2026年民生实事项目清单", "民生实事"),
        ("关于印发2026年全市安全生产工作方案的通知", "安全生产"),
        ("2024年工作方案", "2024年工作方案"),
    ],
)
def test_short_names_from_titles(title: str, short: str) -> None:
    assert short_name_of(title) == short


def test_a_short_name_is_typed_in_commands() -> None:
    assert valid_short_name(" 民生实事 ") == "民生实事"
    assert valid_short_name("民生 实事") is None
    assert valid_short_name("2") is None
    assert valid_short_name("x" * 21) is None


async def _import(sessions: Sessions, text: str, **options: object) -> None:
    async with sessions() as session:
        await import_plan(
            session,
            text=text,
            directory=directory(),
            now=FIXED_NOW,
            **options,  # type: ignore[arg-type]
        )
        await session.commit()


async def _plans(sessions: Sessions) -> list[tuple[str, str, int, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Plan.document, Plan.short_name, Plan.year, Plan.state).order_by(Plan.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_a_second_plan_is_added_beside_the_first(sessions: Sessions) -> None:
    await load_seed(sessions, year=2026)
    other = small_plan("1.一项。(市发改委主办)", document="宁政发〔2027〕2号")
    await _import(sessions, other.replace("2024年工作方案", "2027年市政府主要工作目标任务"))
    await _import(
        sessions,
        small_plan("1.一项。(市发改委主办)", document="宁政发〔2026〕9号").replace(
            "2024年工作方案", "2026年民生实事项目"
        ),
    )
    assert await _plans(sessions) == [
        ("宁政发〔2021〕16号", "政府工作报告", 2026, "open"),
        ("宁政发〔2027〕2号", "政府工作报告2027", 2027, "open"),
        ("宁政发〔2026〕9号", "民生实事", 2026, "open"),
    ]
    async with sessions() as session:
        counts = {
            plan_id: n
            for plan_id, n in (
                await session.execute(select(Task.plan_id, Task.id).order_by(Task.id))
            ).all()
        }
    assert len(set(counts)) == 3  # every plan keeps its own tasks


async def test_a_name_asked_for_must_be_free(sessions: Sessions) -> None:
    await load_seed(sessions, year=2026)
    with pytest.raises(ShortNameTakenError):
        await _import(sessions, small_plan("1.一项。(市发改委主办)"), name="政府工作报告")
    await _import(sessions, small_plan("1.一项。(市发改委主办)"), name="测试计划")
    await _import(sessions, SEED_TEXT, name="年度目标")  # a re-import may rename its plan
    assert [p[1] for p in await _plans(sessions)] == ["年度目标", "测试计划"]


async def test_re_importing_without_a_year_keeps_the_rehearsed_year(sessions: Sessions) -> None:
    await load_seed(sessions, year=2026)
    await _import(sessions, SEED_TEXT)
    assert (await _plans(sessions))[0][2] == 2026

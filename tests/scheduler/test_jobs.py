"""The JobQueue ticks end to end: nudges delivered, buttons under them, replies, idle drafts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.context import DubanContext
from data.models import Report
from scheduler import jobs
from tests.factories.bot import MovableClock, deliver, running_bot
from tests.factories.people import liaison
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
NDRC, OFFICE = 4001, 4002  # 市发改委 (23 lead tasks); 市委办公厅 (leads task 69 only)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 6, 1, 9, 30, tzinfo=TZ))


@pytest.fixture
async def bot(
    database_url: str, sessions: Sessions, clock: MovableClock
) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    await liaison(sessions, NDRC, "市发改委", now=clock())
    await liaison(sessions, OFFICE, "市委办公厅", now=clock())
    async with running_bot(database_url, clock) as harness:
        yield harness


def context(bot: BotHarness) -> DubanContext:
    return DubanContext(bot.application)


async def test_nudge_tick_delivers_and_its_buttons_work(bot: BotHarness) -> None:
    await jobs.nudge_tick(context(bot))
    assert await deliver(bot) >= 2
    nudge = bot.api.last_message(NDRC)
    assert "贵单位本期需报送以下 23 项任务" in bot.api.last_text(NDRC)
    user = bot.user(NDRC, "联络员4001")
    await bot.press(user, "📝 2", nudge)
    assert "报送 任务 2" in bot.api.last_text(NDRC)
    calls = await bot.press(user, "💤 稍后提醒", nudge)
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert answer.params["text"] == "好的,下一次提醒在 6月22日。"
    # The tick is idempotent: running it again queues nothing.
    await jobs.nudge_tick(context(bot))
    assert await deliver(bot) == 0


async def test_reply_to_a_single_task_nudge_files_the_report(
    bot: BotHarness, sessions: Sessions
) -> None:
    await jobs.nudge_tick(context(bot))
    await deliver(bot)
    nudge = bot.api.last_message(OFFICE)
    assert "以下 1 项任务" in bot.api.last_text(OFFICE)
    await bot.text(bot.user(OFFICE, "联络员4002"), "已完成方案起草。", reply_to=nudge)
    assert "已将您的回复记录为任务 69(市委办公厅)的本期进展" in bot.api.last_text(OFFICE)
    async with sessions() as session:
        [report] = (await session.scalars(select(Report))).all()
    assert report.text == "已完成方案起草。"


async def test_idle_drafts_end_with_a_message(
    bot: BotHarness, clock: MovableClock, sessions: Sessions
) -> None:
    user = bot.user(NDRC, "联络员4001")
    await bot.command(user, "/report", "2")
    clock.advance(minutes=29)
    await jobs.expire_drafts(context(bot))
    assert await deliver(bot) == 0
    clock.advance(minutes=2)
    await jobs.expire_drafts(context(bot))
    assert await deliver(bot) == 1
    assert bot.api.last_text(NDRC).startswith("⌛ 超过 30 分钟未操作")
    await bot.press(user, "正常推进", bot.api.sent_messages(NDRC)[-2].message)  # type: ignore[arg-type]
    assert "这一步已经结束" in str(bot.api.calls("answerCallbackQuery")[-1].params)

"""/late's counts and 催办 as the database works them out: a 催办 lists a unit's first twenty
owed tasks by number, a report takes its task off, and an acknowledged 催办 stays shown as
acknowledged when another is sent after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Chase
from data.repo.chases import add_chases
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, deliver, running_bot
from tests.factories.people import liaison, report_all
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC = 6001
JUNE = {
    "period_start": date(2026, 6, 1),
    "period_end": date(2026, 6, 30),
    "due": date(2026, 6, 25),
}


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    await liaison(sessions, NDRC, "市发改委", now=NOW, name="张三")
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        yield harness


def ndrc_line(bot: BotHarness) -> str:
    return next(
        line for line in bot.api.last_text(COORDINATOR_ID).splitlines() if "市发改委" in line
    )


async def test_a_chase_lists_the_first_twenty_owed_tasks(
    bot: BotHarness, sessions: Sessions
) -> None:
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/late")
    assert ndrc_line(bot) == "• 市发改委:23 项未报"
    await report_all(sessions, "市发改委", numbers=[2], now=NOW, **JUNE)
    await bot.command(coordinator, "/late")
    assert ndrc_line(bot) == "• 市发改委:22 项未报"
    await bot.press(coordinator, "📣 催办 市发改委", bot.api.last_message(COORDINATOR_ID))
    assert await deliver(bot) == 1
    chase = bot.api.last_message(NDRC)
    lines = bot.api.last_text(NDRC).splitlines()
    assert lines[0].startswith("📣 督查室催办:市发改委 本期还有 22 项任务未报送")
    listed = [int(line[2:].split(".")[0]) for line in lines if line.startswith("• ")]
    assert len(listed) == 20 and listed == sorted(listed) and 2 not in listed
    reports = [text for row in bot.api.buttons(chase) for text, _ in row if "📝" in text]
    assert reports == [f"📝 {number}" for number in listed[:15]]


async def test_an_acknowledged_chase_stays_shown_after_another(
    bot: BotHarness, sessions: Sessions
) -> None:
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/late")
    await bot.press(coordinator, "📣 催办 市发改委", bot.api.last_message(COORDINATOR_ID))
    await deliver(bot)
    await bot.press(bot.user(NDRC), "✅ 收到", bot.api.last_message(NDRC))
    async with sessions() as session:  # another 催办 an hour later, not acknowledged
        first = (await session.scalars(select(Chase))).one()
        recipients = [(first.unit_id, first.contact_id)]
        later = NOW + timedelta(hours=1)
        await add_chases(
            session, period_id=first.period_id, recipients=recipients, sent_by=None, now=later
        )
        await session.commit()
    await bot.command(coordinator, "/late")
    assert ndrc_line(bot) == "• 市发改委:23 项未报(已确认收到 6月10日 09:30)"

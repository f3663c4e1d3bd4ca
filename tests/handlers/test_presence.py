"""When people last wrote: a liaison's read-only command writes nothing (so it is answered
while another connection holds the write lock), the roster shows the moment at once, and the
job writes it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.context import DubanContext
from data.models import Contact
from scheduler import jobs
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.linking import link
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
LINKED = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC = 3201


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(LINKED)


@pytest.fixture
async def bot(
    database_url: str, sessions: Sessions, clock: MovableClock
) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, clock) as harness:
        await link(harness, NDRC, "市发改委", "张联络")
        await jobs.record_presence(DubanContext(harness.application))
        yield harness


async def stored_last_seen(sessions: Sessions) -> datetime | None:
    async with sessions() as session:
        stored = await session.scalar(
            select(Contact.last_seen_at).where(Contact.telegram_id == NDRC)
        )
    if stored is not None and stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return stored


async def test_mytasks_is_answered_while_another_connection_holds_the_write_lock(
    bot: BotHarness, sessions: Sessions, clock: MovableClock
) -> None:
    # A day later, so the visit is worth noting; meanwhile another connection writes the
    # liaison's own row and holds on (SQLite: the database's write lock; PostgreSQL: the row).
    clock.advance(days=1)
    async with sessions() as other:
        await other.execute(
            update(Contact).where(Contact.telegram_id == NDRC).values(chat_id=Contact.chat_id)
        )
        await asyncio.wait_for(bot.command(bot.user(NDRC, "张联络"), "/mytasks"), timeout=60)
        await other.rollback()
    assert "市发改委" in bot.api.last_text(NDRC)
    assert "抱歉" not in bot.api.last_text(NDRC)


async def test_the_roster_shows_the_visit_at_once_and_the_job_writes_it(
    bot: BotHarness, sessions: Sessions, clock: MovableClock
) -> None:
    assert await stored_last_seen(sessions) == LINKED
    clock.advance(days=2)
    await bot.command(bot.user(NDRC, "张联络"), "/mytasks")
    assert await stored_last_seen(sessions) == LINKED  # the command wrote nothing
    await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/people", "市发改委")
    assert "最近使用 6月12日" in bot.api.last_text(COORDINATOR_ID)
    await jobs.record_presence(DubanContext(bot.application))
    assert await stored_last_seen(sessions) == clock()

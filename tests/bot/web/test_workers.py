"""Two webhook workers on one PostgreSQL database: an update delivered to both is handled once,
and two updates of one chat sent to the two at once are handled in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import TypeHandler

from data.db import is_sqlite
from data.models import ProcessedUpdate
from tests.factories.bot import MovableClock, running_bot
from tests.factories.plans import load_seed
from tests.factories.web import Worker, served_worker
from tests.harness import BotHarness

NOW = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)
LIAISON = 700_001
WAIT_S = 20.0  # generous: only a failure waits this long


@pytest.fixture(autouse=True)
async def postgres_only(database_url: str, sessions: async_sessionmaker[AsyncSession]) -> None:
    if is_sqlite(database_url):
        pytest.skip("several workers need PostgreSQL (SQLite takes one worker)")
    await load_seed(sessions, year=2026)


@asynccontextmanager
async def two_workers(
    database_url: str, handled: list[tuple[str, int]]
) -> AsyncIterator[list[tuple[BotHarness, Worker]]]:
    """Two bots on the database, each with its web app; `handled` gets (worker, update id) as
    each worker starts handling an update."""
    clock = MovableClock(NOW)
    async with AsyncExitStack() as stack:
        workers = []
        for name in ("a", "b"):
            bot = await stack.enter_async_context(running_bot(database_url, clock))

            async def note(update: Update, _context: Any, name: str = name) -> None:
                handled.append((name, update.update_id))

            bot.application.add_handler(TypeHandler(Update, note), group=-2)
            workers.append((bot, await stack.enter_async_context(served_worker(bot))))
        yield workers


async def _arrived(sessions: async_sessionmaker[AsyncSession], update_id: int) -> None:
    """Until the update's arrival is noted (a worker received it)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            async with sessions() as session:
                if await session.get(ProcessedUpdate, update_id) is not None:
                    return
            await asyncio.sleep(0.01)


async def test_the_same_update_to_both_workers_is_handled_once(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    handled: list[tuple[str, int]] = []
    async with two_workers(database_url, handled) as ((bot_a, a), (bot_b, b)):
        update = bot_a.updates.command(bot_a.user(LIAISON, "路人"), "/mytasks")
        statuses = await asyncio.gather(a.post(update), b.post(update))
        assert statuses == [200, 200]
        replies = bot_a.api.sent_messages(LIAISON) + bot_b.api.sent_messages(LIAISON)
        assert len(replies) == 1
        assert [update_id for _, update_id in handled] == [update.update_id]


async def test_two_updates_of_one_chat_at_two_workers_are_handled_in_order(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    handled: list[tuple[str, int]] = []
    async with two_workers(database_url, handled) as ((bot_a, a), (bot_b, b)):
        user = bot_a.user(LIAISON, "路人")
        first = bot_a.updates.command(user, "/help")
        second = bot_a.updates.command(user, "/whoami")
        async with sessions() as busy:
            # The chat is busy (as on a third worker), so both updates arrive and wait: the
            # later one reaches its worker first and is first in line for the chat's lock.
            await busy.execute(text("SELECT pg_advisory_xact_lock(:chat)"), {"chat": LIAISON})
            later = asyncio.create_task(a.post(second))
            await _arrived(sessions, second.update_id)
            earlier = asyncio.create_task(b.post(first))
            await _arrived(sessions, first.update_id)
            await busy.rollback()
        assert await asyncio.gather(later, earlier) == [200, 200]
        assert handled == [("b", first.update_id), ("a", second.update_id)]
        assert len(bot_b.api.sent_messages(LIAISON)) == 1
        assert len(bot_a.api.sent_messages(LIAISON)) == 1
        async with sessions() as session:
            rows = await session.scalars(
                select(ProcessedUpdate.update_id).where(ProcessedUpdate.handled_at.is_not(None))
            )
            assert sorted(rows) == [first.update_id, second.update_id]

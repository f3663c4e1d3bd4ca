"""The web app served on 127.0.0.1 in this process, driven over HTTP: the webhook's secret, one
handling per update, and /healthz in each of its states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.queue import Outgoing, queue_messages
from data.db import make_engine, make_sessionmaker
from data.models import ProcessedUpdate
from tests.factories.bot import MovableClock, deliver, running_bot
from tests.factories.plans import load_seed
from tests.factories.web import served_worker

NOW = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # 10:00 in Nanjing
LIAISON = 700_001


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture(autouse=True)
async def seeded(sessions: async_sessionmaker[AsyncSession]) -> None:
    await load_seed(sessions, year=2026)


async def _updates_noted(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, bool]]:
    async with sessions() as session:
        rows = await session.execute(
            select(ProcessedUpdate.update_id, ProcessedUpdate.handled_at.is_not(None)).order_by(
                ProcessedUpdate.update_id
            )
        )
        return [(update_id, bool(handled)) for update_id, handled in rows]


async def test_the_right_secret_is_answered_and_a_redelivery_is_not_handled_again(
    database_url: str, clock: MovableClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(database_url, clock) as bot, served_worker(bot) as worker:
        stranger = bot.user(LIAISON, "路人")
        update = bot.updates.command(stranger, "/mytasks")
        assert await worker.post(update) == 200
        assert "还没有绑定" in bot.api.last_text(LIAISON)
        # Telegram did not hear the answer in time and sends the same update again.
        assert await worker.post(update) == 200
        assert len(bot.api.sent_messages(LIAISON)) == 1
        assert await _updates_noted(sessions) == [(update.update_id, True)]


@pytest.mark.parametrize("secret", ["wrong", "", None])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    database_url: str,
    clock: MovableClock,
    sessions: async_sessionmaker[AsyncSession],
    secret: str | None,
) -> None:
    async with running_bot(database_url, clock) as bot, served_worker(bot) as worker:
        update = bot.updates.command(bot.user(LIAISON, "路人"), "/start")
        assert await worker.post(update, secret=secret) == 403
        assert bot.api.sent_messages(LIAISON) == []
        assert await _updates_noted(sessions) == []


async def test_a_stopping_worker_sends_updates_elsewhere(
    database_url: str, clock: MovableClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(database_url, clock) as bot, served_worker(bot) as worker:
        worker.liveness.stopping = True
        assert await worker.post(bot.updates.command(bot.user(LIAISON), "/start")) == 503
        assert bot.api.sent_messages(LIAISON) == []
        assert await _updates_noted(sessions) == []
        health = await worker.client.get(f"{worker.url}/healthz")
        assert (health.status_code, health.json()["problems"]) == (503, ["stopping"])


async def test_health_reports_each_state(
    database_url: str, clock: MovableClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with running_bot(database_url, clock) as bot, served_worker(bot) as worker:

        async def health() -> tuple[int, dict[str, object]]:
            answer = await worker.client.get(f"{worker.url}/healthz")
            return answer.status_code, answer.json()

        # Healthy: the database answers, nothing waits, the clock ticked a minute ago.
        worker.services.ticked_at = NOW
        clock.advance(minutes=1)
        status, body = await health()
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["outbox_backlog"] == 0
        assert body["last_tick"] == NOW.isoformat()

        # A message due for 20 minutes and still not sent (the sender is not running here).
        async with sessions() as session:
            await queue_messages(
                session, [Outgoing(chat_id=LIAISON, kind="notice", text="…")], now=clock()
            )
            await session.commit()
        clock.advance(minutes=4)
        status, body = await health()
        assert (status, body["outbox_backlog"]) == (200, 1)
        clock.advance(minutes=12)
        worker.services.ticked_at = clock()
        status, body = await health()
        assert (status, body["problems"]) == (503, ["outbox backlog too old"])

        # The clock stopped ticking (after the backlog went out).
        await deliver(bot)
        clock.advance(minutes=6)
        status, body = await health()
        assert (status, body["problems"]) == (503, ["clock tick too old"])
        worker.services.ticked_at = clock()
        assert (await health())[0] == 200

        # The database does not answer (nothing listens on port 1 of 127.0.0.1).
        down = make_engine("postgresql+asyncpg://duban@127.0.0.1:1/duban")
        real, worker.services.sessions = worker.services.sessions, make_sessionmaker(down)
        try:
            status, body = await health()
        finally:
            worker.services.sessions = real
            await down.dispose()
        assert status == 503
        assert body["problems"] == ["database unreachable"]
        assert str(body["database"]).startswith("unreachable")
        assert (await health())[0] == 200

"""The dashboard's API: only a coordinator with valid, fresh initData (or a local login) gets
data, and their rights are read at every call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.people import revoke_coordinator
from data.models import Contact, OutboxMessage
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.dashboard import dashboard_client, init_data, logins_of, tma
from tests.factories.people import liaison, report_all
from tests.factories.plans import load_seed
from tests.harness import TEST_TOKEN, BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC, INVITED = 6001, 6002


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    await liaison(sessions, NDRC, "市发改委", now=NOW, name="张三")
    await liaison(sessions, INVITED, now=NOW, name="李四", coordinator=True)
    await report_all(
        sessions,
        "市发改委",
        numbers=[2],
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
        due=date(2026, 6, 25),
        now=NOW,
        status="at_risk",
    )
    async with running_bot(database_url, MovableClock(NOW), telegram_token=TEST_TOKEN) as harness:
        yield harness


async def test_only_a_valid_coordinator_gets_data(bot: BotHarness, sessions: Sessions) -> None:
    fresh = init_data(COORDINATOR_ID, at=NOW - timedelta(minutes=5))
    async with dashboard_client(bot) as client:
        answer = await client.get("/dashboard/api/overview", headers=tma(fresh))
        assert answer.status_code == 200
        assert 'id="rate-units">0 / 52 个单位已报齐' in answer.text
        # Tampered: another user's id under the coordinator's hash.
        forged = fresh.replace(f"%22id%22%3A{COORDINATOR_ID}", f"%22id%22%3A{NDRC}")
        assert forged != fresh
        answer = await client.get("/dashboard/api/overview", headers=tma(forged))
        assert answer.status_code == 401
        # Signed with another bot's token.
        other = init_data(COORDINATOR_ID, at=NOW, token="654321:OTHER")
        assert (await client.get("/dashboard/api/matrix", headers=tma(other))).status_code == 401
        # Older than the setting (an hour).
        old = init_data(COORDINATOR_ID, at=NOW - timedelta(minutes=61))
        answer = await client.get("/dashboard/api/overview", headers=tma(old))
        assert answer.status_code == 401
        assert "登录已过期" in answer.text
        # A liaison: refused, on every part and every write.
        theirs = tma(init_data(NDRC, at=NOW))
        for path in ("overview", "matrix", "units", "task/2"):
            answer = await client.get(f"/dashboard/api/{path}", headers=theirs)
            assert answer.status_code == 403, path
            assert "仅供督查室协调人" in answer.text
        write = {**theirs, "X-Duban": "1"}
        chase = await client.post("/dashboard/api/chase", headers=write, json={"unit": "all"})
        assert chase.status_code == 403
        # Nobody at all.
        assert (await client.get("/dashboard/api/units")).status_code == 401
        # An invited coordinator sees data, until their rights are revoked: then not, at once.
        invited = tma(init_data(INVITED, at=NOW))
        assert (await client.get("/dashboard/api/units", headers=invited)).status_code == 200
        async with sessions() as session:
            person = await session.scalar(select(Contact).where(Contact.telegram_id == INVITED))
            assert person is not None
            await revoke_coordinator(session, person=person, by=None, now=NOW)
            await session.commit()
        assert (await client.get("/dashboard/api/units", headers=invited)).status_code == 403
        assert (await client.get("/dashboard/api/task/2", headers=invited)).status_code == 403
    async with sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert queued == 0  # the refused chase queued nothing


async def test_a_local_login_link_works_once(bot: BotHarness, sessions: Sessions) -> None:
    logins = logins_of(bot)
    async with sessions() as session:
        coordinator = await session.scalar(select(Contact).where(Contact.telegram_id == INVITED))
        assert coordinator is not None
    code = logins.issue(coordinator.id)
    async with dashboard_client(bot, logins) as client:
        first = await client.get(f"/dashboard/login?code={code}")
        assert first.status_code == 303
        assert "httponly" in first.headers["set-cookie"].lower()
        assert (await client.get("/dashboard/api/matrix")).status_code == 200
        # A write needs the dashboard's own header besides the cookie.
        bare = await client.post("/dashboard/api/chase", json={"unit": "all"})
        assert bare.status_code == 400
        client.cookies.clear()
        again = await client.get(f"/dashboard/login?code={code}")
        assert again.status_code == 401
        assert (await client.get("/dashboard/api/matrix")).status_code == 401


async def test_a_local_session_ends_with_the_rights_and_the_hour(
    bot: BotHarness, sessions: Sessions
) -> None:
    logins = logins_of(bot)
    async with sessions() as session:
        coordinator = await session.scalar(select(Contact).where(Contact.telegram_id == INVITED))
        assert coordinator is not None
    async with dashboard_client(bot, logins) as client:
        await client.get(f"/dashboard/login?code={logins.issue(coordinator.id)}")
        assert (await client.get("/dashboard/api/units")).status_code == 200
        clock = bot.application.bot_data["services"].clock
        clock.advance(minutes=61)
        assert (await client.get("/dashboard/api/units")).status_code == 401
        await client.get(f"/dashboard/login?code={logins.issue(coordinator.id)}")
        async with sessions() as session:
            person = await session.get(Contact, coordinator.id)
            assert person is not None
            await revoke_coordinator(session, person=person, by=None, now=NOW)
            await session.commit()
        assert (await client.get("/dashboard/api/units")).status_code == 403


async def test_after_a_report_the_kept_figures_show_at_once_while_new_ones_are_read(
    bot: BotHarness, sessions: Sessions
) -> None:
    fresh = tma(init_data(COORDINATOR_ID, at=NOW))
    async with dashboard_client(bot) as client:
        first = await client.get("/dashboard/api/overview", headers=fresh)
        assert 'id="rate-units">0 / 52 个单位已报齐' in first.text
        assert "数据截至 09:30" in first.text and "正在更新" not in first.text
        # 市委办公厅 reports on its only task: the data version moves on.
        await report_all(
            sessions,
            "市委办公厅",
            numbers=[69],
            period_start=date(2026, 6, 1),
            period_end=date(2026, 6, 30),
            due=date(2026, 6, 25),
            now=NOW,
            status="on_track",
        )
        behind = await client.get("/dashboard/api/overview", headers=fresh)
        assert 'id="rate-units">0 / 52 个单位已报齐' in behind.text
        assert "正在更新,稍后刷新即可看到最新数据" in behind.text
        for _ in range(600):  # the worker's read lands (a few seconds at most)
            answer = await client.get("/dashboard/api/overview", headers=fresh)
            if "正在更新" not in answer.text:
                break
            await asyncio.sleep(0.05)
        assert 'id="rate-units">1 / 52 个单位已报齐' in answer.text

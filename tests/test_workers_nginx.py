"""Several workers behind a real load balancer: two `duban run --webhook` processes on one
PostgreSQL database, nginx in front with deploy/nginx.conf, Telegram played by this test."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Final

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.webhook import SECRET_HEADER
from data.db import is_sqlite
from data.models import ProcessedUpdate
from tests.harness.balancer import WorkerProcess, balancer, free_port, nginx_binary
from tests.harness.http_bot_api import JSONDict, LocalBotAPIServer
from tests.test_run_http import SEED, TOKEN, UNIT, USER_A, _cli, _env

SECRET: Final = "webhook-secret_42"
PUBLIC_URL: Final = "https://duban.example.org/telegram"

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")


async def test_two_workers_behind_nginx_lose_nothing_when_one_dies(
    tmp_path: Path, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    if is_sqlite(database_url):
        pytest.skip("several workers need PostgreSQL (SQLite takes one worker)")
    async with LocalBotAPIServer(token=TOKEN) as server:
        env = {
            **_env(tmp_path, server.url),
            "DUBAN_DATABASE_URL": database_url,
            "DUBAN_WEBHOOK_SECRET": SECRET,
        }
        await _cli(env, tmp_path, "import", str(SEED), "--year", "2026")
        codes = [(await _cli(env, tmp_path, "invite", UNIT))[1].strip() for _ in range(3)]
        users = [server.user(USER_A + i, f"联络员{i}") for i in range(3)]
        workers = [WorkerProcess(tmp_path, f"worker{i}", free_port()) for i in range(2)]
        try:
            await asyncio.gather(*(w.start(env, tmp_path, PUBLIC_URL) for w in workers))
            async with (
                balancer([w.port for w in workers]) as url,
                httpx.AsyncClient(timeout=60) as client,
            ):

                async def post(update: JSONDict) -> int:
                    answer = await client.post(
                        f"{url}/telegram", json=update, headers={SECRET_HEADER: SECRET}
                    )
                    return answer.status_code

                links = [
                    {**server.command_update(user, "start", code), "update_id": 100 + i}
                    for i, (user, code) in enumerate(zip(users, codes, strict=True))
                ]
                assert await asyncio.gather(*(post(u) for u in links)) == [200] * 3
                # Telegram did not hear the first answer and sends that update again.
                assert await post(links[0]) == 200
                # One worker dies; nginx takes what comes next to the other.
                workers[0].kill()
                listings = [
                    {**server.command_update(user, "mytasks"), "update_id": 200 + i}
                    for i, user in enumerate(users)
                ]
                assert [await post(u) for u in listings] == [200] * 3
                assert (await client.get(f"{url}/healthz")).status_code == 200
            assert await workers[1].stop() == 0, workers[1].output()
        finally:
            for worker in workers:
                worker.kill()
        for user in users:
            texts = server.sent_texts(user["id"])
            assert sum("绑定成功" in text for text in texts) == 1, texts
            assert UNIT in texts[-1], texts
    async with sessions() as session:
        handled = await session.scalar(
            select(func.count()).where(ProcessedUpdate.handled_at.is_not(None))
        )
    assert handled == 6

"""Builders for the web app: one worker's app served by uvicorn on 127.0.0.1, in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from telegram import Update

from bot.context import Services
from bot.dashboard.server import bound_port, local_server, start
from bot.web.app import web_app
from bot.web.health import Liveness
from bot.web.updates import UpdateGate
from bot.web.webhook import SECRET_HEADER, Webhook
from data.db import is_sqlite, make_engine
from tests.harness import BotHarness

SECRET = "s3cret-token_for-tests"


@dataclass
class Worker:
    """A worker's web app listening on 127.0.0.1, and an HTTP client on it."""

    url: str
    client: httpx.AsyncClient
    liveness: Liveness
    services: Services

    async def post(self, update: Update | dict[str, Any], secret: str | None = SECRET) -> int:
        """POST an update to /telegram as Telegram does; the status answered."""
        body = update.to_dict() if isinstance(update, Update) else update
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        answer = await self.client.post(f"{self.url}/telegram", json=body, headers=headers)
        return answer.status_code


@asynccontextmanager
async def served_worker(bot: BotHarness) -> AsyncIterator[Worker]:
    """The bot's web app (webhook, /healthz, dashboard) served on a free port of 127.0.0.1;
    on PostgreSQL each update in a transaction of its own, as several workers run."""
    services: Services = bot.application.bot_data["services"]
    liveness = Liveness(started_at=services.clock())
    url = services.settings.database_url
    engine = None if is_sqlite(url) else make_engine(url, pool_size=8)
    gate = UpdateGate(bot.application, services.sessions, clock=services.clock, engine=engine)
    webhook = Webhook(gate, bot.application.bot, secret=SECRET, liveness=liveness)
    app = web_app(services, liveness, webhook=webhook, files=bot.application.bot)
    server = local_server(app, port=0, own_signals=False)
    serving = await start(server)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            url = f"http://127.0.0.1:{bound_port(server)}"
            yield Worker(url=url, client=client, liveness=liveness, services=services)
    finally:
        server.should_exit = True
        await serving
        if engine is not None:
            await engine.dispose()

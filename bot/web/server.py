"""Running one worker: the PTB Application and the web app in one process, stopped in order.

`duban run` serves Telegram by long polling or by a webhook; either way the web app (health
check, dashboard; with a webhook, POST /telegram too) is served when it listens. On SIGTERM or
SIGINT the worker stops taking updates (the webhook and /healthz answer 503, so the load
balancer and Telegram go to another worker), finishes the updates in hand, stops the clock's
jobs, and the outbox puts the rows it claimed but did not send back in the queue at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update

from bot.app import DubanApp
from bot.context import Services
from bot.dashboard.server import bound_port, listening_socket, local_server, start
from bot.web.app import web_app
from bot.web.health import Liveness
from bot.web.updates import DEFAULT_CONCURRENCY, UpdateGate
from bot.web.webhook import Webhook
from data.db import is_sqlite, make_engine

log = logging.getLogger("duban.worker")

# What the bot asks Telegram for, by long polling or by webhook alike.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
# Updates in hand get this long to finish after a stop signal.
DRAIN_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Listen:
    """Where the web app listens."""

    host: str
    port: int


@dataclass(frozen=True)
class WebhookTarget:
    """The public webhook Telegram is told about, and the local path it arrives at."""

    url: str
    path: str
    secret: str
    max_connections: int = 40


@asynccontextmanager
async def _gate_engine(services: Services) -> AsyncIterator[AsyncEngine | None]:
    """On PostgreSQL, the pool each update's transaction comes from (bot/web/updates.py); on
    SQLite none (one worker, updates ordered in the process)."""
    url = services.settings.database_url
    if is_sqlite(url):
        yield None
        return
    engine = make_engine(url, pool_size=DEFAULT_CONCURRENCY, max_overflow=2)
    try:
        yield engine
    finally:
        await engine.dispose()


async def run_worker(
    application: DubanApp,
    *,
    listen: Listen | None,
    webhook: WebhookTarget | None,
) -> None:
    """Serve until SIGTERM or SIGINT, by webhook when given, else by long polling."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with application:  # getMe: the CLI turns an unreachable Bot API into one line
            await _serve(application, stop, listen=listen, webhook=webhook)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def _serve(
    application: DubanApp,
    stop: asyncio.Event,
    *,
    listen: Listen | None,
    webhook: WebhookTarget | None,
) -> None:
    services: Services = application.bot_data["services"]
    liveness = Liveness(started_at=services.clock().astimezone(UTC))
    # First the port and the webhook: either refused stops the worker before anything runs.
    sock = listening_socket(listen.host, listen.port) if listen is not None else None
    if webhook is not None:
        await application.bot.set_webhook(
            webhook.url,
            secret_token=webhook.secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=webhook.max_connections,
        )
    # PTB calls these hooks only from run_polling/run_webhook, which this replaces.
    if application.post_init is not None:
        await application.post_init(application)
    async with _gate_engine(services) as gate_engine:
        gate: UpdateGate | None = None
        endpoint: Webhook | None = None
        if webhook is not None:
            gate = UpdateGate(
                application,
                services.sessions,
                clock=services.clock,
                engine=gate_engine,
                after_commit=services.wake_outbox,
            )
            endpoint = Webhook(gate, application.bot, secret=webhook.secret, liveness=liveness)
        elif application.updater is not None:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await application.start()
        server = serving = None
        try:
            if listen is not None:
                app = web_app(
                    services,
                    liveness,
                    webhook=endpoint,
                    webhook_path=webhook.path if webhook else "/telegram",
                    files=application.bot,
                )
                server = local_server(app, port=listen.port, host=listen.host, own_signals=False)
                serving = await start(server, sock)
            port = bound_port(server) if server is not None else None
            log.info("worker ready (%s)", f"port {port}" if port else "long polling")
            await stop.wait()
            log.info("stopping: no new updates; finishing those in hand")
            liveness.stopping = True
            if gate is not None:
                await _drain(gate)
        finally:
            if server is not None and serving is not None:
                server.should_exit = True
                await serving
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)


async def _drain(gate: UpdateGate) -> None:
    try:
        await asyncio.wait_for(gate.wait_idle(), DRAIN_TIMEOUT_S)
    except TimeoutError:
        log.warning("%d update(s) still in hand after %.0f s", gate.in_hand, DRAIN_TIMEOUT_S)

"""Builders for the dashboard: initData signed as Telegram signs it, and a client on the app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import httpx
from init_data_py import sign

from bot.dashboard.auth import LocalLogins
from bot.dashboard.server import dashboard_app
from tests.harness import TEST_TOKEN, BotHarness


def init_data(
    user_id: int,
    *,
    at: datetime,
    name: str = "督查室王",
    token: str = TEST_TOKEN,
    lang: str = "zh",
) -> str:
    """The initData Telegram gives a Mini App opened by this user at a moment."""
    user = {"id": user_id, "first_name": name, "language_code": lang}
    payload = {"user": json.dumps(user, ensure_ascii=False, separators=(",", ":"))}
    return sign(payload, token, auth_date=at)


def tma(raw: str) -> dict[str, str]:
    """The header every API call carries inside Telegram."""
    return {"Authorization": f"tma {raw}"}


def logins_of(bot: BotHarness) -> LocalLogins:
    """Local logins on the bot's clock, living as long as the settings say."""
    services = bot.application.bot_data["services"]
    minutes = services.settings.dashboard_max_age_minutes
    return LocalLogins(clock=services.clock, session_ttl=timedelta(minutes=minutes))


@asynccontextmanager
async def dashboard_client(
    bot: BotHarness, logins: LocalLogins | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the dashboard app over the running bot's services (same event loop,
    no socket)."""
    app = dashboard_app(
        bot.application.bot_data["services"], files=bot.application.bot, logins=logins
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client

"""Builders for the bot under test: the real Application on the test database, a fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import build_application
from bot.calendar.workdays import WorkCalendar
from bot.settings import Settings
from tests.harness import TEST_TOKEN, BotHarness, FakeBotAPI, MessageLike

SHANGHAI = ZoneInfo("Asia/Shanghai")
COORDINATOR_ID = 900_001


class MovableClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


def test_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test: no .env, no environment surprises."""
    values: dict[str, object] = {
        "database_url": database_url,
        "coordinators": [COORDINATOR_ID],
        "bot_username": "duban_test_bot",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    database_url: str, clock: MovableClock, *, post_init: bool = False, **overrides: object
) -> AsyncIterator[BotHarness]:
    """The real Application with every handler, driven through process_update; with
    `post_init`, started as `duban run` starts it (menus set, the outbox sender running)."""
    api = FakeBotAPI(clock=clock)
    application = build_application(
        test_settings(database_url, **overrides),
        token=TEST_TOKEN,
        request=api,
        clock=clock,
        calendar=WorkCalendar(),
    )
    try:
        async with BotHarness(application, api=api, run_post_init=post_init) as harness:
            yield harness
    finally:
        application.bot_data["services"].offload.shutdown()
        await application.bot_data["engine"].dispose()


async def deliver(harness: BotHarness) -> int:
    """Drain the outbox through the fake Bot API, as the running sender would; returns sent."""
    services = harness.application.bot_data["services"]
    return (await services.outbox.drain()).sent


async def skip_targets(harness: BotHarness, user_id: int, prompt: MessageLike) -> None:
    """Press 跳过 at each target step of a report (a task such as 2 has targets to ask about)."""
    user = harness.user(user_id)
    while "量化指标" in harness.api.current(prompt)["text"]:
        await harness.press(user, "跳过", prompt)

"""Coordinators' rights follow the setting and their invites, never a flag saved once."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.linking import invite_code
from tests.factories.plans import load_seed

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
INVITED = 7701


@pytest.fixture
async def seeded(sessions: Sessions) -> Sessions:
    await load_seed(sessions, year=2026)
    return sessions


async def test_a_coordinator_taken_out_of_the_setting_loses_every_right(
    database_url: str, seeded: Sessions
) -> None:
    async with running_bot(database_url, MovableClock(NOW)) as bot:
        office = bot.user(COORDINATOR_ID, "督查室")
        await bot.command(office, "/whoami")
        assert "督查室协调人" in bot.api.last_text(COORDINATOR_ID)
        await bot.command(office, "/deadline", "2", "2026-09-30")  # writes: once a flag was saved
    # Restarted without them in DUBAN_COORDINATORS.
    async with running_bot(database_url, MovableClock(NOW), coordinators=[]) as bot:
        office = bot.user(COORDINATOR_ID, "督查室")
        await bot.command(office, "/whoami")
        assert "协调人" not in bot.api.last_text(COORDINATOR_ID)
        for command in ("/export", "/status", "/late", "/invite"):
            await bot.command(office, command)
            assert bot.api.last_text(COORDINATOR_ID) == "此功能仅限督查室协调人使用。"
        assert not bot.api.calls("sendDocument")


async def test_an_invited_coordinator_keeps_rights_across_restarts(
    database_url: str, seeded: Sessions
) -> None:
    async with running_bot(database_url, MovableClock(NOW)) as bot:
        code = await invite_code(bot, "coordinator")
        await bot.command(bot.user(INVITED, "新协调人"), "/start", code)
    async with running_bot(database_url, MovableClock(NOW), coordinators=[]) as bot:
        await bot.command(bot.user(INVITED, "新协调人"), "/whoami")
        assert "督查室协调人" in bot.api.last_text(INVITED)


COMMANDS = [
    ("/invite", "市发改委"),
    ("/deadline", "2", "2026-09-30"),
    ("/assign", "2", "江宁区政府"),
    ("/period", "20"),
    ("/broadcast",),
    ("/late",),
    ("/export",),
    ("/status",),
    ("/people",),
    ("/coordinators",),
]
# Buttons a coordinator was shown before their rights went (data as the handlers built it).
BUTTONS = ["ch:1:all", "ch:1:5", "st:1", "rv:a:1", "rv:r:1", "bc:go", "pl:rm:1:1", "co:1"]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
async def test_every_coordinator_command_is_refused_after_removal_from_the_setting(
    database_url: str, seeded: Sessions, command: tuple[str, ...]
) -> None:
    async with running_bot(database_url, MovableClock(NOW)) as bot:
        await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/whoami")
    async with running_bot(database_url, MovableClock(NOW), coordinators=[]) as bot:
        await bot.command(bot.user(COORDINATOR_ID, "督查室"), *command)
        assert bot.api.last_text(COORDINATOR_ID) == "此功能仅限督查室协调人使用。"
        assert not bot.api.calls("sendDocument") and not bot.api.calls("sendPhoto")


@pytest.mark.parametrize("data", BUTTONS)
async def test_every_coordinator_button_is_refused_after_removal_from_the_setting(
    database_url: str, seeded: Sessions, data: str
) -> None:
    async with running_bot(database_url, MovableClock(NOW)) as bot:
        await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/whoami")
        shown = bot.api.last_message(COORDINATOR_ID)
    async with running_bot(database_url, MovableClock(NOW), coordinators=[]) as bot:
        office = bot.user(COORDINATOR_ID, "督查室")
        await bot.command(office, "/help")  # a message of theirs for the button to sit under
        calls = await bot.send(
            bot.updates.callback(office, data, bot.api.last_message(COORDINATOR_ID))
        )
        [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answer.params["text"] == "此功能仅限督查室协调人使用。"
        assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert shown is not None

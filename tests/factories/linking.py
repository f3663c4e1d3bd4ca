"""Builders that link people the way they link in chat: a coordinator's invite, then /start."""

from __future__ import annotations

import re

from tests.factories.bot import COORDINATOR_ID
from tests.harness import BotHarness


async def invite_code(bot: BotHarness, unit: str) -> str:
    """A coordinator asks for an invite link in chat; the code is read off the link."""
    coordinator = bot.user(COORDINATOR_ID, "督查室王")
    await bot.command(coordinator, "/invite", unit)
    text = bot.api.last_text(COORDINATOR_ID)
    match = re.search(r"https://t\.me/duban_test_bot\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def link(bot: BotHarness, user_id: int, unit: str, name: str = "联络员") -> None:
    """The unit's liaison opens a fresh invite link: they are linked to the unit."""
    code = await invite_code(bot, unit)
    await bot.command(bot.user(user_id, name), "/start", code)

"""The dashboard's doors in chat: coordinators' menu button, 📊 under /status; taken back with
the rights; none at all without DUBAN_DASHBOARD_URL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.linking import invite_code
from tests.factories.plans import load_seed
from tests.harness import ApiCall

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
URL = "https://duban.example.org/dashboard/"
INVITED = 3105


def menu_buttons(calls: list[ApiCall], chat_id: int) -> list[dict[str, object]]:
    return [
        c.params["menu_button"]
        for c in calls
        if c.method == "setChatMenuButton" and c.params["chat_id"] == chat_id
    ]


async def test_coordinators_get_the_dashboard_until_revoked(
    database_url: str, sessions: Sessions
) -> None:
    await load_seed(sessions, year=2026)
    async with running_bot(
        database_url, MovableClock(NOW), post_init=True, dashboard_url=URL
    ) as bot:
        # The configured coordinator's chat, when they first open the bot.
        office = bot.user(COORDINATOR_ID, "督查室王")
        [button] = menu_buttons(await bot.command(office, "/start"), COORDINATOR_ID)
        assert button == {
            "type": "web_app",
            "text": "督办大屏",
            "web_app": {"url": URL + "?lang=zh"},
        }
        # 📊 under /status opens the plan on the dashboard.
        await bot.command(office, "/status")
        status = bot.api.sent_messages(COORDINATOR_ID)[-2]
        [[web]] = status.params["reply_markup"]["inline_keyboard"]
        assert web["text"] == "📊 打开督办大屏"
        assert web["web_app"]["url"].startswith(URL + "?lang=zh&plan=")
        # An invited coordinator gets it when they link; and loses it when revoked.
        code = await invite_code(bot, "coordinator")
        calls = await bot.command(bot.user(INVITED, "孙协调"), "/start", code)
        assert [b["type"] for b in menu_buttons(calls, INVITED)] == ["web_app"]
        await bot.command(office, "/coordinators")
        calls = await bot.press(office, "撤销 孙协调", bot.api.last_message(COORDINATOR_ID))
        assert menu_buttons(calls, INVITED) == [{"type": "default"}]
    # At the next start, coordinators known by then get it, and the button is taken back
    # from whoever lost their rights meanwhile (e.g. by duban coordinators --revoke).
    async with running_bot(
        database_url, MovableClock(NOW), post_init=True, dashboard_url=URL
    ) as bot:
        assert [b["type"] for b in menu_buttons(bot.api.calls(), COORDINATOR_ID)] == ["web_app"]
        assert menu_buttons(bot.api.calls(), INVITED) == [{"type": "default"}]


async def test_no_dashboard_url_no_web_app_button(database_url: str, sessions: Sessions) -> None:
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, MovableClock(NOW), post_init=True) as bot:
        await bot.command(bot.user(COORDINATOR_ID, "督查室王"), "/status")
        assert bot.api.calls("setChatMenuButton") == []
        status = bot.api.sent_messages(COORDINATOR_ID)[-2]
        assert "reply_markup" not in status.params or not status.params["reply_markup"]

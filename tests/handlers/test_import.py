"""/import: a coordinator sends the plan's file, sees the preview, and only 确认导入 writes it;
everyday unit names in coordinator commands; a task's leader and deadline as the plan says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import User

from data.models import Plan, PlanImport, Task
from data.repo.coordinators import grant
from tests.factories.bot import COORDINATOR_ID, MovableClock, running_bot
from tests.factories.files import HEADER, docx_bytes, xlsx_bytes
from tests.factories.people import liaison
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLAN = xlsx_bytes(
    (
        "任务分解表",
        [
            ["某政发〔2025〕8号"],
            ["2025年民生实事项目清单"],
            HEADER,
            ["一、惠民生"],
            [1, "新建养老床位1000张。", "张副市长", "民政局", "财政局、江宁", "6月底前"],
            [2, "新增公共停车泊位1万个。", None, "市建委", "各区政府", "长期坚持"],
            ["注:请于每月20日前报送进展。"],
        ],
    )
)


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotHarness]:
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        yield harness


async def _send_file(bot: BotHarness, user: User, data: bytes, name: str = "清单.xlsx") -> None:
    update = bot.updates.document(user, name, file_size=len(data), mime_type=XLSX)
    assert update.message is not None and update.message.document is not None
    bot.api.add_file(update.message.document.file_id, data)
    await bot.send(update)


async def _count(sessions: Sessions, model: type[object]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_import_previews_then_writes_only_on_confirm(
    bot: BotHarness, sessions: Sessions
) -> None:
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/import")
    assert bot.api.last_text(COORDINATOR_ID).startswith("请发送计划文件:Word(.docx)")
    await _send_file(bot, coordinator, PLAN)
    preview = bot.api.last_message(COORDINATOR_ID)
    assert preview.text is not None
    assert preview.text.splitlines() == [
        "📄 导入预览:清单.xlsx",
        "某政发〔2025〕8号(2025年)2025年民生实事项目清单",
        "1 个部分,2 项任务,5 个单位",
        "新增 2 项,更新 0 项,不变 0 项,撤销 0 项",
        "新单位(5):市民政局、市财政局、江宁、市建委、各区政府",
        "⚠️ 单位名录中没有(按原文导入):江宁",
        "⚠️ “江宁”可能指:江宁区政府、江宁开发区管委会、江宁高新区管委会(按原文导入,建议写全称)",
        "单位简称已识别:民政局→市民政局、财政局→市财政局",
        "完成时限:1 项任务早于年底",
        "⚠️ 任务 2 的完成时限“长期坚持”无法识别,按原文保留(以年底计)",
        "责任领导:1 项任务已注明",
        "报送规则:通知写明“每月20日前”,将设为按月报送,20日前截止",
        "尚未写入任何内容,请确认。",
    ]
    assert bot.api.buttons(preview) == [
        [("✅ 确认导入", "im:ok:1"), ("取消", "im:x:1")],
    ]
    assert await _count(sessions, Plan) == 0 and await _count(sessions, Task) == 0

    await bot.press(coordinator, "✅ 确认导入", preview)
    assert bot.api.last_text(COORDINATOR_ID) == (
        "✅ 已导入 某政发〔2025〕8号(简称:民生实事):新增 2 项,更新 0 项,不变 0 项,撤销 0 项。"
    )
    assert bot.api.buttons(bot.api.last_message(COORDINATOR_ID)) == []
    async with sessions() as session:
        plan = await session.scalar(select(Plan))
        assert plan is not None and (plan.period_kind, plan.due_day) == ("month", 20)
    await bot.command(coordinator, "/task", "1")
    details = bot.api.last_text(COORDINATOR_ID)
    assert "责任领导:张副市长" in details
    assert "完成时限:2025年6月30日(文件原文:6月底前)" in details
    await bot.command(coordinator, "/task", "2")
    assert "完成时限:2025年12月31日(文件原文:长期坚持)" in bot.api.last_text(COORDINATOR_ID)
    # The same button again: the step is over, nothing is imported twice.
    calls = await bot.send(bot.updates.callback(coordinator, "im:ok:1", preview))
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params.get("text") == "这一步已经结束,请按最新的消息操作。"


async def test_cancel_writes_nothing(bot: BotHarness, sessions: Sessions) -> None:
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/import")
    await _send_file(bot, coordinator, PLAN)
    await bot.press(coordinator, "取消", bot.api.last_message(COORDINATOR_ID))
    assert bot.api.last_text(COORDINATOR_ID) == "已取消导入,未写入任何内容。"
    assert await _count(sessions, Plan) == 0
    # /cancel ends an import waiting for its file, too.
    await bot.command(coordinator, "/import")
    await bot.command(coordinator, "/cancel")
    assert bot.api.last_text(COORDINATOR_ID) == "已取消导入,未写入任何内容。"
    async with sessions() as session:
        states = (await session.scalars(select(PlanImport.state).order_by(PlanImport.id))).all()
    assert states == ["cancelled", "cancelled"]


async def test_a_broken_file_is_explained_and_the_next_one_is_taken(
    bot: BotHarness, sessions: Sessions
) -> None:
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/import")
    await _send_file(bot, coordinator, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "a.doc")
    assert bot.api.last_text(COORDINATOR_ID).startswith(
        "❌ 无法读取该文件(未导入任何内容):a.doc is an old-format Word"
    )
    broken = xlsx_bytes(("表", [["某政发〔2025〕8号"], HEADER, [1, "一项", None, None, None]]))
    await _send_file(bot, coordinator, broken)
    assert bot.api.last_text(COORDINATOR_ID).splitlines() == [
        "❌ 该文件无法导入(未导入任何内容),请修改后重新发送:",
        "· row 3: task 1. has no lead unit",
    ]
    seed_paragraphs = docx_bytes(
        ["某政发〔2025〕9号", "2025年方案", "一、稳增长", "1.一项。(市发改委主办)"]
    )
    await _send_file(bot, coordinator, seed_paragraphs, "方案.docx")
    assert bot.api.last_text(COORDINATOR_ID).startswith("📄 导入预览:方案.docx")
    assert await _count(sessions, Plan) == 0


async def test_only_coordinators_import_and_a_scoped_one_only_their_plan(
    bot: BotHarness, sessions: Sessions
) -> None:
    await load_seed(sessions, year=2025)
    await liaison(sessions, 6001, "市发改委", now=NOW)
    await bot.command(bot.user(6001), "/import")
    assert bot.api.last_text(6001) == "此功能仅限督查室协调人使用。"
    # A liaison's document is still evidence (or, with no report in progress, a pointer).
    await _send_file(bot, bot.user(6001), PLAN)
    assert "报送" in bot.api.last_text(6001)
    scoped = await liaison(sessions, 6003, now=NOW, name="区督查室")
    async with sessions() as session:
        plan_id = await session.scalar(select(Plan.id))
        grant(session, contact_id=scoped, plan_id=plan_id, by=None, now=NOW)
        await session.commit()
    await bot.command(bot.user(6003), "/import")
    await _send_file(bot, bot.user(6003), PLAN)
    assert bot.api.last_text(6003) == (
        "您无权导入或更新 某政发〔2025〕8号:请由负责全部计划的协调人导入。"
    )
    assert await _count(sessions, Plan) == 1


async def test_everyday_unit_names_in_coordinator_commands(
    bot: BotHarness, sessions: Sessions
) -> None:
    await load_seed(sessions, year=2025)
    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/invite", "发改委")
    assert "市发改委" in bot.api.last_text(COORDINATOR_ID)
    assert "t.me/duban_test_bot?start=" in bot.api.last_text(COORDINATOR_ID)
    await bot.command(coordinator, "/invite", "江宁")
    assert bot.api.last_text(COORDINATOR_ID) == (
        "“江宁”可能指:江宁区政府、江宁开发区管委会、江宁高新区管委会。请写出单位全称。"
    )
    await bot.command(coordinator, "/assign", "46", "江宁区", "江宁")
    assert bot.api.last_text(COORDINATOR_ID).splitlines() == [
        "已为任务 46 指定:江宁区政府",
        "“江宁”可能指:江宁区政府、江宁开发区管委会、江宁高新区管委会。请写出单位全称。",
    ]


async def test_the_ledger_shows_the_responsible_leader(bot: BotHarness) -> None:
    import io

    import openpyxl

    coordinator = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(coordinator, "/import")
    await _send_file(bot, coordinator, PLAN)
    await bot.press(coordinator, "✅ 确认导入", bot.api.last_message(COORDINATOR_ID))
    await bot.command(coordinator, "/export")
    [call] = bot.api.calls("sendDocument")
    book = openpyxl.load_workbook(io.BytesIO(call.params["document"]["bytes"]))
    sheet = book["1.惠民生"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["编号", "任务", "主办单位", "协办单位", "责任领导"]
    assert [c.value for c in sheet[2]][:5] == [
        1,
        "新建养老床位1000张。",
        "市民政局",
        "市财政局、江宁",
        "张副市长",
    ]
    assert sheet["E3"].value in (None, "")

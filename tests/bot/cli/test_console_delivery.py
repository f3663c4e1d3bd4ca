"""The console shows what Telegram would: files saved, and the bot's own messages (broadcasts,
催办, alerts, the 退回 notice) delivered by the outbox to the console's people."""

from __future__ import annotations

import logging
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from data.models import Attachment, Chase, OutboxMessage, Report, Task
from tests.factories.console import Press, after, buttons, console

APOLOGY = "抱歉,处理您的请求时出错了"


def saved(out: str, marker: str) -> Path:
    """The path the console printed after a marker such as "[图片]"."""
    line = next(line for line in out.splitlines() if line.startswith(marker))
    return Path(line.split()[-1])


async def test_three_visits_on_one_database_show_no_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # The input that failed on the second visit: `printf '/task 2\n' | duban console`.
    caplog.set_level(logging.ERROR)
    for _ in range(3):
        office = await console(settings, "/task 2", "/late")
        assert "任务 2(" in office and "未报送单位" in office
        liaison = await console(settings, "/task 2", "/mytasks", Press("2"), as_unit="市发改委")
        assert "任务 2(" in after(liaison, "返回列表") or "任务 2(" in liaison
        assert "本单位角色:主办" in liaison
        assert APOLOGY not in office + liaison
    assert [r.getMessage() for r in caplog.records] == []


async def test_a_coordinators_first_hour_and_a_liaisons_report_with_a_file(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    evidence = tmp_path / "现场照片.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence")
    progress = "一季度地区生产总值同比增长7.2%,重点项目按计划推进。"
    report = await console(
        settings,
        "/report 2",
        Press("正常推进"),
        "60",
        "7.2",
        "8.5%",
        progress,
        f":file '{evidence}'",
        Press("✅ 提交"),
        as_unit="市发改委",
    )
    assert "📎 已添加佐证材料(共 1 个)" in report
    assert "佐证材料:1 个" in after(report, "请确认报送内容")
    assert "已提交任务 2 的本期进展" in report

    out = await console(
        settings,
        "/status",
        "/broadcast",
        Press("全部联络员"),
        "请于本周五前报送半年小结。",
        Press("🚀 立即发送"),
        "/late",
        Press("📣 催办 市发改委"),
        ":as 市发改委",
        Press("✅ 收到"),
        ":coordinator",
        "/export",
    )
    files = settings.console_files.absolute()
    assert f"机器人发来的图片和文件保存在 {files}" in out
    chart = saved(out, "[图片]")
    assert chart.parent == files and chart.read_bytes().startswith(b"\x89PNG")

    sent = after(out, "🚀 立即发送")
    assert "→ 市发改委 · 控制台用户: 📢 督查室通知 请于本周五前报送半年小结。" in sent
    assert "✅ 群发完成:共 1 人,送达 1,失败 0。" in sent

    chased = after(out, "已向 1 个单位的 1 位联络员发送催办。")
    assert "→ 市发改委 · 控制台用户: 📣 督查室催办:市发改委 本期还有 22 项任务未报送" in chased
    away = after(chased, "(现在由 市发改委 · 控制台用户 使用控制台)")
    assert "(您不在时收到 2 条消息:)" in away  # the broadcast and the 催办
    assert "已确认收到" in away

    workbook = saved(after(out, "(现在由 督查室"), "[文件]")
    assert workbook.parent == files and workbook.suffix == ".xlsx"
    assert "全部报送记录" in openpyxl.load_workbook(workbook, read_only=True).sheetnames
    assert APOLOGY not in report + out
    assert [r.getMessage() for r in caplog.records] == []

    async with sessions() as session:
        attachments = (
            await session.scalars(
                select(Attachment)
                .join(Report, Attachment.report_id == Report.id)
                .join(Task, Report.task_id == Task.id)
                .where(Task.number == 2)
            )
        ).all()
        chase = await session.scalar(select(Chase))
        unsent = await session.scalar(select(OutboxMessage).where(OutboxMessage.state != "sent"))
    assert [(a.kind, a.file_name) for a in attachments] == [("document", "现场照片.pdf")]
    assert chase is not None and chase.acknowledged_at is not None
    assert unsent is None


async def test_a_blocked_report_alerts_the_coordinator_who_returns_it(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await console(settings, "/whoami")  # the console's coordinator exists
    out = await console(
        settings,
        "/report 5",
        Press("受阻"),
        "0",
        "土地指标未落实,需市规划资源局协调。",
        Press("✅ 提交"),
        ":coordinator",
        Press("退回 市发改委"),
        "请补充协调事项的具体诉求。",
        ":as 市发改委",
        as_unit="市发改委",
    )
    assert "→ 督查室 · 控制台用户: ⚠️ 受阻 · 任务 5 · 市发改委" in out
    alert = after(out, "(现在由 督查室 · 控制台用户 使用控制台)")
    assert "说明:土地指标未落实,需市规划资源局协调。" in alert
    returned = after(out, "(现在由 督查室 · 控制台用户 使用控制台)")
    assert "→ 市发改委 · 控制台用户: ↩️ 督查室退回了贵单位对任务 5 的报送。" in returned
    notice = after(returned, "(现在由 市发改委 · 控制台用户 使用控制台)")
    assert "原因:请补充协调事项的具体诉求。" in notice
    assert buttons(notice) == ["📝 报送进展"]
    async with sessions() as session:
        report = await session.scalar(
            select(Report)
            .join(Task, Report.task_id == Task.id)
            .where(Task.number == 5, Report.unit_id.is_not(None))
        )
    assert report is not None and report.review == "returned"

"""People over the year through the real handlers: the roster, unlinking by each of its three
paths, hand-over, leaders reading, and coordinators' rights taken away."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from bot.delivery.queue import Outgoing, queue_message
from data.models import AuditEntry, Contact, ContactUnit, OutboxMessage, Report, ReportDraft
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot, skip_targets
from tests.factories.linking import invite_code, link
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC, SUCCESSOR, FINANCE, LEADER, INVITED = 3101, 3102, 3103, 3104, 3105
NOT_LINKED = "您还没有绑定任何单位,暂时无法查看任务。\n请向市政府督查室索取本单位的邀请链接。"


def duban(*argv: str) -> int:
    """The command line, as an operator runs it, beside the running bot."""
    try:
        return main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        await link(harness, NDRC, "市发改委", "张联络")
        await link(harness, FINANCE, "市财政局", "李联络")
        yield harness


async def leave_traces(bot: BotHarness, sessions: Sessions) -> None:
    """市发改委's liaison has a report half written and a nudge waiting in the outbox."""
    user = bot.user(NDRC, "张联络")
    await bot.command(user, "/report", "2")
    await bot.press(user, "正常推进", bot.api.last_message(NDRC))
    async with sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.telegram_id == NDRC))
        assert contact is not None
        message = Outgoing(
            chat_id=NDRC, text="提醒", kind="nudge", contact_id=contact.id, dedupe_key="t:1"
        )
        await queue_message(session, message, now=NOW)
        await session.commit()


async def assert_gone(bot: BotHarness, sessions: Sessions, *, actor: str) -> None:
    """The person is refused at once, old buttons too; draft discarded, nudge cancelled,
    the audit log names who did it."""
    user = bot.user(NDRC, "张联络")
    await bot.command(user, "/mytasks")
    assert bot.api.last_text(NDRC) == NOT_LINKED
    async with sessions() as session:
        assert (await session.scalars(select(ReportDraft))).all() == []
        [nudge] = (await session.scalars(select(OutboxMessage))).all()
        assert nudge.state == "failed" and (nudge.last_error or "").startswith("cancelled")
        [entry] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.unlink"))
        ).all()
        assert entry.actor == actor
        assert entry.detail["units"] == ["市发改委"] and entry.detail["drafts"] == 1
        assert entry.detail["cancelled"] == 1


async def test_people_lists_units_nobody_can_reach_first(bot: BotHarness) -> None:
    office = bot.user(COORDINATOR_ID, "督查室王")
    await bot.command(office, "/people")
    lines = bot.api.last_text(COORDINATOR_ID).splitlines()
    assert lines[0].startswith("各单位联络员(共 ")
    assert lines[1].startswith("⚠️ 无人可联系(")
    assert "市商务局" in lines[1] and "市发改委" not in lines[1]
    assert sorted(lines[2:]) == ["✅ 市发改委:张联络", "✅ 市财政局:李联络"]
    await bot.command(office, "/people", "市发改委")
    text = bot.api.last_text(COORDINATOR_ID)
    assert text.startswith("市发改委\n联络员 张联络(ID 3101)\n  绑定于 6月10日 · 最近使用 6月10日")
    assert "可联系 · 语言 —" in text
    await bot.command(office, "/people", "不存在的局")
    assert (
        bot.api.last_text(COORDINATOR_ID)
        == "找不到单位“不存在的局”。请使用单位全称,如“市发改委”。"
    )
    # A liaison has no roster.
    await bot.command(bot.user(FINANCE), "/people")
    assert bot.api.last_text(FINANCE) == "此功能仅限督查室协调人使用。"


async def test_a_coordinator_removes_a_liaison_from_people(
    bot: BotHarness, sessions: Sessions
) -> None:
    await leave_traces(bot, sessions)
    old_prompt = bot.api.last_message(NDRC)  # the report's status buttons
    office = bot.user(COORDINATOR_ID, "督查室王")
    await bot.command(office, "/people", "市发改委")
    await bot.press(office, "移除 张联络", bot.api.last_message(COORDINATOR_ID))
    confirm = bot.api.last_message(COORDINATOR_ID)
    assert bot.api.last_text(COORDINATOR_ID).startswith("确定将 张联络 从 市发改委 移除吗?")
    [(_, remove_data), _cancel] = bot.api.buttons(confirm)[0]
    await bot.press(office, "确认移除", confirm)
    assert bot.api.current(confirm)["text"] == (
        "已将 张联络 从 市发改委 移除(作废草稿 1 份,取消待发消息 1 条)。"
    )
    await assert_gone(bot, sessions, actor=f"tg:{COORDINATOR_ID}")
    # An old button of theirs is refused politely, and writes nothing.
    calls = await bot.press(bot.user(NDRC, "张联络"), "50%", old_prompt)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == NOT_LINKED and answer.params["show_alert"]
    # A second coordinator's 确认移除 (the same data) finds nobody left to remove.
    calls = await bot.send(bot.updates.callback(office, str(remove_data), confirm))
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"].startswith("此人已不在该单位,或已被他人处理。")


async def test_the_cli_unlinks_by_telegram_id(
    bot: BotHarness,
    sessions: Sessions,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await leave_traces(bot, sessions)
    monkeypatch.setenv("DUBAN_DATABASE_URL", database_url)
    code = await asyncio.to_thread(duban, "unlink", str(NDRC))
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out.strip() == (
        "unlinked user 3101 from 市发改委: 1 draft(s) discarded, 1 queued message(s) cancelled"
    )
    await assert_gone(bot, sessions, actor="cli")
    code = await asyncio.to_thread(duban, "unlink", str(NDRC))
    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == "duban: error: user 3101 is not a liaison or leader of any unit"
    code = await asyncio.to_thread(duban, "unlink", "999", "--unit", "市发改委")
    assert code == 1 and "no contact with Telegram id 999" in capsys.readouterr().err


async def test_a_liaison_leaves_after_confirming(bot: BotHarness, sessions: Sessions) -> None:
    await leave_traces(bot, sessions)
    user = bot.user(NDRC, "张联络")
    await bot.command(user, "/leave")
    ask = bot.api.last_message(NDRC)
    assert bot.api.last_text(NDRC).startswith("您要退出哪个单位?")
    await bot.press(user, "✖️ 取消", ask)
    assert bot.api.current(ask)["text"] == "已取消,您仍是原单位的联络员。"
    await bot.command(user, "/leave")
    ask = bot.api.last_message(NDRC)
    await bot.press(user, "退出 市发改委", ask)
    assert bot.api.current(ask)["text"].startswith("您已退出 市发改委,目前没有绑定任何单位。")
    await assert_gone(bot, sessions, actor=f"tg:{NDRC}")


async def test_hand_over_unlinks_the_predecessor_when_the_successor_links(
    bot: BotHarness, sessions: Sessions
) -> None:
    # The predecessor's report stays with the unit; their draft goes with them.
    user = bot.user(NDRC, "张联络")
    await bot.command(user, "/report", "2")
    prompt = bot.api.last_message(NDRC)
    await bot.press(user, "正常推进", prompt)
    await bot.press(user, "50%", prompt)
    await skip_targets(bot, NDRC, prompt)
    await bot.text(user, "上半年进展")
    await bot.press(user, "✅ 提交", bot.api.last_message(NDRC))
    await bot.command(user, "/report", "5")
    office = bot.user(COORDINATOR_ID, "督查室王")
    await bot.command(office, "/people", "市发改委")
    await bot.press(office, "交接 张联络", bot.api.last_message(COORDINATOR_ID))
    text = bot.api.last_text(COORDINATOR_ID)
    assert text.startswith("已生成 市发改委 的交接邀请链接")
    match = re.search(r"start=([A-Za-z0-9_-]+)", text)
    assert match
    # Until the successor links, the predecessor is still the liaison.
    await bot.command(user, "/mytasks")
    assert bot.api.last_text(NDRC) != NOT_LINKED
    newcomer = bot.user(SUCCESSOR, "赵接任")
    await bot.command(newcomer, "/start", match.group(1))
    assert bot.api.last_text(SUCCESSOR).startswith("✅ 绑定成功!您现在是 市发改委 的联络员。")
    await bot.command(user, "/mytasks")
    assert bot.api.last_text(NDRC) == NOT_LINKED
    await bot.command(newcomer, "/task", "2")
    details = bot.api.last_text(SUCCESSOR)
    assert "上半年进展" in details  # the unit's history came with the unit
    async with sessions() as session:
        links = (await session.execute(select(Contact.telegram_id).join(ContactUnit))).all()
        assert sorted(t for (t,) in links) == [SUCCESSOR, FINANCE]
        assert (await session.scalars(select(ReportDraft))).all() == []
        [report] = (await session.scalars(select(Report))).all()
        assert report.text == "上半年进展"


async def test_a_leader_reads_the_units_tasks_and_reports_nothing(
    bot: BotHarness, sessions: Sessions
) -> None:
    office = bot.user(COORDINATOR_ID, "督查室王")
    await bot.command(office, "/invite", "leader", "市发改委")
    text = bot.api.last_text(COORDINATOR_ID)
    assert text.startswith("已生成 市发改委 的分管领导邀请链接")
    match = re.search(r"start=([A-Za-z0-9_-]+)", text)
    assert match
    boss = bot.user(LEADER, "钱局长")
    await bot.command(boss, "/start", match.group(1))
    assert bot.api.last_text(LEADER).startswith("✅ 绑定成功!您现在是 市发改委 的分管领导")
    await bot.command(boss, "/mytasks")
    assert "市发改委" in bot.api.last_text(LEADER)
    await bot.command(boss, "/task", "2")
    shown = bot.api.buttons(bot.api.last_message(LEADER)) or []
    assert "市发改委" in bot.api.last_text(LEADER)
    assert not any("报送进展" in label for row in shown for label, _ in row)
    await bot.command(boss, "/report", "2")
    assert bot.api.last_text(LEADER) == (
        "您是单位领导,可以查看本单位任务与报送情况;报送请由本单位联络员办理。"
    )
    await bot.command(boss, "/whoami")
    assert bot.api.last_text(LEADER) == "您是以下单位的领导(只读):市发改委"
    async with sessions() as session:
        assert (await session.scalars(select(ReportDraft))).all() == []
    # The roster shows them as the unit's leader.
    await bot.command(office, "/people", "市发改委")
    assert "领导 钱局长(ID 3104)" in bot.api.last_text(COORDINATOR_ID)


async def test_an_invited_coordinator_is_revoked_from_coordinators(
    bot: BotHarness, sessions: Sessions
) -> None:
    code = await invite_code(bot, "coordinator")
    await bot.command(bot.user(INVITED, "孙协调"), "/start", code)
    office = bot.user(COORDINATOR_ID, "督查室王")
    await bot.command(office, "/coordinators")
    listing = bot.api.last_message(COORDINATOR_ID)
    text = bot.api.last_text(COORDINATOR_ID)
    assert "ID 900001(由配置 DUBAN_COORDINATORS 指定,全部计划)" in text
    assert "孙协调(ID 3105):全部计划" in text
    await bot.command(bot.user(INVITED, "孙协调"), "/late")
    assert bot.api.last_text(INVITED) != "此功能仅限督查室协调人使用。"
    calls = await bot.press(office, "撤销 孙协调", listing)
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert answer.params["text"] == "已撤销 孙协调 的协调人权限。"
    assert "孙协调" not in bot.api.current(listing)["text"]
    for command in ("/status", "/export", "/people", "/coordinators", "/invite"):
        await bot.command(bot.user(INVITED, "孙协调"), command)
        assert bot.api.last_text(INVITED) == "此功能仅限督查室协调人使用。"
    async with sessions() as session:
        [entry] = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "coordinator.revoke")
            )
        ).all()
        assert entry.actor == f"tg:{COORDINATOR_ID}"

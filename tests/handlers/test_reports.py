"""Scenarios for issue 4: reporting progress by conversation, replies, review, validation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from data.models import AuditEntry, Contact, Report, ReportDraft, Task, Unit
from tests.factories.bot import (
    COORDINATOR_ID,
    SHANGHAI,
    MovableClock,
    deliver,
    running_bot,
    skip_targets,
)
from tests.factories.linking import invite_code
from tests.harness import BotHarness

NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC = 2001  # a liaison of 市发改委 (leads task 2 alone; leads task 5 with 市商务局)
FINANCE = 2002  # a liaison of 市财政局 (co-unit on task 5)

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
async def bot(
    database_url: str, sessions: Sessions, clock: MovableClock
) -> AsyncIterator[BotHarness]:
    from tests.factories.plans import load_seed

    await load_seed(sessions, year=2026)
    async with running_bot(database_url, clock) as harness:
        for user_id, unit in ((NDRC, "市发改委"), (FINANCE, "市财政局")):
            code = await invite_code(harness, unit)
            await harness.command(harness.user(user_id, f"联络员{user_id}"), "/start", code)
        yield harness


async def reports(sessions: Sessions, number: int) -> list[Report]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Report)
            .join(Task, Task.id == Report.task_id)
            .where(Task.number == number)
            .order_by(Report.id)
        )
        return list(rows)


def last(bot: BotHarness, chat: int) -> dict:  # type: ignore[type-arg]
    return bot.api.current(bot.api.last_message(chat))


async def walk_to_text_step(bot: BotHarness, user_id: int, number: int) -> None:
    """/report N, 正常推进, 50%, every target skipped: leaves the draft waiting for the text."""
    user = bot.user(user_id)
    await bot.command(user, "/report", str(number))
    prompt = bot.api.last_message(user_id)
    await bot.press(user, "正常推进", prompt)
    await bot.press(user, "50%", prompt)
    await skip_targets(bot, user_id, prompt)
    assert "第 3 步(共 3 步)" in bot.api.current(prompt)["text"]


async def test_full_report_from_the_picker(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/report")
    picker = bot.api.last_message(NDRC)
    assert bot.api.last_text(NDRC) == "请选择要报送的任务(第 1/4 页):"
    labels = [text for row in bot.api.buttons(picker) for text, _ in row]
    assert labels[0].startswith("2. 地区生产总值增长7%") and labels[0].endswith("· 主办")
    await bot.press(user, labels[0], picker)
    text = bot.api.current(picker)["text"]
    assert "报送 任务 2" in text and "单位:市发改委(主办)" in text and "第 1 步" in text
    await bot.press(user, "正常推进", picker)
    assert "第 2 步" in bot.api.current(picker)["text"]
    await bot.press(user, "75%", picker)
    await skip_targets(bot, NDRC, picker)
    assert "正常推进 · 75%" in bot.api.current(picker)["text"]
    await bot.text(user, "一季度GDP同比增长7.2%,固定资产投资增长8.5%。")
    preview = bot.api.last_message(NDRC)
    shown = bot.api.last_text(NDRC)
    assert "请确认报送内容" in shown and "进度:75%" in shown and "状态:正常推进" in shown
    assert "协办单位本期暂无配合情况。" in shown
    await bot.press(user, "✅ 提交", preview)
    assert bot.api.current(preview)["text"].startswith("✅ 已提交任务 2 的本期进展")

    [stored] = await reports(sessions, 2)
    assert (stored.status, stored.percent, stored.role, stored.review) == (
        "on_track",
        75,
        "lead",
        "pending",
    )
    assert stored.text == "一季度GDP同比增长7.2%,固定资产投资增长8.5%。"
    async with sessions() as session:
        assert (await session.scalars(select(ReportDraft))).all() == []
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "report.submit" in actions

    await bot.command(user, "/mytasks")
    assert "🟢 2." in bot.api.last_text(NDRC)
    assert "最近报送:正常推进 6月10日 09:30" in bot.api.last_text(NDRC)
    await bot.command(user, "/task", "2")
    assert "6月10日 09:30 市发改委:正常推进 75%〔待审核〕 一季度GDP" in bot.api.last_text(NDRC)


async def test_double_submit_stores_one_report(bot: BotHarness, sessions: Sessions) -> None:
    await walk_to_text_step(bot, NDRC, 2)
    await bot.text(bot.user(NDRC), "进展顺利")
    preview = bot.api.last_message(NDRC)
    await bot.press(bot.user(NDRC), "✅ 提交", preview)
    calls = await bot.send(bot.updates.callback(bot.user(NDRC), "rp:ok", preview))
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert answer.params.get("text") == "这份报送已经提交过了。"
    assert len(await reports(sessions, 2)) == 1


async def test_restart_mid_report_loses_nothing(
    database_url: str, bot: BotHarness, clock: MovableClock, sessions: Sessions
) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/report", "2")
    prompt = bot.api.current(bot.api.last_message(NDRC))
    await bot.press(user, "受阻", bot.api.last_message(NDRC))
    prompt = bot.api.current(bot.api.last_message(NDRC))
    # A new process on the same database: the old message's buttons still work.
    async with running_bot(database_url, clock) as restarted:
        restarted.api.register_message(prompt)
        liaison = restarted.user(NDRC, f"联络员{NDRC}")
        await restarted.send(restarted.updates.callback(liaison, "rp:c:25", prompt))
        await skip_targets(restarted, NDRC, prompt)
        assert "第 3 步" in restarted.api.last_text(NDRC)
        await restarted.text(liaison, "土地指标未落实,项目无法开工。")
        await restarted.press(liaison, "✅ 提交", restarted.api.last_message(NDRC))
        # 受阻 reaches the coordinators at once (through the outbox), with review buttons.
        assert await deliver(restarted) == 1
        alert = restarted.api.last_message(COORDINATOR_ID)
        assert "受阻 · 任务 2 · 市发改委" in restarted.api.last_text(COORDINATOR_ID)
        assert "土地指标未落实" in restarted.api.last_text(COORDINATOR_ID)
        assert [t for row in restarted.api.buttons(alert) for t, _ in row] == [
            "采纳 市发改委",
            "退回 市发改委",
        ]
    [stored] = await reports(sessions, 2)
    assert (stored.status, stored.percent) == ("blocked", 25)


async def test_reply_to_task_details_files_a_report(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/task", "2")
    details = bot.api.last_message(NDRC)
    await bot.text(user, "本月已召开专题会,推进顺利。", reply_to=details)
    assert "已将您的回复记录为任务 2(市发改委)的本期进展" in bot.api.last_text(NDRC)
    [first] = await reports(sessions, 2)
    assert first.text == "本月已召开专题会,推进顺利。" and first.status == "on_track"
    await bot.press(user, "需协调", bot.api.last_message(NDRC))
    assert bot.api.last_text(NDRC) == "已将任务 2 的状态更新为:需协调。"
    versions = await reports(sessions, 2)
    assert [(r.status, r.is_current) for r in versions] == [
        ("on_track", False),
        ("needs_coordination", True),
    ]
    assert versions[1].supersedes_id == versions[0].id
    await deliver(bot)
    assert "需协调 · 任务 2 · 市发改委" in bot.api.last_text(COORDINATOR_ID)


async def test_reply_to_a_message_about_no_task(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/whoami")
    await bot.text(user, "这是回复", reply_to=bot.api.last_message(NDRC))
    assert "不对应具体任务" in bot.api.last_text(NDRC)
    assert await reports(sessions, 2) == []


async def test_co_unit_contribution_is_shown_to_the_lead(
    bot: BotHarness, sessions: Sessions
) -> None:
    await walk_to_text_step(bot, FINANCE, 5)
    await bot.text(bot.user(FINANCE), "已安排消费券资金2亿元。")
    await bot.press(bot.user(FINANCE), "✅ 提交", bot.api.last_message(FINANCE))
    [contribution] = await reports(sessions, 5)
    assert contribution.role == "co"

    await walk_to_text_step(bot, NDRC, 5)
    await bot.text(bot.user(NDRC), "国际消费中心城市建设稳步推进。")
    shown = bot.api.last_text(NDRC)
    assert "协办单位本期配合情况" in shown
    assert "· 市财政局:正常推进 50% 已安排消费券资金2亿元。" in shown


async def test_edit_then_accept_then_no_more_edits(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    await bot.text(user, "第一版")
    await bot.press(user, "✅ 提交", bot.api.last_message(NDRC))
    # Editing starts from what was sent: the previous text can be kept.
    await bot.command(user, "/report", "2")
    prompt = bot.api.last_message(NDRC)
    await bot.press(user, "存在风险", prompt)
    await bot.press(user, "75%", prompt)
    await skip_targets(bot, NDRC, prompt)
    await bot.press(user, "沿用上次内容", prompt)
    assert "说明:第一版" in bot.api.current(prompt)["text"]
    await bot.press(user, "✅ 提交", prompt)
    versions = await reports(sessions, 2)
    assert [(r.status, r.percent, r.text, r.is_current) for r in versions] == [
        ("on_track", 50, "第一版", False),
        ("at_risk", 75, "第一版", True),
    ]
    assert versions[1].first_submitted_at == versions[0].first_submitted_at

    coordinator = bot.user(COORDINATOR_ID)
    await bot.command(coordinator, "/task", "2")
    await bot.press(coordinator, "采纳 市发改委", bot.api.last_message(COORDINATOR_ID))
    assert bot.api.last_text(COORDINATOR_ID) == "已采纳 市发改委 对任务 2 的报送。"
    assert (await reports(sessions, 2))[-1].review == "accepted"

    await bot.command(user, "/report", "2")
    assert "已被督查室采纳,不能再修改" in bot.api.last_text(NDRC)
    await bot.command(user, "/task", "2")
    assert "〔已采纳〕" in bot.api.last_text(NDRC)


async def test_return_with_reason_notifies_the_unit(bot: BotHarness, sessions: Sessions) -> None:
    await walk_to_text_step(bot, NDRC, 2)
    await bot.text(bot.user(NDRC), "进展顺利")
    await bot.press(bot.user(NDRC), "✅ 提交", bot.api.last_message(NDRC))
    coordinator = bot.user(COORDINATOR_ID)
    await bot.command(coordinator, "/task", "2")
    await bot.press(coordinator, "退回 市发改委", bot.api.last_message(COORDINATOR_ID))
    assert bot.api.last_text(COORDINATOR_ID).startswith("请输入退回 市发改委 任务 2 报送的原因")
    # A reason over 500 characters is refused (the text offered back), nothing is returned yet.
    await bot.text(coordinator, "原因" * 300)
    assert bot.api.last_text(COORDINATOR_ID).startswith("内容有 600 字,超过 500 字的上限。")
    [pending] = await reports(sessions, 2)
    assert pending.review == "pending"
    await bot.text(coordinator, "请补充<具体数据>")
    assert bot.api.last_text(COORDINATOR_ID) == (
        "已退回 市发改委 对任务 2 的报送,并已通知其联络员。"
    )
    assert await deliver(bot) == 1
    notice = bot.api.last_text(NDRC)
    assert "督查室退回了贵单位对任务 2 的报送" in notice and "原因:请补充<具体数据>" in notice
    [stored] = await reports(sessions, 2)
    assert (stored.review, stored.review_reason) == ("returned", "请补充<具体数据>")
    # The notice carries the button to resubmit.
    await bot.press(bot.user(NDRC), "📝 报送进展", bot.api.last_message(NDRC))
    assert "报送 任务 2" in bot.api.last_text(NDRC)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("120", "“120”不是 0–100 的整数"),
        ("五十", "“五十”不是 0–100 的整数"),
        ("-5", "“-5”不是 0–100 的整数"),
    ],
)
async def test_bad_percent_keeps_the_step(bot: BotHarness, typed: str, answer: str) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/report", "2")
    await bot.press(user, "正常推进", bot.api.last_message(NDRC))
    await bot.text(user, typed)
    assert answer in bot.api.last_text(NDRC)
    await bot.text(user, "６０%")  # full-width digits from a Chinese keyboard
    assert "正常推进 · 60%" in bot.api.last_text(NDRC)


async def test_invalid_texts_keep_the_draft(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    await bot.text(user, "长" * 501)
    assert "内容有 501 字,超过 500 字的上限" in bot.api.last_text(NDRC)
    await bot.text(user, "响铃\x07字符")
    assert "控制字符" in bot.api.last_text(NDRC)
    await bot.send(bot.updates.sticker(user))
    assert bot.api.last_text(NDRC) == "请发送文字说明。贴纸、语音等无法作为报送内容。"
    await bot.send(bot.updates.voice(user))
    assert bot.api.last_text(NDRC) == "请发送文字说明。贴纸、语音等无法作为报送内容。"
    async with sessions() as session:
        [draft] = (await session.scalars(select(ReportDraft))).all()
    assert (draft.step, draft.status, draft.percent) == ("text", "on_track", 50)
    await bot.text(user, "长" * 500)
    assert "请确认报送内容" in bot.api.last_text(NDRC)


async def test_attachments_and_their_size_limit(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    await bot.text(user, "见附件")
    await bot.send(bot.updates.document(user, "进展.pdf", file_size=25 * 1024 * 1024))
    assert bot.api.last_text(NDRC) == "文件过大(25.0 MB),上限为 20 MB。请压缩后重新发送。"
    await bot.send(bot.updates.photo(user, "PHOTO-1"))
    texts = [c.text for c in bot.api.sent_messages(NDRC)[-2:]]
    assert texts[0] == "📎 已添加佐证材料(共 1 个)。确认无误后请点击“提交”。"
    assert "佐证材料:1 个" in (texts[1] or "")
    await bot.press(user, "✅ 提交", bot.api.last_message(NDRC))
    async with sessions() as session:
        stored = await session.scalar(select(Report))
        assert stored is not None
        await session.refresh(stored, ["attachments"])
        assert [(a.kind, a.file_id) for a in stored.attachments] == [("photo", "PHOTO-1")]


async def test_cancel_and_idle_timeout(
    bot: BotHarness, clock: MovableClock, sessions: Sessions
) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/report", "2")
    await bot.press(user, "正常推进", bot.api.last_message(NDRC))
    await bot.command(user, "/cancel")
    assert bot.api.last_text(NDRC) == "已取消本次报送,草稿已清除。"
    await bot.command(user, "/cancel")
    assert bot.api.last_text(NDRC) == "当前没有进行中的操作。"

    await walk_to_text_step(bot, NDRC, 2)
    clock.advance(minutes=31)
    await bot.text(user, "迟到的内容")
    sent = [c.text or "" for c in bot.api.sent_messages(NDRC)[-2:]]
    assert sent[0].startswith("⌛ 超过 30 分钟未操作")
    assert sent[1] == "如需报送进展,请发送 /report;查看任务请发送 /mytasks。"
    assert await reports(sessions, 2) == []


async def test_liaison_cannot_report_for_another_unit(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/report", "3")  # 市财政局's task
    assert bot.api.last_text(NDRC) == "您只能报送本单位承担的任务,任务 3 不在其中。"
    async with sessions() as session:
        task3 = await session.scalar(select(Task.id).where(Task.number == 3))
        finance = await session.scalar(select(Unit.id).where(Unit.name == "市财政局"))
    await bot.command(user, "/mytasks")
    forged = bot.updates.callback(user, f"rp:t:{task3}:{finance}", bot.api.last_message(NDRC))
    await bot.send(forged)
    assert "不在其中" in bot.api.last_text(NDRC)
    assert await reports(sessions, 3) == []


async def test_stale_step_buttons_are_answered(bot: BotHarness) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/report", "2")
    prompt = bot.api.last_message(NDRC)
    await bot.press(user, "正常推进", prompt)
    calls = await bot.send(bot.updates.callback(user, "rp:s:blk", prompt))
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert answer.params.get("text") == "这一步已经结束,请按最新的消息操作。"


async def test_in_a_group_the_bot_points_to_the_private_chat_and_shows_nothing(
    bot: BotHarness, sessions: Sessions, clock: MovableClock
) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    async with sessions() as session:
        step = await session.scalar(select(ReportDraft.step))
    group = bot.updates.group(-1001234567890, "市发改委工作群")
    before = len(bot.api.calls())

    calls = await bot.send(bot.updates.command(user, "/mytasks", chat=group))
    [answer] = [c for c in calls if c.method == "sendMessage"]
    assert answer.params["chat_id"] == -1001234567890
    assert answer.text == (
        "督办只在私聊中使用,以免本单位的任务和报送内容被群里其他人看到。请点下方按钮私聊我。"
    )
    [[button]] = answer.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": "私聊督办", "url": "https://t.me/duban_test_bot"}
    # Chatter in the group is not the report text the private draft waits for; a command for
    # another bot is not ours; the pointer is given once in ten minutes per group.
    assert await bot.send(bot.updates.message(user, "进展顺利,已完成一半", chat=group)) == []
    assert await bot.send(bot.updates.command(user, "/help@SomeOtherBot", chat=group)) == []
    stranger = bot.user(9999, "路人", "en")
    assert await bot.send(bot.updates.command(stranger, "/start", chat=group)) == []
    clock.advance(minutes=11)
    await bot.send(bot.updates.command(stranger, "/start@duban_test_bot", chat=group))
    assert bot.api.last_text(-1001234567890).startswith("Duban works in a private chat only")
    # A Telegram Business chat (a business and its customer) is not ours to answer either.
    business = bot.updates.message(user, "/mytasks").to_dict()["message"]
    business["business_connection_id"] = "biz-1"
    assert await bot.send(bot.updates._update(business_message=business)) == []
    # Nothing but those two pointers was sent, and nothing to the liaison's private chat.
    sent = [c for c in bot.api.calls()[before:] if c.method == "sendMessage"]
    assert [c.params["chat_id"] for c in sent] == [-1001234567890, -1001234567890]
    async with sessions() as session:
        assert await session.scalar(select(ReportDraft.step)) == step
        contact = await session.scalar(select(Contact).where(Contact.telegram_id == NDRC))
        assert contact is not None and contact.chat_id == NDRC  # nudges still go there
        assert await session.scalar(select(Contact).where(Contact.telegram_id == 9999)) is None


async def test_editing_a_sent_message_changes_nothing_and_says_how_to(
    bot: BotHarness, sessions: Sessions
) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    sent = bot.updates.message(user, "第一版进展说明")
    await bot.send(sent)
    assert bot.api.last_text(NDRC).startswith("请确认报送内容")
    await bot.send(bot.updates.edited(sent, "第二版进展说明"))
    assert bot.api.last_text(NDRC) == (
        "修改已发送的消息不会改变报送内容。如需修改,请点击预览下方的“✏️ 修改”重新填写。"
    )
    async with sessions() as session:
        draft = await session.scalar(select(ReportDraft))
        assert draft is not None and (draft.step, draft.text) == ("preview", "第一版进展说明")
    await bot.press(user, "✅ 提交", bot.api.sent_messages(NDRC)[-2])
    [report] = await reports(sessions, 2)
    assert report.text == "第一版进展说明"
    # With nothing in progress an edit is not answered at all, and a command is not re-run.
    before = len(bot.api.calls())
    command = bot.updates.command(user, "/mytasks")
    await bot.send(command)
    assert len(bot.api.calls()) == before + 1
    assert await bot.send(bot.updates.edited(command, "/mytasks")) == []


async def test_a_status_button_keeps_the_evidence_and_ends_with_its_period(
    bot: BotHarness, sessions: Sessions, clock: MovableClock
) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    await bot.send(bot.updates.photo(user, "evidence-1"))
    await bot.text(user, "有图为证")
    await bot.press(user, "✅ 提交", bot.api.last_message(NDRC))
    # A reply to the task, then a status button under it: the photo stays with the report.
    await bot.command(user, "/task", "2")
    details = bot.api.last_message(NDRC)
    await bot.text(user, "补充说明:已开工", reply_to=details)
    await bot.press(user, "存在风险", bot.api.last_message(NDRC))
    async with sessions() as session:
        current = await session.scalar(
            select(Report)
            .where(Report.is_current.is_(True))
            .options(selectinload(Report.attachments))
        )
        assert current is not None and current.status == "at_risk"
        assert [a.file_id for a in current.attachments] == ["evidence-1"]
    # The same buttons pressed after June's period is over change nothing.
    await bot.text(user, "六月底进展", reply_to=details)
    buttons = bot.api.last_message(NDRC)
    versions = len(await reports(sessions, 2))
    clock.advance(days=40)
    calls = await bot.press(user, "受阻", buttons)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == "这一步已经结束,请按最新的消息操作。"
    assert len(await reports(sessions, 2)) == versions

"""Bad input found in review, each with a clear answer and nothing stored wrongly: invisible
text, captions, too many attachments, texts too long to echo in one message, and another
liaison's 稍后提醒."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.calendar.workdays import WorkCalendar
from data.models import AuditEntry, ReportDraft
from scheduler.nudges import tick
from tests.factories.bot import SHANGHAI, MovableClock, deliver, running_bot
from tests.factories.bot import test_settings as bot_settings
from tests.factories.linking import link
from tests.factories.plans import load_seed
from tests.handlers.test_reports import walk_to_text_step
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC, FINANCE = 2001, 2002


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        await link(harness, NDRC, "市发改委", "张联络")
        await link(harness, FINANCE, "市财政局", "李联络")
        yield harness


async def draft(sessions: Sessions) -> ReportDraft:
    async with sessions() as session:
        [found] = (await session.scalars(select(ReportDraft))).all()
        return found


@pytest.mark.parametrize("typed", ["\u200b\u200b", "\ufeff", " \u3164 ", "\u2060\u200d\n\u200c"])
async def test_invisible_text_is_empty(bot: BotHarness, sessions: Sessions, typed: str) -> None:
    await walk_to_text_step(bot, NDRC, 2)
    await bot.text(bot.user(NDRC), typed)
    assert bot.api.last_text(NDRC) == "内容不能为空,请用一段话说明进展。"
    stored = await draft(sessions)
    assert (stored.step, stored.text) == ("text", None)


async def test_a_caption_at_the_text_step_is_the_text(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    await bot.send(bot.updates.photo(user, "PHOTO-1", caption="现场照片:已开工"))
    assert "说明:现场照片:已开工" in bot.api.last_text(NDRC)  # the preview
    stored = await draft(sessions)
    assert (stored.step, stored.text, len(stored.attachments)) == ("preview", "现场照片:已开工", 1)
    # At the preview a caption is not taken silently as a new text: the user is told.
    await bot.send(bot.updates.document(user, "补充.pdf", caption="另一段说明"))
    texts = [c.text or "" for c in bot.api.sent_messages(NDRC)[-3:]]
    assert any(t.startswith("文件已添加;随附的说明文字未作为报送内容") for t in texts)
    assert (await draft(sessions)).text == "现场照片:已开工"


async def test_an_invisible_caption_is_refused_and_the_file_kept(
    bot: BotHarness, sessions: Sessions
) -> None:
    await walk_to_text_step(bot, NDRC, 2)
    await bot.send(bot.updates.photo(bot.user(NDRC), "PHOTO-1", caption="\u200b"))
    assert bot.api.last_text(NDRC) == "内容不能为空,请用一段话说明进展。"
    stored = await draft(sessions)
    assert (stored.step, len(stored.attachments)) == ("text", 1)


async def test_at_most_ten_attachments(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    await bot.text(user, "见附件")
    for n in range(1, 11):
        await bot.send(bot.updates.photo(user, f"PHOTO-{n}"))
    said = [c.text or "" for c in bot.api.sent_messages(NDRC)]
    assert "📎 已添加佐证材料(共 10 个,已达 10 个的上限)。确认无误后请点击“提交”。" in said
    await bot.send(bot.updates.photo(user, "PHOTO-11"))
    assert bot.api.last_text(NDRC) == ("每份报送最多 10 个佐证材料,已达上限,这个文件未添加。")
    stored = await draft(sessions)
    assert [a["file_id"] for a in stored.attachments] == [f"PHOTO-{n}" for n in range(1, 11)]


async def test_too_long_text_comes_back_whole(bot: BotHarness) -> None:
    user = bot.user(NDRC)
    await walk_to_text_step(bot, NDRC, 2)
    # 600 characters: the explanation and the text fit in one message.
    await bot.text(user, "进" * 600)
    assert bot.api.last_text(NDRC).endswith("您的原文如下,可复制修改:\n" + "进" * 600)
    # 1,500 characters that escaping makes four times longer: the text comes back whole, in
    # messages after the explanation.
    original = "<a&b>" * 300
    before = len(bot.api.sent_messages(NDRC))
    await bot.text(user, original)
    sent = [c.text or "" for c in bot.api.sent_messages(NDRC)[before:]]
    assert sent[0].startswith("内容有 1500 字,超过 500 字的上限。")
    assert len(sent) > 2 and all(len(t) <= 4096 for t in sent)
    assert "".join(sent[1:]) == original  # what the client shows of the HTML
    assert html.escape(original, quote=False) != original


async def test_another_liaisons_snooze_writes_nothing(
    bot: BotHarness, sessions: Sessions, database_url: str
) -> None:
    june_first = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
    await tick(
        sessions, settings=bot_settings(database_url), calendar=WorkCalendar(), now=june_first
    )
    assert await deliver(bot) >= 2
    nudge = bot.api.last_message(NDRC)
    snooze = next(
        data for row in bot.api.buttons(nudge) for text, data in row if "稍后提醒" in text
    )
    # 李联络 presses the same data under a message of their own (a forwarded nudge, forged data).
    other = bot.user(FINANCE)
    await bot.command(other, "/help")
    calls = await bot.send(bot.updates.callback(other, str(snooze), bot.api.last_message(FINANCE)))
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == "这条提醒不是发给您的,无法为您推迟。"
    snoozed = select(AuditEntry).where(AuditEntry.action == "nudge.snooze")
    async with sessions() as session:
        assert (await session.scalars(snoozed)).all() == []
    # The liaison it was sent to puts it off.
    calls = await bot.press(bot.user(NDRC), "💤 稍后提醒", nudge)
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"].startswith("好的,下一次提醒在 ")
    async with sessions() as session:
        [entry] = (await session.scalars(snoozed)).all()
        assert entry.actor == f"tg:{NDRC}"

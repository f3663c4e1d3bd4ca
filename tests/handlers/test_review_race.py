"""Two coordinators deciding one report at the same moment, in two processes' Applications on one
database: exactly one decision, one audit entry, one notice; the other is told who decided."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.review import ReviewOutcome, accept
from data.models import AuditEntry, Contact, OutboxMessage, Report
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot, skip_targets
from tests.factories.linking import link
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC = 3201
SECOND = 900_002  # another coordinator, at another worker
COORDINATORS = [COORDINATOR_ID, SECOND]


async def submit(bot: BotHarness) -> None:
    user = bot.user(NDRC, "张联络")
    await bot.command(user, "/report", "2")
    prompt = bot.api.last_message(NDRC)
    await bot.press(user, "正常推进", prompt)
    await bot.press(user, "50%", prompt)
    await skip_targets(bot, NDRC, prompt)
    await bot.text(user, "按计划推进")
    await bot.press(user, "✅ 提交", bot.api.last_message(NDRC))


async def decisions(sessions: Sessions) -> tuple[list[str], list[str], int]:
    async with sessions() as session:
        reviews = list((await session.scalars(select(Report.review))).all())
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("report.%turn%"))
            )
        ).all()
        accepted = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action == "report.accept")
            )
        ).all()
        notices = (
            await session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "returned"))
        ).all()
    return reviews, [*actions, *accepted], len(notices)


async def test_accept_and_return_at_once_on_two_workers(
    database_url: str, sessions: Sessions
) -> None:
    await load_seed(sessions, year=2026)
    clock = MovableClock(NOW)
    async with running_bot(database_url, clock, coordinators=COORDINATORS) as one:
        await link(one, NDRC, "市发改委", "张联络")
        await submit(one)
        async with running_bot(database_url, clock, coordinators=COORDINATORS) as two:
            first, second = one.user(COORDINATOR_ID, "王协调"), two.user(SECOND, "李协调")
            await one.command(first, "/task", "2")
            await two.command(second, "/task", "2")
            await two.press(second, "退回 市发改委", two.api.last_message(SECOND))
            assert two.api.last_text(SECOND).startswith("请输入退回 市发改委 任务 2 报送的原因")
            accept_calls, _ = await asyncio.gather(
                one.press(first, "采纳 市发改委", one.api.last_message(COORDINATOR_ID)),
                two.text(second, "请补充数据"),
            )
    reviews, audited, notices = await decisions(sessions)
    assert len(reviews) == 1 and reviews[0] in ("accepted", "returned")
    assert len(audited) == 1
    won = reviews[0]
    assert audited == ["report.accept" if won == "accepted" else "report.return"]
    assert notices == (1 if won == "returned" else 0)
    answer = next(c for c in accept_calls if c.method == "answerCallbackQuery")
    if won == "accepted":
        # Said once, in the chat (the button's notice stays silent).
        assert "text" not in answer.params
        assert one.api.last_text(COORDINATOR_ID) == "已采纳 市发改委 对任务 2 的报送。"
        assert two.api.last_text(SECOND).startswith("该报送已由 王协调 于 ")
        assert two.api.last_text(SECOND).endswith(" 已采纳,您的操作未生效。")
    else:
        assert answer.params["text"].startswith("该报送已由 李协调 于 ")
        assert answer.params["text"].endswith(" 已退回,您的操作未生效。")
        assert two.api.last_text(SECOND) == "已退回 市发改委 对任务 2 的报送,并已通知其联络员。"


async def test_a_decision_read_before_another_lands_is_not_applied(
    database_url: str, sessions: Sessions
) -> None:
    """The interleaving two processes can produce, made certain: the report is read as
    pending in one session, decided in another, then decided again from the first."""
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, MovableClock(NOW), coordinators=COORDINATORS) as bot:
        await link(bot, NDRC, "市发改委", "张联络")
        await submit(bot)
        await bot.command(bot.user(SECOND, "李协调"), "/whoami")
        await bot.command(bot.user(COORDINATOR_ID, "王协调"), "/whoami")
    async with sessions() as late, sessions() as early:
        people = {c.telegram_id: c for c in (await late.scalars(select(Contact))).all()}
        stale = await late.scalar(select(Report))
        assert stale is not None and stale.review == "pending"
        fresh = await early.scalar(select(Report))
        assert fresh is not None
        reviewer = await early.get(Contact, people[SECOND].id)
        assert reviewer is not None
        outcome = await accept(early, report=fresh, reviewer=reviewer, now=NOW)
        await early.commit()
        assert outcome is ReviewOutcome.ACCEPTED
        second = await accept(late, report=stale, reviewer=people[COORDINATOR_ID], now=NOW)
        await late.commit()
        assert second is ReviewOutcome.DECIDED
    reviews, audited, _ = await decisions(sessions)
    assert reviews == ["accepted"] and audited == ["report.accept"]

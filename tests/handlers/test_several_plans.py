"""Several plans at once: a liaison's whole desk, which task is meant, one nudge for every plan,
coordinators scoped to a plan, and the year's turn."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.calendar.workdays import WorkCalendar
from bot.plan.loader import import_plan
from data.models import Contact, OutboxMessage, Plan, Report, Task
from data.repo.outbox import load_bodies
from scheduler.nudges import tick
from tests.factories.bot import COORDINATOR_ID, MovableClock, running_bot, skip_targets
from tests.factories.bot import test_settings as settings_for
from tests.factories.linking import link
from tests.factories.people import liaison, report_all
from tests.factories.plans import directory, load_seed, small_plan
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=TZ)
NDRC, CIVIL, SCOPED = 8101, 8102, 8103
LIVELIHOOD = small_plan(
    "1.建设社区养老服务中心100处。(市民政局主办,市发改委协办)",
    "2.新增公共停车泊位1万个。(市发改委主办)",
    document="宁政发〔2026〕9号",
).replace("2024年工作方案", "2026年民生实事项目")


async def add_livelihood(sessions: Sessions, *, quarterly: bool = True) -> None:
    """The year's 民生实事 beside the seed: quarterly reports, a task 2 of its own."""
    async with sessions() as session:
        await import_plan(session, text=LIVELIHOOD, directory=directory(), now=NOW)
        if quarterly:
            await session.execute(
                update(Plan).where(Plan.short_name == "民生实事").values(period_kind="quarter")
            )
        await session.commit()


async def task_id(sessions: Sessions, plan: str, number: int) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(Task.id)
            .join(Plan, Plan.id == Task.plan_id)
            .where(Plan.short_name == plan, Task.number == number)
        )
    assert found is not None
    return found


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    await add_livelihood(sessions)
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        await link(harness, NDRC, "市发改委", "发改委联络员")
        await link(harness, CIVIL, "市民政局", "民政局联络员")
        yield harness


async def test_mytasks_shows_every_plan_with_its_own_period(bot: BotHarness) -> None:
    await bot.command(bot.user(NDRC), "/mytasks")
    text = bot.api.last_text(NDRC)
    assert "共 36 项" in text  # 34 in the government work plan, 2 in 民生实事
    assert "【政府工作报告】2026年6月 · 报送截止 6月25日" in text
    labels = [label for row in bot.api.buttons(bot.api.last_message(NDRC)) for label, _ in row]
    assert labels[0] == "政府2" and all(label.startswith("政府") for label in labels[:10])
    # The last page holds 民生实事's tasks under its own (quarterly) period.
    await bot.press(bot.user(NDRC), "下一页 ▶", bot.api.last_message(NDRC))
    for _ in range(2):
        await bot.press(bot.user(NDRC), "下一页 ▶", bot.api.last_message(NDRC))
    text = bot.api.current(bot.api.last_message(NDRC))["text"]
    assert "【民生实事】2026年第2季度 · 报送截止 6月25日" in text


async def test_task_2_asks_which_plan_and_each_report_lands_on_its_task(
    bot: BotHarness, sessions: Sessions
) -> None:
    user = bot.user(NDRC)
    await bot.command(user, "/task", "2")
    choice = bot.api.last_message(NDRC)
    assert bot.api.last_text(NDRC) == "有 2 个计划都有任务 2,请选择:"
    assert [b for row in bot.api.buttons(choice) for b, _ in row] == [
        "政府工作报告 · 2",
        "民生实事 · 2",
    ]
    await bot.press(user, "民生实事 · 2", choice)
    assert "所属计划:民生实事(宁政发〔2026〕9号)" in bot.api.last_text(NDRC)
    assert "新增公共停车泊位1万个" in bot.api.last_text(NDRC)
    await bot.command(user, "/task", "民生实事", "2")
    assert "新增公共停车泊位1万个" in bot.api.last_text(NDRC)
    await bot.command(user, "/task", "政府2")
    assert "地区生产总值增长7%" in bot.api.last_text(NDRC)
    await bot.command(user, "/task", "重点项目", "2")
    assert bot.api.last_text(NDRC).startswith("没有名为“重点项目”的计划。")

    for plan, text in (("民生实事", "停车泊位已建成3000个。"), ("政府", "GDP增长7.1%。")):
        await bot.command(user, "/report", plan, "2")
        prompt = bot.api.last_message(NDRC)
        await bot.press(user, "正常推进", prompt)
        await bot.press(user, "50%", prompt)
        await skip_targets(bot, NDRC, prompt)
        await bot.text(user, text)
        await bot.press(user, "✅ 提交", bot.api.last_message(NDRC))
    async with sessions() as session:
        stored = {r.task_id: r.text for r in (await session.scalars(select(Report))).all()}
    assert stored == {
        await task_id(sessions, "民生实事", 2): "停车泊位已建成3000个。",
        await task_id(sessions, "政府工作报告", 2): "GDP增长7.1%。",
    }


async def test_a_monthly_and_a_quarterly_plan_nudge_in_one_message(
    database_url: str, sessions: Sessions
) -> None:
    await load_seed(sessions, year=2026)
    await add_livelihood(sessions)
    await liaison(sessions, NDRC, "市发改委", now=NOW)
    settings = settings_for(database_url)
    calendar = WorkCalendar()
    for day in (22, 25):
        when = datetime(2026, 6, day, 9, 30, tzinfo=TZ)
        await tick(sessions, settings=settings, calendar=calendar, now=when)
    # May's due day concerns the monthly plan alone.
    async with sessions() as session:
        nudges = (
            await session.scalars(
                select(OutboxMessage)
                .join(Contact, Contact.id == OutboxMessage.contact_id)
                .where(Contact.telegram_id == NDRC, OutboxMessage.kind == "nudge")
                .order_by(OutboxMessage.id)
            )
        ).all()
        await load_bodies(session, nudges)
    assert len(nudges) == 2  # one for the 22nd, one for the 25th: each lists both plans
    text = nudges[1].payload["text"]
    assert "【政府工作报告】" in text and "【民生实事】" in text
    assert "今天(6月25日)是本期报送截止日" in text
    labels = [
        b["text"] for row in nudges[1].payload["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "📝 民生2" in labels and "📝 政府2" in labels


async def test_a_coordinator_of_one_plan_sees_and_acts_on_it_only(
    bot: BotHarness, sessions: Sessions
) -> None:
    office = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(office, "/invite", "coordinator", "民生实事")
    code = bot.api.last_text(COORDINATOR_ID).split("start=")[1].split()[0]
    scoped = bot.user(SCOPED, "区协调人")
    await bot.command(scoped, "/start", code)
    assert "督查室协调人" in bot.api.last_text(SCOPED)

    await bot.command(scoped, "/late")
    assert "民生实事" not in bot.api.last_text(SCOPED)  # one plan in view: not named
    assert "市发改委" in bot.api.last_text(SCOPED) and "市财政局" not in bot.api.last_text(SCOPED)
    await bot.command(scoped, "/deadline", "政府", "2", "2026-09-30")
    assert bot.api.last_text(SCOPED).startswith("没有名为“政府”的计划。")
    await bot.command(scoped, "/export")
    [document] = bot.api.calls("sendDocument")
    book = openpyxl.load_workbook(io.BytesIO(document.params["document"]["bytes"]))
    assert book.sheetnames == ["1.关于测试", "全部报送记录", "单位报送率", "量化指标序时进度"]

    # A report of the other plan: its review buttons refuse them.
    await report_all(
        sessions,
        "市发改委",
        numbers=[2],
        period_start=datetime(2026, 6, 1).date(),
        period_end=datetime(2026, 6, 30).date(),
        due=datetime(2026, 6, 25).date(),
        now=NOW,
    )
    async with sessions() as session:
        report = await session.scalar(
            select(Report).where(Report.task_id == await task_id(sessions, "政府工作报告", 2))
        )
    assert report is not None
    calls = await bot.send(bot.updates.callback(scoped, f"rv:a:{report.id}"))
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert answer.params["text"] == "此功能仅限督查室协调人使用。"
    async with sessions() as session:
        assert (await session.get(Report, report.id)).review == "pending"  # type: ignore[union-attr]

    # The office (every plan) sees both, each named.
    await bot.command(office, "/late")
    texts = [m.text or "" for m in bot.api.sent_messages(COORDINATOR_ID)[-2:]]
    assert texts[0].startswith("【政府工作报告】") and texts[1].startswith("【民生实事】")


async def test_january_the_old_plan_is_still_reported_then_closes_by_itself(
    database_url: str, sessions: Sessions
) -> None:
    # The 2026 plan takes each month's report by the 10th of the following month: December's
    # is due in January 2027, when the 2027 plan is already in use.
    await load_seed(sessions, year=2026)
    async with sessions() as session:
        await session.execute(update(Plan).values(due_day=10, due_month_offset=1))
        await session.commit()
    await add_livelihood(sessions, quarterly=False)
    async with sessions() as session:
        await session.execute(update(Plan).where(Plan.short_name == "民生实事").values(year=2027))
        await session.commit()
    clock = MovableClock(datetime(2027, 1, 5, 10, 0, tzinfo=TZ))
    async with running_bot(database_url, clock) as bot:
        await link(bot, NDRC, "市发改委")
        await bot.command(bot.user(NDRC), "/mytasks")
        text = bot.api.last_text(NDRC)
        assert "【政府工作报告】2026年12月 · 报送截止 1月8日" in text  # the 10th is a Sunday
        await bot.command(bot.user(NDRC), "/report", "政府", "2")
        prompt = bot.api.last_message(NDRC)
        await bot.press(bot.user(NDRC), "已完成", prompt)
        await bot.press(bot.user(NDRC), "100%", prompt)
        await skip_targets(bot, NDRC, prompt)
        await bot.text(bot.user(NDRC), "全年目标已完成。")
        await bot.press(bot.user(NDRC), "✅ 提交", bot.api.last_message(NDRC))
    async with sessions() as session:
        report = await session.scalar(select(Report))
        assert report is not None
        from data.models import Period

        period = await session.get(Period, report.period_id)
        assert period is not None and (period.start.year, period.start.month) == (2026, 12)
    settings = settings_for(database_url)
    calendar = WorkCalendar()
    await tick(sessions, settings=settings, calendar=calendar, now=clock())
    async with sessions() as session:
        states = dict((await session.execute(select(Plan.short_name, Plan.state))).all())
    assert states == {"政府工作报告": "open", "民生实事": "open"}
    after = datetime(2027, 1, 12, 10, 0, tzinfo=TZ)  # past January 8 and its late step
    await tick(sessions, settings=settings, calendar=calendar, now=after)
    async with sessions() as session:
        states = dict((await session.execute(select(Plan.short_name, Plan.state))).all())
        told = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "system"))
        ).all()
        await load_bodies(session, told)
    assert states == {"政府工作报告": "closed", "民生实事": "open"}
    assert [m.payload["text"][:20] for m in told] == ["📁 政府工作报告(宁政发〔2021〕16号)"[:20]]

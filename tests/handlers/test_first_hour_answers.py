"""Issue 12's confusing answers, each with the exact input that misled a newcomer."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Plan, Report, ReportDraft, Task
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot, skip_targets
from tests.factories.people import liaison, report_all
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)  # a Wednesday; 44.1% of the year gone
NDRC = 6101  # a liaison of 市发改委 (leads task 2 alone)
JUNE = {
    "period_start": date(2026, 6, 1),
    "period_end": date(2026, 6, 30),
    "due": date(2026, 6, 25),
}


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    await liaison(sessions, NDRC, "市发改委", now=NOW, name="张三")
    async with running_bot(database_url, MovableClock(NOW)) as harness:
        yield harness


def coordinator(bot: BotHarness):  # type: ignore[no-untyped-def]
    return bot.user(COORDINATOR_ID, "督查室")


def labels(bot: BotHarness, message: object) -> list[str]:
    return [text for row in bot.api.buttons(message) for text, _ in row]  # type: ignore[arg-type]


# 8. /late said "52 个" and listed 41.
async def test_late_reaches_every_unit_it_counts(bot: BotHarness) -> None:
    await bot.command(coordinator(bot), "/late")
    listing = bot.api.last_message(COORDINATOR_ID)
    seen: list[str] = []
    for page in (1, 2, 3):
        text = bot.api.current(listing)["text"]
        assert text.splitlines()[0] == "📋 2026年6月未报送单位(截止 6月25日):52 个"
        assert f"第 {page}/3 页(共 52 个单位,点 ◀ ▶ 翻页)" in text
        seen += [line for line in text.splitlines() if line.startswith("• ")]
        if page < 3:
            await bot.press(coordinator(bot), "下一页 ▶", listing)
    assert len(seen) == len(set(seen)) == 52
    assert "下一页 ▶" not in labels(bot, bot.api.current(listing))
    await bot.press(coordinator(bot), "◀ 上一页", listing)
    assert "第 2/3 页" in bot.api.current(listing)["text"]


# 9. 采纳 was confirmed twice with the same sentence.
async def test_accepting_is_confirmed_once(bot: BotHarness, sessions: Sessions) -> None:
    await report_all(sessions, "市发改委", numbers=[2], now=NOW, **JUNE)
    await bot.command(coordinator(bot), "/task", "2")
    before = len(bot.api.sent_messages(COORDINATOR_ID))
    calls = await bot.press(
        coordinator(bot), "采纳 市发改委", bot.api.last_message(COORDINATOR_ID)
    )
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert "text" not in answer.params
    said = [c.text for c in bot.api.sent_messages(COORDINATOR_ID)[before:]]
    assert said == ["已采纳 市发改委 对任务 2 的报送。"]


# 10. /report 999 said the task was not the unit's; /report abc suggested /task 12.
@pytest.mark.parametrize(
    ("command", "arg", "answer"),
    [
        ("/report", "999", "没有编号为 999 的任务(本计划共 100 项)。"),
        ("/report", "abc", "“abc”不是任务编号。请发送如 /report 12 的命令。"),
        ("/report", "1", "您只能报送本单位承担的任务,任务 1 不在其中。"),
        ("/task", "999", "没有编号为 999 的任务(本计划共 100 项)。"),
        ("/task", "abc", "“abc”不是任务编号。请发送如 /task 12 的命令。"),
    ],
)
async def test_a_task_that_is_not_there_is_named_so(
    bot: BotHarness, command: str, arg: str, answer: str
) -> None:
    await bot.command(bot.user(NDRC), command, arg)
    assert bot.api.last_text(NDRC) == answer


async def the_draft(sessions: Sessions) -> ReportDraft | None:
    """The liaison's report draft as stored."""
    async with sessions() as session:
        return await session.scalar(select(ReportDraft))


async def _to_percent_step(bot: BotHarness, status: str) -> object:
    await bot.command(bot.user(NDRC), "/report", "2")
    prompt = bot.api.last_message(NDRC)
    await bot.press(bot.user(NDRC), status, prompt)
    return prompt


# 11. A lone ' was accepted as a report's text.
async def test_a_text_with_no_words_is_refused(bot: BotHarness, sessions: Sessions) -> None:
    prompt = await _to_percent_step(bot, "正常推进")
    await bot.press(bot.user(NDRC), "50%", prompt)
    await skip_targets(bot, NDRC, prompt)
    await bot.text(bot.user(NDRC), "'")
    assert bot.api.last_text(NDRC) == (
        "“'”里没有文字或数字,无法作为说明。请用一句话写明本期做了什么、进展如何。"
    )
    draft = await the_draft(sessions)
    assert draft is not None and draft.step == "text" and draft.text is None
    await bot.text(bot.user(NDRC), "项目推进顺利")
    assert bot.api.last_text(NDRC).startswith("请确认报送内容")


# 11. 已完成 with 0 % was accepted without a question.
async def test_done_at_zero_percent_is_asked_about(bot: BotHarness, sessions: Sessions) -> None:
    prompt = await _to_percent_step(bot, "已完成")
    await bot.press(bot.user(NDRC), "0%", prompt)
    question = bot.api.current(prompt)
    assert question["text"] == (
        "📝 任务 2:状态选的是“已完成”,进度却是 0%。是已全部完成(100%),还是进度确实为 0%?"
        "请点按钮确认,或重新输入进度。"
    )
    assert labels(bot, question) == ["✔️ 已全部完成(100%)", "进度确为 0%", "✖️ 取消"]
    draft = await the_draft(sessions)
    assert draft is not None and (draft.step, draft.percent) == ("percent", None)
    await bot.press(bot.user(NDRC), "进度确为 0%", prompt)  # kept, as the person confirms
    draft = await the_draft(sessions)
    assert draft is not None and draft.percent == 0 and draft.step != "percent"


async def test_done_with_a_typed_low_percent_is_asked_about_too(
    bot: BotHarness, sessions: Sessions
) -> None:
    await _to_percent_step(bot, "已完成")
    await bot.text(bot.user(NDRC), "0")
    asked = bot.api.last_message(NDRC)
    assert "进度却是 0%" in (asked.text or "")
    await bot.press(bot.user(NDRC), "✔️ 已全部完成(100%)", asked)
    draft = await the_draft(sessions)
    assert draft is not None and draft.percent == 100


# 13. /assign with 、 failed, 江宁区 was not known, and /task and the ledger hid the members.
async def test_assign_takes_lists_as_plans_write_them_and_shows_the_members(
    bot: BotHarness,
) -> None:
    await bot.command(coordinator(bot), "/assign", "12", "江宁区政府、浦口区政府")
    assert bot.api.last_text(COORDINATOR_ID) == "已为任务 12 指定:江宁区政府、浦口区政府"
    await bot.command(coordinator(bot), "/assign", "12", "江宁区;栖霞区政府")
    assert bot.api.last_text(COORDINATOR_ID).splitlines() == [
        "已为任务 12 指定:栖霞区政府",
        "已指定过:江宁区政府",
    ]
    await bot.command(coordinator(bot), "/task", "12")
    shown = "相关区政府(浦口区政府、栖霞区政府、江宁区政府)"
    assert shown in bot.api.last_text(COORDINATOR_ID)
    await bot.command(coordinator(bot), "/export")
    [call] = bot.api.calls("sendDocument")
    book = openpyxl.load_workbook(io.BytesIO(call.params["document"]["bytes"]))
    rows = book["2.关于加快打造高质量发展区域增长极"].iter_rows(min_row=2, values_only=True)
    task12 = next(row for row in rows if row[0] == 12)
    assert str(task12[3]).endswith(shown)


# 14. /deadline took a past date without a word; /period 20 21 silently used 20.
async def test_a_past_deadline_is_refused(bot: BotHarness, sessions: Sessions) -> None:
    await bot.command(coordinator(bot), "/deadline", "12", "2026-01-05")
    assert bot.api.last_text(COORDINATOR_ID) == (
        "任务 12 的完成时限不能设为 2026年1月5日:这一天已经过去(今天是 2026年6月10日)。"
        "请写今天或以后的日期,如 /deadline 12 2026-12-31;写“-”恢复为年底。"
    )
    await bot.command(coordinator(bot), "/deadline", "12", "6月10日")  # today is fine
    assert bot.api.last_text(COORDINATOR_ID) == "任务 12 的完成时限已设为 2026年6月10日。"
    async with sessions() as session:
        task = await session.scalar(select(Task).where(Task.number == 12))
    assert task is not None and task.deadline == date(2026, 6, 10)


async def test_period_refuses_extra_words(bot: BotHarness, sessions: Sessions) -> None:
    await bot.command(coordinator(bot), "/period", "20", "21")
    assert bot.api.last_text(COORDINATOR_ID) == (
        "“20 21”多了参数:/period 只接受一个截止日,如 /period 20"
        "(多个计划时写 /period 民生实事 20)。"
    )
    async with sessions() as session:
        plan = await session.scalar(select(Plan))
    assert plan is not None and plan.due_day == 25


# 16. A coordinator's /mytasks said "您的单位目前没有承担任务。".
async def test_a_coordinator_without_a_unit_is_pointed_to_their_commands(
    bot: BotHarness,
) -> None:
    await bot.command(coordinator(bot), "/mytasks")
    text = bot.api.last_text(COORDINATOR_ID)
    assert text.startswith("您是督查室协调人,没有本单位的任务。常用命令:")
    assert "/status" in text and "/late" in text and "/lights" in text
    assert "您的单位目前没有承担任务" not in text


# 15. "正常推进 50 %" showed 🔴 and nothing explained why.
async def test_lights_are_explained_with_the_thresholds_in_force(bot: BotHarness) -> None:
    await bot.command(bot.user(NDRC), "/lights")
    text = bot.api.last_text(NDRC)
    assert "报送进度落后序时进度超过 30 个百分点" in text
    assert "尚未报送且距截止日不足 3 个工作日" in text
    assert "落后序时进度 10–30 个百分点" in text
    assert "落后 10–30 个百分点为 🟡,超过 30 个百分点为 🔴" in text  # the targets rule
    assert text.endswith(
        "今天(2026年6月10日)序时进度为 44.1%:此时报“正常推进 50%”不落后,灯号为 🟢。"
    )
    await bot.command(bot.user(NDRC), "/mytasks")
    assert "灯号说明 /lights" in bot.api.last_text(NDRC)
    await bot.command(coordinator(bot), "/status")
    texts = [c.text or "" for c in bot.api.sent_messages(COORDINATOR_ID)]
    assert any("各板块灯号(灯号说明 /lights)" in text for text in texts)


async def test_task_says_which_rule_made_it_red(database_url: str, sessions: Sessions) -> None:
    november = datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI)  # 86.0% of the year gone
    await load_seed(sessions, year=2026)
    await liaison(sessions, NDRC, "市发改委", now=november)
    period = {"period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
    await report_all(
        sessions, "市发改委", numbers=[2], now=november, due=date(2026, 11, 25), **period
    )
    async with sessions() as session:
        percents = (await session.scalars(select(Report.percent))).all()
    assert set(percents) == {50}
    async with running_bot(database_url, MovableClock(november)) as bot:
        await bot.command(bot.user(NDRC), "/task", "2")
        lines = bot.api.last_text(NDRC).splitlines()
        assert lines[0].startswith("🔴 任务 2")
        assert lines[1] == (
            "🔴 原因:市发改委 报送进度 50%,序时进度 86.0%,落后 36.0 个百分点"
            "(超过 30 个百分点为红灯)。(灯号说明 /lights)"
        )
        await bot.command(bot.user(NDRC), "/task", "6")  # not reported, due day far: white
        assert bot.api.last_text(NDRC).splitlines()[1] == "灯号说明:/lights"

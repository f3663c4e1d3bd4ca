"""Targets in the report conversation and in the lights: a lead unit gives each target's value
so far this year; /task, /mytasks and /status judge it against the time elapsed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Report, TargetValue, Task, TaskTarget
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.linking import link
from tests.factories.plans import load_seed
from tests.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
JUNE_1 = datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)
HRSS = 4101  # a liaison of 市人社局: leads task 80, 城镇新增就业26万人
NDRC = 4102  # a liaison of 市发改委: leads task 2, two growth rates


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(JUNE_1)


@pytest.fixture
async def bot(
    database_url: str, sessions: Sessions, clock: MovableClock
) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, clock) as harness:
        await link(harness, HRSS, "市人社局", "人社联络员")
        await link(harness, NDRC, "市发改委", "发改联络员")
        yield harness


async def stored_values(sessions: Sessions) -> list[tuple[int, bool, str, str]]:
    """(report id, current, metric, value) of every stored target value, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(Report.id, Report.is_current, TaskTarget.metric, TargetValue.value)
            .join(TargetValue, TargetValue.report_id == Report.id)
            .join(TaskTarget, TaskTarget.id == TargetValue.target_id)
            .order_by(Report.id, TaskTarget.position)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_report_with_target_values_then_edit(bot: BotHarness, sessions: Sessions) -> None:
    user = bot.user(HRSS)
    await bot.command(user, "/report", "80")
    prompt = bot.api.last_message(HRSS)
    await bot.press(user, "正常推进", prompt)
    await bot.press(user, "25%", prompt)
    asked = bot.api.current(prompt)["text"]
    assert "📝 任务 80 · 正常推进 · 25% · 量化指标 1/1" in asked
    assert "城镇新增就业,目标 ≥26万人" in asked and "今年以来累计完成多少" in asked

    # Not a number, another unit: said plainly, the step stays.
    await bot.text(user, "很多")
    assert bot.api.last_text(HRSS).startswith("“很多”不是数字。请按 万人 输入“城镇新增就业”的数值")
    await bot.text(user, "12个")
    assert bot.api.last_text(HRSS).startswith("单位不符:“城镇新增就业”以 万人 计,您填写的是 个。")
    # Persons in 人 are read in 万人, and said back.
    await bot.text(user, "91,000人")
    answered = bot.api.last_text(HRSS)
    assert answered.startswith("✔️ 已记录:城镇新增就业 9.1万人\n📝 任务 80 · 正常推进 · 25%")
    assert "第 3 步(共 3 步)" in answered
    await bot.text(user, "1至5月新增就业9.1万人。")
    shown = bot.api.last_text(HRSS)
    assert "指标:城镇新增就业 9.1万人 / ≥26万人" in shown
    await bot.press(user, "✅ 提交", bot.api.last_message(HRSS))
    [(first_id, _current, metric, value)] = await stored_values(sessions)
    assert (metric, value) == ("城镇新增就业", "9.1")

    # Editing asks again with the value as the default; 跳过 keeps it in the new version.
    await bot.command(user, "/report", "80")
    prompt = bot.api.last_message(HRSS)
    await bot.press(user, "正常推进", prompt)
    await bot.press(user, "50%", prompt)
    assert "本次已填 9.1万人,跳过则保留。" in bot.api.current(prompt)["text"]
    current = bot.api.buttons(bot.api.current(prompt))
    [skip_data] = [data for row in current for text, data in row if text == "跳过"]
    await bot.press(user, "跳过", prompt)
    await bot.press(user, "沿用上次内容", prompt)
    await bot.press(user, "✅ 提交", prompt)
    values = await stored_values(sessions)
    assert [(v[1], v[3]) for v in values] == [(False, "9.1"), (True, "9.1")]
    assert values[0][0] == first_id  # the first version keeps its own value
    # The old 跳过 on a finished conversation is stale.
    calls = await bot.send(bot.updates.callback(user, skip_data, prompt))
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert (
        answer.params["show_alert"]
        and answer.params["text"] == "这一步已经结束,请按最新的消息操作。"
    )

    # A reply to the task's details keeps the value too.
    await bot.command(user, "/task", "80")
    details = bot.api.last_message(HRSS)
    text = bot.api.last_text(HRSS)
    assert "量化指标\n🟢 城镇新增就业 9.1万人 / ≥26万人 · 按序时:完成35.0%,序时41.6%" in text
    await bot.text(user, "补充:新增就业9.3万人。", reply_to=details)
    assert [(v[1], v[3]) for v in await stored_values(sessions)][-1] == (True, "9.1")


async def test_targets_colour_the_light_as_the_year_goes_on(
    bot: BotHarness, clock: MovableClock
) -> None:
    user = bot.user(HRSS)
    await bot.command(user, "/report", "80")
    prompt = bot.api.last_message(HRSS)
    await bot.press(user, "正常推进", prompt)
    await bot.press(user, "50%", prompt)
    await bot.text(user, "9.1")  # 35% of 26万人
    await bot.text(user, "按计划推进")
    await bot.press(user, "✅ 提交", bot.api.last_message(HRSS))
    # 1 June: 41.6% of the year gone, 6.6 points behind: green.
    await bot.command(user, "/mytasks")
    listing = bot.api.last_text(HRSS)
    assert "🟢 80." in listing
    assert "🎯 🟢 城镇新增就业 9.1万人 / ≥26万人 · 按序时:完成35.0%,序时41.6%" in listing

    # 30 June: 49.6% gone, 14.6 points behind: yellow, though the report says on track.
    clock.advance(days=29)
    await bot.command(user, "/task", "80")
    assert bot.api.last_text(HRSS).startswith("🟡 任务 80")
    assert "🟡 城镇新增就业 9.1万人 / ≥26万人 · 按序时:完成35.0%,序时49.6%" in (
        bot.api.last_text(HRSS)
    )
    office = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(office, "/status")
    status = next(m.text for m in reversed(bot.api.sent_messages(COORDINATOR_ID)) if m.text)
    assert "量化指标:共 114 项,已填报 1 项" in status
    assert "滞后于序时或目标:1 项\n任务80 🟡 城镇新增就业 9.1万人" in status

    # A rate: GDP growth 3.5% against at least 7% is half of it: red.
    ndrc = bot.user(NDRC)
    await bot.command(ndrc, "/report", "2")
    prompt = bot.api.last_message(NDRC)
    await bot.press(ndrc, "正常推进", prompt)
    await bot.press(ndrc, "50%", prompt)
    await bot.text(ndrc, "3.5%")
    await bot.text(ndrc, "7.9")
    await bot.text(ndrc, "增速放缓")
    await bot.press(ndrc, "✅ 提交", bot.api.last_message(NDRC))
    await bot.command(ndrc, "/task", "2")
    text = bot.api.last_text(NDRC)
    assert text.startswith("🔴 任务 2")
    assert "🔴 地区生产总值增长 3.5% / ≥7% · 对目标:达50.0%" in text
    assert "🟢 固定资产投资增长 7.9% / ≥8% · 对目标:达98.8%" in text


async def test_coordinator_reviews_targets_and_reimport_keeps_them(
    bot: BotHarness, sessions: Sessions
) -> None:
    office = bot.user(COORDINATOR_ID, "督查室")
    await bot.command(office, "/targets", "999")
    assert bot.api.last_text(COORDINATOR_ID) == "没有编号为 999 的任务(本计划共 100 项)。"
    await bot.command(office, "/targets", "80")
    view = bot.api.last_message(COORDINATOR_ID)
    text = bot.api.last_text(COORDINATOR_ID)
    assert "任务 80 的量化指标(自动识别,待确认)" in text
    assert "1. 城镇新增就业 ≥26万人(累计,按序时)" in text
    await bot.press(office, "1 ⇄类型", view)
    assert "1. 城镇新增就业 ≥26万人(比率/水平,对目标)" in bot.api.current(view)["text"]
    await bot.command(office, "/targets", "80", "add", "登记失业率控制在3%以内")
    assert "2. 登记失业率 ≤3%(比率/水平,对目标)" in bot.api.last_text(COORDINATOR_ID)
    await bot.command(office, "/targets", "80", "set", "1", "城镇新增就业28万人以上")
    text = bot.api.last_text(COORDINATOR_ID)
    assert "1. 城镇新增就业 ≥28万人(累计,按序时)" in text and "(已确认)" in text
    await bot.command(office, "/targets", "80", "add", "很多很多")
    assert "未能从“很多很多”识别出一个量化指标" in bot.api.last_text(COORDINATOR_ID)
    await bot.command(office, "/targets", "80", "set", "9", "城镇新增就业28万人")
    assert bot.api.last_text(COORDINATOR_ID) == "任务 80 没有第 9 个量化指标。"
    view = bot.api.last_message(COORDINATOR_ID)
    # Remove the first; its old buttons are stale afterwards.
    await bot.command(office, "/targets", "80")
    view = bot.api.last_message(COORDINATOR_ID)
    old = bot.api.buttons(bot.api.current(view))
    await bot.press(office, "2 🗑", view)
    assert "登记失业率" not in bot.api.current(view)["text"]
    [removed] = [data for row in old for label, data in row if label == "2 🗑"]
    calls = await bot.send(bot.updates.callback(office, removed, view))
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["show_alert"]
    # A liaison may not.
    await bot.command(bot.user(HRSS), "/targets", "80")
    assert "督查室" in bot.api.last_text(HRSS)

    # Re-importing the plan leaves the reviewed targets as the coordinator set them.
    await load_seed(sessions, year=2026)
    async with sessions() as session:
        rows = await session.execute(
            select(TaskTarget.metric, TaskTarget.value, TaskTarget.retired)
            .join(Task, Task.id == TaskTarget.task_id)
            .where(Task.number == 80)
            .order_by(TaskTarget.id)
        )
        assert [tuple(r) for r in rows.all()] == [
            ("城镇新增就业", "26", True),
            ("登记失业率", "3", True),
            ("城镇新增就业", "28", False),
        ]

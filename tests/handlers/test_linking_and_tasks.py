"""Scenarios for issue 3: invite links, /mytasks, task details and /task, as people use them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Contact, Invite
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, running_bot
from tests.factories.linking import invite_code, link
from tests.factories.plans import load_seed
from tests.harness import BotHarness

# A Wednesday in June 2026; the Nanjing plan is rehearsed in 2026 (duban import --year 2026).
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
LIAISON_A = 1001
DISTRICT = 1002
STRANGER = 1003
ENGLISH = 1004


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
async def bot(
    database_url: str, sessions: async_sessionmaker[AsyncSession], clock: MovableClock
) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    async with running_bot(database_url, clock) as harness:
        yield harness


def task_buttons(bot: BotHarness, chat_id: int) -> list[str]:
    rows = bot.api.buttons(bot.api.last_message(chat_id))
    return [text for row in rows for text, data in row if data and data.startswith("tk:")]


async def test_liaison_links_and_pages_through_tasks(bot: BotHarness) -> None:
    code = await invite_code(bot, "市发改委")
    assert len(code) >= 22  # >= 128 random bits, URL-safe
    user = bot.user(LIAISON_A, "张三")
    await bot.command(user, "/start", code)
    assert "绑定成功" in bot.api.last_text(LIAISON_A)
    assert "市发改委" in bot.api.last_text(LIAISON_A)

    await bot.command(user, "/mytasks")
    first = bot.api.last_message(LIAISON_A)
    text = bot.api.last_text(LIAISON_A)
    assert "市发改委 的任务:共 34 项(主办 23 项,协办 11 项)" in text
    assert "本期:2026年6月 · 报送截止 6月25日" in text
    assert "第 1/4 页" in text
    lead_numbers = [2, 5, 6, 9, 10, 11, 12, 13, 15, 28]  # from the document
    assert task_buttons(bot, LIAISON_A) == [str(n) for n in lead_numbers]
    assert text.count("主办 · 截止") == 10 and "协办 · 截止" not in text
    # Not reported, due day 11 working days away: waiting, not late.
    assert "⚪ 2. 地区生产总值增长7%,固定资产投资增长8%" in text

    await bot.press(user, "下一页 ▶", first)
    page2 = bot.api.current(first)
    assert "第 2/4 页" in page2["text"]
    await bot.press(user, "下一页 ▶", first)
    page3 = bot.api.current(first)["text"]
    # The last lead tasks, then the first co tasks: lead role first.
    roles = re.findall(r"(主办|协办) · 截止", page3)
    assert (
        roles == sorted(roles, key=lambda r: r != "主办") and "协办" in roles and "主办" in roles
    )

    await bot.press(user, "◀ 上一页", first)
    assert "第 2/4 页" in bot.api.current(first)["text"]

    await bot.command(user, "/mytasks")
    await bot.press(user, "2", bot.api.last_message(LIAISON_A))
    details = bot.api.last_text(LIAISON_A)
    assert "任务 2" in details and "地区生产总值增长7%,固定资产投资增长8%。" in details
    assert "主办单位:市发改委" in details and "本单位角色:主办" in details
    assert (
        "量化指标\n⚪ 地区生产总值增长 未填报 / ≥7% · 对目标\n⚪ 固定资产投资增长 未填报"
        in details
    )
    assert "完成时限:2026年12月31日" in details and "暂无报送记录。" in details


async def test_task_command_shows_units_by_role(bot: BotHarness) -> None:
    await link(bot, LIAISON_A, "市发改委")
    await bot.command(bot.user(LIAISON_A), "/task", "40")
    text = bot.api.last_text(LIAISON_A)
    assert "主办单位:市政府国资委、市财政局、市委宣传部" in text
    assert "协办单位:各区政府、各园区管委会、各市属国有企业" in text
    # Not 市发改委's task: the plan text is public to linked users, the history is not.
    assert "报送记录仅对责任单位和督查室可见。" in text

    await bot.command(bot.user(LIAISON_A), "/task")
    assert bot.api.last_text(LIAISON_A) == "请在命令后加任务编号,例如:/task 12"
    await bot.command(bot.user(LIAISON_A), "/task", "abc")
    assert "“abc”不是任务编号" in bot.api.last_text(LIAISON_A)
    await bot.command(bot.user(LIAISON_A), "/task", "101")
    assert bot.api.last_text(LIAISON_A) == "没有编号为 101 的任务(本计划共 100 项)。"


async def test_district_sees_collective_tasks_in_the_collectives_role(bot: BotHarness) -> None:
    await link(bot, DISTRICT, "江宁区政府")
    user = bot.user(DISTRICT)
    await bot.command(user, "/mytasks")
    text = bot.api.last_text(DISTRICT)
    # 各区政府 co-works on 26 tasks; the document names 江宁区政府 itself on tasks 9 and 15.
    assert "江宁区政府 的任务:共 28 项(主办 0 项,协办 28 项)" in text
    await bot.command(user, "/task", "40")
    assert "本单位角色:协办" in bot.api.last_text(DISTRICT)
    # Pages 1..3 hold task 40 somewhere; find it through the buttons.
    seen: list[str] = []
    await bot.command(user, "/mytasks")
    message = bot.api.last_message(DISTRICT)
    for _ in range(3):
        seen += [
            t
            for row in bot.api.buttons(bot.api.current(message))
            for t, d in row
            if d and d.startswith("tk:")
        ]
        if "下一页 ▶" not in str(bot.api.buttons(bot.api.current(message))):
            break
        await bot.press(user, "下一页 ▶", message)
    assert "40" in seen


async def test_codes_are_single_use_and_expire(
    bot: BotHarness, clock: MovableClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = await invite_code(bot, "市发改委")
    await bot.command(bot.user(LIAISON_A), "/start", code)
    await bot.command(bot.user(LIAISON_A), "/start", code)
    assert bot.api.last_text(LIAISON_A) == "您已经是 市发改委 的联络员,无需重复绑定。"
    other = bot.user(STRANGER, "李四")
    await bot.command(other, "/start", code)
    assert "已被使用过" in bot.api.last_text(STRANGER)

    late = await invite_code(bot, "市财政局")
    clock.advance(days=7, seconds=1)
    await bot.command(other, "/start", late)
    assert "已过期" in bot.api.last_text(STRANGER)
    async with sessions() as session:
        stored = (await session.scalars(select(Invite.code_hash))).all()
    assert code not in stored and all(len(h) == 64 for h in stored)  # only hashes are kept


async def test_strangers_see_nothing_and_guessing_is_throttled(bot: BotHarness) -> None:
    stranger = bot.user(STRANGER, "路人")
    for command in ("/mytasks", "/task"):
        await bot.command(stranger, command, "2")
        assert "您还没有绑定任何单位" in bot.api.last_text(STRANGER)
    await bot.command(stranger, "/start")
    assert "请向市政府督查室索取本单位的邀请链接" in bot.api.last_text(STRANGER)
    await bot.command(stranger, "/invite", "市发改委")
    assert bot.api.last_text(STRANGER) == "此功能仅限督查室协调人使用。"

    for attempt in range(5):
        await bot.command(stranger, "/start", f"wrong-code-{attempt}")
        assert "邀请码无效" in bot.api.last_text(STRANGER)
    good = await invite_code(bot, "市发改委")
    await bot.command(stranger, "/start", good)
    assert "尝试次数过多" in bot.api.last_text(STRANGER)
    await bot.command(stranger, "/mytasks")
    assert "您还没有绑定任何单位" in bot.api.last_text(STRANGER)


async def test_english_user_gets_english(bot: BotHarness) -> None:
    code = await invite_code(bot, "市发改委")
    user = bot.user(ENGLISH, "Alice", language_code="en")
    await bot.command(user, "/start", code)
    assert "Linked! You are now a liaison of 市发改委" in bot.api.last_text(ENGLISH)
    await bot.command(user, "/mytasks")
    text = bot.api.last_text(ENGLISH)
    assert "Tasks of 市发改委: 34 (23 as lead, 11 as co-unit)" in text
    assert "Period: June 2026 · report due 25 Jun" in text


async def test_lang_switch_is_remembered(
    bot: BotHarness, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await link(bot, LIAISON_A, "市发改委")
    user = bot.user(LIAISON_A)
    await bot.command(user, "/lang")
    await bot.press(user, "English", bot.api.last_message(LIAISON_A))
    assert bot.api.last_text(LIAISON_A) == "Language set to English."
    await bot.command(user, "/whoami")
    assert bot.api.last_text(LIAISON_A) == "You are a liaison of: 市发改委"
    async with sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.telegram_id == LIAISON_A))
        assert contact is not None and contact.language == "en"


async def test_one_person_two_units_and_help(bot: BotHarness) -> None:
    await link(bot, LIAISON_A, "市发改委")
    await link(bot, LIAISON_A, "市财政局")
    await bot.command(bot.user(LIAISON_A), "/whoami")
    assert bot.api.last_text(LIAISON_A) == "您是以下单位的联络员:市发改委、市财政局"
    await bot.command(bot.user(LIAISON_A), "/help")
    assert "/mytasks" in bot.api.last_text(LIAISON_A)
    assert "/invite" not in bot.api.last_text(LIAISON_A)
    await bot.command(bot.user(COORDINATOR_ID), "/help")
    assert "/invite" in bot.api.last_text(COORDINATOR_ID)


async def test_unknown_commands_and_stale_buttons_are_answered(bot: BotHarness) -> None:
    await link(bot, LIAISON_A, "市发改委")
    user = bot.user(LIAISON_A)
    await bot.command(user, "/frobnicate")
    assert "无法识别的命令" in bot.api.last_text(LIAISON_A)
    await bot.command(user, "/mytasks")
    calls = await bot.send(
        bot.updates.callback(user, "zz:old:button", bot.api.last_message(LIAISON_A))
    )
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answers and answers[0].params.get("text") == "该按钮已失效,请重新发送命令。"


async def test_coordinator_invites_refuse_collectives_and_unknown_units(bot: BotHarness) -> None:
    coordinator = bot.user(COORDINATOR_ID)
    await bot.command(coordinator, "/invite", "各区政府")
    assert "是单位集合" in bot.api.last_text(COORDINATOR_ID)
    await bot.command(coordinator, "/invite", "<b>火星办</b>")
    assert "找不到单位“<b>火星办</b>”" in bot.api.last_text(COORDINATOR_ID)
    await bot.command(coordinator, "/invite", "coordinator")
    text = bot.api.last_text(COORDINATOR_ID)
    assert "督查室协调人" in text and "start=" in text


def chat_menu(bot: BotHarness, chat_id: int, language_code: str = "") -> dict[str, str]:
    """The commands last set for one chat (and client language): name -> description."""
    calls = [
        c
        for c in bot.api.calls("setMyCommands")
        if c.params.get("scope") == {"type": "chat", "chat_id": chat_id}
        and c.params.get("language_code", "") == language_code
    ]
    return {c["command"]: c["description"] for c in calls[-1].params["commands"]} if calls else {}


async def test_coordinators_get_the_coordinator_menu_in_their_language(
    bot: BotHarness, database_url: str, clock: MovableClock
) -> None:
    code = await invite_code(bot, "coordinator")
    await bot.command(bot.user(1005, "督查室李"), "/start", code)
    assert "督查室" in bot.api.last_text(1005)
    menu = chat_menu(bot, 1005)
    assert list(menu)[:6] == ["mytasks", "report", "status", "late", "broadcast", "export"]
    assert menu["status"] == "本期报送情况与图表(督查室)"
    assert {"invite", "deadline", "assign", "period"} <= menu.keys()
    # No language chosen yet: an English client sees it in English, as everyone's menu.
    assert chat_menu(bot, 1005, "en")["status"].startswith("This period's reporting")
    # The configured coordinator gets it on /help; a liaison keeps everyone's menu.
    await bot.command(bot.user(COORDINATOR_ID, "督查室王"), "/help")
    assert "broadcast" in chat_menu(bot, COORDINATOR_ID)
    await link(bot, LIAISON_A, "市发改委")
    await bot.command(bot.user(LIAISON_A), "/help")
    assert chat_menu(bot, LIAISON_A) == {}
    # Changing language changes the coordinator's menu too.
    await bot.command(bot.user(1005), "/lang")
    await bot.press(bot.user(1005), "English", bot.api.last_message(1005))
    assert chat_menu(bot, 1005)["status"] == "This period's reporting, with a chart (coordinators)"
    assert chat_menu(bot, 1005, "en") == chat_menu(bot, 1005)

    # Started as `duban run` starts: everyone's menu, and each coordinator's in their language.
    async with running_bot(database_url, clock, post_init=True) as restarted:
        assert restarted.api.my_commands() == restarted.api.my_commands(language_code="zh")
        assert restarted.api.my_commands(language_code="en") == [
            "mytasks",
            "report",
            "task",
            "lights",
            "cancel",
            "whoami",
            "help",
            "lang",
            "start",
        ]
        assert chat_menu(restarted, 1005)["late"] == "Late units and chasing (coordinators)"
        assert chat_menu(restarted, 1005, "en")["late"] == "Late units and chasing (coordinators)"
        assert chat_menu(restarted, COORDINATOR_ID)["late"] == "未报送单位与催办(督查室)"
        assert chat_menu(restarted, COORDINATOR_ID, "en")["late"].startswith("Late units")
        assert chat_menu(restarted, LIAISON_A) == {}

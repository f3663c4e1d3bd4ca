"""The terminal console: what someone trying the bot in a terminal types and reads back."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.cli.console import (
    CONSOLE_TOKEN,
    ConsoleError,
    console_api,
)
from bot.cli.emulator import html_to_text
from bot.cli.screen import Screen, button_key
from bot.plan.directory import DEFAULT_PLAN
from bot.settings import Settings
from data.models import Report, Task
from tests.factories.console import NOW, Press, after, buttons, console


async def test_liaison_sees_the_task_list_with_numbered_buttons(settings: Settings) -> None:
    out = await console(settings, "/mytasks", as_unit="市发改委")
    assert out.startswith("督办控制台 · 您是市发改委的联络员。发送 /help 查看命令")
    assert "市发改委 的任务:共 34 项(主办 23 项,协办 11 项)" in out
    assert "本期:2026年6月 · 报送截止 6月25日" in out
    assert "<b>" not in out and "&" not in out  # HTML rendered as plain text
    assert "  [a] 2   [b] 5   [c] 6   [d] 9   [e] 10" in out.splitlines()
    assert "  [f] 11   [g] 12   [h] 13   [i] 15   [j] 28" in out.splitlines()
    assert "下一页 ▶" in buttons(out) and "◀ 上一页" not in buttons(out)
    assert "> " not in out  # no prompt when the input is a script


async def test_pressing_next_edits_the_list_to_page_two(settings: Settings) -> None:
    out = await console(settings, "/mytasks", Press("下一页 ▶"), as_unit="市发改委")
    page_two = after(out, "(更新)")
    assert "第 2/4 页" in page_two
    assert "29. 大力发展江北新区" in page_two
    assert {"29", "70", "◀ 上一页", "下一页 ▶"} <= set(buttons(page_two))


async def test_pressing_a_task_button_shows_its_details(settings: Settings) -> None:
    out = await console(settings, "/mytasks", "a", as_unit="市发改委")
    details = after(out, "任务 2(")
    assert "地区生产总值增长7%" in details
    assert "本单位角色:主办" in details
    assert "↩ 返回列表" in buttons(details)


async def test_back_to_list_from_details(settings: Settings) -> None:
    out = await console(
        settings,
        "/mytasks",
        Press("下一页 ▶"),
        Press("29"),
        Press("↩ 返回列表"),
        as_unit="市发改委",
    )
    assert "任务 29(" in out
    back = after(out, "(更新)")
    assert "第 2/4 页" in back  # the list comes back on the page it was opened from


async def test_task_command_shows_the_units_of_any_task(settings: Settings) -> None:
    out = await console(settings, "/task 40", as_unit="市发改委")
    assert "主办单位:市政府国资委、市财政局、市委宣传部" in out
    assert "报送记录仅对责任单位和督查室可见。" in out


async def test_english_console(settings: Settings) -> None:
    out = await console(settings, "/mytasks", "/nonsense", as_unit="市发改委", lang="en")
    assert out.startswith("Duban console · you are the liaison of 市发改委. Type /help")
    assert "Tasks of 市发改委: 34 (23 as lead, 11 as co-unit)" in out
    assert "Next ▶" in buttons(out)
    assert "Unknown command. Send /help to see what you can do." in out


async def test_lang_button_switches_the_bot_and_the_console(settings: Settings) -> None:
    out = await console(settings, "/lang", Press("English"), "a", as_unit="市发改委")
    assert "  [a] 中文   [b] English" in out.splitlines()
    assert "Language set to English." in after(out, "(更新)")
    # The edit took the keyboard away, and the console's own words are English now.
    assert out.rstrip().endswith("(there are no buttons to press)\n\nBye.")


async def test_each_session_starts_in_the_language_asked_for(settings: Settings) -> None:
    await console(settings, "/lang", Press("English"), as_unit="市发改委")
    out = await console(settings, "/whoami", as_unit="市发改委")
    assert "您是以下单位的联络员:市发改委" in out


async def test_coordinator_by_default(settings: Settings) -> None:
    out = await console(settings, "/whoami", "/help")
    assert out.startswith("督办控制台 · 您是督查室协调人。")
    assert out.count("您是督查室协调人。") == 2  # the banner, then /whoami
    assert "督查室命令" in out
    assert "/invite" in out


async def test_coordinator_invite_link_names_the_console_bot(settings: Settings) -> None:
    out = await console(settings, "/invite 市财政局", coordinator=True)
    assert re.search(r"https://t\.me/duban_console_bot\?start=[A-Za-z0-9_-]+", out), out


async def test_buttons_that_are_not_there(settings: Settings) -> None:
    out = await console(settings, "c", "/mytasks", "z", as_unit="市发改委")
    assert after(out, "机器人发来的图片").splitlines()[2] == "(当前没有可按的按钮)"
    assert "(没有按钮 z,可选 a–k;要把 z 作为文字发送,请输入 'z)" in out


async def test_a_quoted_letter_is_sent_as_text_not_pressed(settings: Settings) -> None:
    out = await console(settings, "/lang", "'b", as_unit="市发改委")
    assert "  [a] 中文   [b] English" in out.splitlines()
    assert "Language set to English." not in out and "(更新)" not in out


async def test_quit_ends_the_session(settings: Settings) -> None:
    out = await console(settings, "/whoami", "  quit ", "/help", as_unit="市发改委")
    assert "您是以下单位的联络员:市发改委" in out
    assert "/mytasks" not in out  # /help was never read


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("市不存在局", "unknown unit '市不存在局'"),
        ("各区政府", "各区政府 is a collective"),
    ],
)
async def test_units_the_console_cannot_act_as(
    settings: Settings, name: str, message: str
) -> None:
    with pytest.raises(ConsoleError, match=message):
        await console(settings, "/mytasks", as_unit=name)


async def test_console_request_answers_the_bot_api_and_shows_it() -> None:
    out = io.StringIO()
    screen = Screen(out=out, lang="en", user_chat_id=7)
    api = console_api(screen, clock=lambda: NOW, username="duban_console_bot")
    api.register_chat({"id": 7, "type": "private", "first_name": "Console user"})
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("A", callback_data="a"),
                InlineKeyboardButton("B", url="https://x.org"),
            ]
        ]
    )
    async with Bot(CONSOLE_TOKEN, request=api, get_updates_request=api) as bot:
        assert bot.username == "duban_console_bot"
        sent = await bot.send_message(
            7, "<b>hi</b> &amp; bye", parse_mode="HTML", reply_markup=keyboard
        )
        assert (sent.text, sent.date.timestamp()) == ("hi & bye", NOW.timestamp())
        assert [b.text for b in screen.buttons] == ["A", "B"]
        edited = await bot.edit_message_text(
            "<i>changed</i>", 7, sent.message_id, parse_mode="HTML"
        )
        assert isinstance(edited, Message) and edited.text == "changed"
        assert screen.buttons == []  # an edit without a keyboard removes it
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("<i>changed</i>", 7, sent.message_id, parse_mode="HTML")
        assert await bot.answer_callback_query("q1", text="Saved", show_alert=True)
        document = await bot.send_document(7, b"x" * 2048, filename="export.xlsx", caption="Plan")
        assert document.document is not None and document.document.file_name == "export.xlsx"
        await bot.send_message(42, "Reminder for someone else\nsecond line")
        assert await bot.set_my_commands([("help", "Help")])
        assert await bot.delete_message(7, sent.message_id)
    assert out.getvalue().splitlines() == [
        "hi & bye",
        "  [a] A   [b] B",
        "",
        "(edited)",
        "changed",
        "",
        "  (alert) Saved",
        "[file] export.xlsx (2.0 KB)",
        "Plan",
        "",
        "(to 42) Reminder for someone else second line",
        "",
    ]
    assert api.answered_queries == {"q1"}


async def test_liaison_reports_progress_step_by_step(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    progress = "一季度地区生产总值同比增长7.2%,重点项目按计划推进。"
    out = await console(
        settings,
        "/report 2",
        Press("正常推进"),
        "60",  # a typed number is a percent (buttons are letters)
        "'7.2",  # the two targets' values so far
        "8.5%",
        progress,
        Press("✅ 提交"),
        as_unit="市发改委",
    )
    step_one = out[out.index("第 1 步") : out.index("第 2 步")]
    assert {"正常推进", "存在风险", "受阻", "需协调", "已完成"} <= set(buttons(step_one))
    step_two = out[out.index("第 2 步") : out.index("量化指标 1/2")]
    assert "50%" in buttons(step_two)  # the status press edited in the percent step
    assert "任务 2 · 正常推进 · 60%" in after(out, "第 2 步")  # the typed percent took
    preview = after(out, "请确认报送内容")
    assert "进度:60%" in preview and f"说明:{progress}" in preview
    assert "指标:地区生产总值增长 7.2% / ≥7%\n指标:固定资产投资增长 8.5% / ≥8%" in preview
    assert "已提交任务 2 的本期进展" in after(preview, "(更新)")
    # The submit edit took the buttons away; end of input says goodbye.
    assert out.rstrip().endswith("修改。\n\n再见。")
    async with sessions() as session:
        reports = (
            await session.scalars(
                select(Report)
                .join(Task, Report.task_id == Task.id)
                .where(Task.number == 2, Report.is_current)
            )
        ).all()
    assert [(r.status, r.percent, r.text) for r in reports] == [("on_track", 60, progress)]


def test_html_to_text() -> None:
    assert html_to_text("<b>任务 2</b> &lt;草案&gt; &amp; 说明") == "任务 2 <草案> & 说明"
    assert html_to_text('<a href="https://t.me/x?start=a&amp;b">点此</a>') == (
        "点此 (https://t.me/x?start=a&b)"
    )
    assert html_to_text('<a href="https://t.me/x">https://t.me/x</a>') == "https://t.me/x"


def test_cli_console_end_to_end(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env["DUBAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'duban.db'}"

    def duban(*args: str, script: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "bot", *args],
            input=script,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=tmp_path,  # no stray .env is read from the repository
            timeout=120,
            check=False,
        )

    assert duban("init").returncode == 0
    imported = duban("import", str(DEFAULT_PLAN), "--year", "2026")
    assert imported.returncode == 0, imported.stderr
    result = duban("console", "--as", "市发改委", script="/mytasks\na\n/task 40\nquit\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("督办控制台 · 您是市发改委的联络员。")
    assert "市发改委 的任务:共 34 项" in result.stdout
    assert "地区生产总值增长7%" in after(result.stdout, "任务 2(")
    assert "主办单位:市政府国资委" in result.stdout
    assert result.stderr == ""

    unknown = duban("console", "--as", "市不存在局", script="")
    assert unknown.returncode == 1
    assert unknown.stderr == "duban: error: unknown unit '市不存在局' (see 'duban units')\n"

    status = duban("console", "--files", "shots", script="/status\n")
    assert status.returncode == 0, status.stderr
    assert f"[图片] {tmp_path / 'shots' / 'status.png'}" in status.stdout
    assert (tmp_path / "shots" / "status.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("typed", ["5", "6"])
async def test_a_typed_number_at_the_percent_step_is_a_percent(
    settings: Settings, typed: str
) -> None:
    # The input that misled: `5` pressed button 5 (100 %), `6` cancelled and cleared the draft.
    out = await console(settings, "/report 2", Press("正常推进"), typed, as_unit="市发改委")
    step = after(out, "第 2 步")
    assert f"任务 2 · 正常推进 · {typed}% · 量化指标 1/2" in step
    assert "已取消" not in out and "· 100%" not in step
    assert "  [a] 0%   [b] 25%   [c] 50%   [d] 75%   [e] 100%" in out.splitlines()


async def test_end_of_input_says_goodbye_and_a_pending_draft_is_named_on_return(
    settings: Settings,
) -> None:
    first = await console(settings, "/report 2", Press("正常推进"), as_unit="市发改委")
    assert first.endswith("\n再见。\n")  # Ctrl-D (end of input) as well as quit
    again = await console(settings, "/cancel", as_unit="市发改委")
    assert (
        "(您有一份尚未提交的报送草稿:任务 2,停在“填写进度”这一步。接着输入即可继续,"
        "/report 2 重新开始,/cancel 放弃。)"
    ) in again
    assert "已取消" in after(again, "/cancel 放弃。)")
    assert "尚未提交的报送草稿" not in await console(settings, as_unit="市发改委")


async def test_a_file_that_is_not_there_is_named(settings: Settings, tmp_path: Path) -> None:
    out = await console(settings, f":file {tmp_path / 'nope.pdf'}", as_unit="市发改委")
    assert f"(无法发送文件:{tmp_path / 'nope.pdf'})" in out


def test_button_letters_run_on_past_z() -> None:
    assert [button_key(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "a",
        "b",
        "z",
        "aa",
        "ab",
        "az",
        "ba",
    ]

"""End to end: `duban run` long-polls a local Bot API over HTTP and serves real conversations."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable
from datetime import date
from pathlib import Path
from typing import Final

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, RetryAfter

from tests.harness.http_bot_api import (
    APIResponse,
    CallPredicate,
    JSONDict,
    LocalBotAPIServer,
    RecordedCall,
    error,
)

TOKEN: Final = "123456:LOCALTEST"
COORDINATOR_ID: Final = 900_001
USER_A: Final = 700_001
STRANGER: Final = 700_002
UNIT: Final = "市发改委"
SEED: Final = Path(__file__).resolve().parents[1] / "data" / "seed" / "nanjing-2021.txt"

CLI_TIMEOUT: Final = 90.0  # one CLI command (migrations and the plan import take a few seconds)
STARTUP_TIMEOUT: Final = 60.0  # `duban run` until it starts polling
REPLY_TIMEOUT: Final = 20.0  # one answer of the running bot
SHUTDOWN_TIMEOUT: Final = 30.0  # SIGINT until the process is gone


def _env(tmp_path: Path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        DUBAN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'duban.db'}",
        DUBAN_TELEGRAM_TOKEN=TOKEN,
        DUBAN_TELEGRAM_API_URL=api_url,
        DUBAN_COORDINATORS=str(COORDINATOR_ID),
        PYTHONUNBUFFERED="1",
    )
    return env


async def _duban(
    env: dict[str, str], cwd: Path, *args: str
) -> tuple[asyncio.subprocess.Process, bytes, bytes]:
    """Run `python -m bot ARGS` without blocking the loop the server runs in; its output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CLI_TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc, out, err


async def _cli(env: dict[str, str], cwd: Path, *args: str) -> list[str]:
    """`duban ARGS`, which must succeed without printing the token; its stdout lines."""
    proc, out, err = await _duban(env, cwd, *args)
    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 0, f"duban {' '.join(args)} failed:\n{stdout}\n{stderr}"
    assert TOKEN not in stdout + stderr, f"duban {args[0]} printed the token"
    return stdout.splitlines()


class _Bot:
    """The `duban run` process, its output in files (a pipe nobody reads could fill up)."""

    def __init__(self, tmp_path: Path) -> None:
        self.stdout_path = tmp_path / "run.stdout"
        self.stderr_path = tmp_path / "run.stderr"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        """`duban run ARGS` in the background."""
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                *args,
                cwd=cwd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )

    def output(self) -> tuple[str, str]:
        """What the process wrote so far on stdout and stderr."""
        return (
            self.stdout_path.read_text(errors="replace"),
            self.stderr_path.read_text(errors="replace"),
        )

    async def expect(self, waiting: Awaitable[RecordedCall]) -> RecordedCall:
        """The awaited call, failing at once (with the bot's output) if the process dies."""
        assert self.proc is not None
        call = asyncio.ensure_future(waiting)
        exited = asyncio.ensure_future(self.proc.wait())
        try:
            done, _ = await asyncio.wait({call, exited}, return_when=asyncio.FIRST_COMPLETED)
            if call in done:
                return call.result()
            stdout, stderr = self.output()
            pytest.fail(
                f"duban run exited with {self.proc.returncode}:\n{stdout}\n{stderr}"[-4000:]
            )
        finally:
            for task in (call, exited):
                if not task.done():
                    task.cancel()
            await asyncio.gather(call, exited, return_exceptions=True)

    async def interrupt(self, sig: signal.Signals = signal.SIGINT) -> int:
        """SIGINT (as Ctrl-C; or `sig`), then wait; kill if it does not stop in time."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), SHUTDOWN_TIMEOUT)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
                pytest.fail(f"duban run ignored {sig.name} for {SHUTDOWN_TIMEOUT} s: killed")
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def kill(self) -> None:
        """Make sure the process is gone."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def _to_chat(chat_id: int, needle: str | None = None) -> CallPredicate:
    """Matches a successful call that produced a message in ``chat_id`` containing ``needle``."""

    def matches(call: RecordedCall) -> bool:
        message = call.message
        if not call.ok or message is None or message["chat"]["id"] != chat_id:
            return False
        return needle is None or needle in str(message.get("text", ""))

    return matches


def _buttons(message: JSONDict) -> list[JSONDict]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def _button(message: JSONDict, label: str) -> str:
    """The callback data of the button labelled ``label`` under ``message``."""
    found = [b["callback_data"] for b in _buttons(message) if b["text"] == label]
    assert found, f"no button {label!r} under {message.get('text')!r}"
    return str(found[0])


def _edit_of(chat_id: int, message_id: int, needle: str) -> CallPredicate:
    """Matches a successful edit of that message whose new text contains ``needle``."""

    def matches(call: RecordedCall) -> bool:
        message = call.message
        return (
            call.ok
            and call.params.get("chat_id") == chat_id
            and call.params.get("message_id") == message_id
            and message is not None
            and needle in str(message.get("text", ""))
        )

    return matches


async def test_run_serves_conversations_over_http(tmp_path: Path) -> None:
    async with LocalBotAPIServer(token=TOKEN) as server:
        env = _env(tmp_path, server.url)
        await _cli(env, tmp_path, "init")
        # The bot runs on the real clock: rehearse the plan in the current year.
        await _cli(env, tmp_path, "import", str(SEED), "--year", str(date.today().year))
        invite = await _cli(env, tmp_path, "invite", UNIT)
        assert len(invite) >= 3, invite
        code = invite[1].strip()
        assert invite[2].strip() == f"https://t.me/{server.bot_username}?start={code}"
        assert server.calls_to("getMe"), "invite did not ask getMe for the bot's username"
        # Someone tried the console first, on the same database.
        await _cli(env, tmp_path, "console", "--as", UNIT)

        bot = _Bot(tmp_path)
        try:
            mark = len(server.calls)
            await bot.start(env, tmp_path)
            # PTB deletes any webhook right before its polling loop starts; updates pushed from
            # now on are queued until the first getUpdates picks them up.
            await bot.expect(server.wait_for("deleteWebhook", timeout=STARTUP_TIMEOUT, since=mark))
            assert server.calls_to("setMyCommands"), "the command menu was not set"

            # A unit's liaison links with the invite code.
            user_a = server.user(USER_A, "联络员甲", "zh-hans")
            mark = len(server.calls)
            server.push_update(server.command_update(user_a, "start", code))
            await bot.expect(
                server.wait_for(
                    "sendMessage", _to_chat(USER_A, "绑定成功"), REPLY_TIMEOUT, since=mark
                )
            )

            # /mytasks lists the unit's tasks, with number buttons and ▶ for the next page.
            mark = len(server.calls)
            server.push_update(server.command_update(user_a, "mytasks"))
            listing = await bot.expect(
                server.wait_for("sendMessage", _to_chat(USER_A, UNIT), REPLY_TIMEOUT, since=mark)
            )
            assert listing.message is not None
            listing_id = listing.message["message_id"]
            buttons = _buttons(listing.message)
            assert buttons, "the task list has no inline buttons"
            next_page = next(b for b in buttons if "▶" in b["text"])

            # ▶ edits the list in place to page 2 and answers the button.
            mark = len(server.calls)
            press = server.push_update(
                server.callback_update(user_a, listing, next_page["callback_data"])
            )
            query_id = press["callback_query"]["id"]
            await bot.expect(
                server.wait_for(
                    "answerCallbackQuery",
                    lambda c: c.ok and c.params.get("callback_query_id") == query_id,
                    REPLY_TIMEOUT,
                    since=mark,
                )
            )
            edit = await bot.expect(
                server.wait_for(
                    "editMessageText",
                    lambda c: (
                        c.ok
                        and c.params.get("chat_id") == USER_A
                        and c.params.get("message_id") == listing_id
                    ),
                    REPLY_TIMEOUT,
                    since=mark,
                )
            )
            assert edit.message is not None
            assert any("◀" in b["text"] for b in _buttons(edit.message)), "no ◀ on page 2"

            # Someone without an invite is told to get one.
            stranger = server.user(STRANGER, "路人", "zh-hans")
            mark = len(server.calls)
            server.push_update(server.command_update(stranger, "mytasks"))
            await bot.expect(
                server.wait_for(
                    "sendMessage", _to_chat(STRANGER, "还没有绑定"), REPLY_TIMEOUT, since=mark
                )
            )

            # /report 2: status, percent and text, each step a button press or a message.
            mark = len(server.calls)
            server.push_update(server.command_update(user_a, "report", "2"))
            prompt = await bot.expect(
                server.wait_for(
                    "sendMessage", _to_chat(USER_A, "第 1 步"), REPLY_TIMEOUT, since=mark
                )
            )
            assert prompt.message is not None
            prompt_id = prompt.message["message_id"]
            mark = len(server.calls)
            server.push_update(
                server.callback_update(user_a, prompt, _button(prompt.message, "正常推进"))
            )
            percent_step = await bot.expect(
                server.wait_for(
                    "editMessageText",
                    _edit_of(USER_A, prompt_id, "第 2 步"),
                    REPLY_TIMEOUT,
                    since=mark,
                )
            )
            assert percent_step.message is not None
            mark = len(server.calls)
            server.push_update(
                server.callback_update(user_a, prompt, _button(percent_step.message, "50%"))
            )
            await bot.expect(
                server.wait_for(
                    "editMessageText",
                    _edit_of(USER_A, prompt_id, "量化指标 1/2"),
                    REPLY_TIMEOUT,
                    since=mark,
                )
            )
            # Task 2's two targets: GDP growth so far, then investment growth.
            for value, step in (("7.2", "量化指标 2/2"), ("8.5%", "第 3 步")):
                mark = len(server.calls)
                server.push_update(server.text_update(user_a, value))
                await bot.expect(
                    server.wait_for(
                        "sendMessage", _to_chat(USER_A, step), REPLY_TIMEOUT, since=mark
                    )
                )
            progress = "固定资产投资稳步增长,重大项目按计划开工。"
            mark = len(server.calls)
            server.push_update(server.text_update(user_a, progress))
            preview = await bot.expect(
                server.wait_for(
                    "sendMessage", _to_chat(USER_A, "请确认报送内容"), REPLY_TIMEOUT, since=mark
                )
            )
            assert preview.message is not None
            assert progress in preview.message["text"]
            mark = len(server.calls)
            server.push_update(
                server.callback_update(user_a, preview, _button(preview.message, "✅ 提交"))
            )
            await bot.expect(
                server.wait_for(
                    "editMessageText",
                    _edit_of(USER_A, preview.message["message_id"], "已提交任务 2 的本期进展"),
                    REPLY_TIMEOUT,
                    since=mark,
                )
            )

            returncode = await bot.interrupt()
        finally:
            await bot.kill()

        stdout, stderr = bot.output()
        assert returncode == 0, f"duban run exited with {returncode}:\n{stdout}\n{stderr}"
        assert TOKEN not in stdout, "the token was logged on stdout"
        assert TOKEN not in stderr, "the token was logged on stderr"
        polls = server.calls_to("getUpdates")
        assert any(c.params.get("timeout", 0) > 0 and c.result for c in polls), "no long poll"
        failed = [(c.method, c.status, c.response) for c in server.calls if not c.ok]
        assert not failed, f"Bot API calls that failed: {failed}"

    with contextlib.closing(sqlite3.connect(tmp_path / "duban.db")) as db:
        reports = db.execute(
            "SELECT r.status, r.percent, r.text FROM reports r"
            " JOIN tasks t ON t.id = r.task_id WHERE t.number = 2"
        ).fetchall()
        console_people = db.execute(
            "SELECT telegram_id, unreachable_at IS NOT NULL FROM contacts WHERE telegram_id >= ?",
            (2**52,),
        ).fetchall()
    assert reports == [("on_track", 50, progress)]
    # Served on Telegram, the console's liaison is set aside: nudges and broadcasts skip it.
    assert console_people == [(2**52 + 1, 1)]


# --- the server itself, driven by PTB's own HTTP client -------------------------------------


def _bot(server: LocalBotAPIServer, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot")


async def test_server_speaks_the_bot_api_to_ptb() -> None:
    async with LocalBotAPIServer(token=TOKEN) as server:
        async with _bot(server) as bot:
            assert bot.username == server.bot_username
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("1", callback_data="tk:1:1")]])
            sent = await bot.send_message(
                USER_A, "<b>你好</b> &amp; hi", parse_mode=ParseMode.HTML, reply_markup=markup
            )
            assert sent.text == "你好 & hi"
            assert sent.entities[0].type == "bold"
            assert sent.reply_markup == markup
            # Multipart upload, then a file id.
            document = await bot.send_document(USER_A, b"%PDF-1.4 fake", filename="plan.pdf")
            assert document.document is not None
            assert document.document.file_name == "plan.pdf"
            assert document.document.file_size == len(b"%PDF-1.4 fake")
            photo = await bot.send_photo(USER_A, "PHOTO_ID", caption="图")
            assert photo.caption == "图"
            assert [m.message_id for m in (sent, document, photo)] == [1, 2, 3]
            assert server.sent_texts(USER_A) == ["你好 & hi", "", "图"]

            edited = await bot.edit_message_text("改了", chat_id=USER_A, message_id=1)
            assert isinstance(edited, type(sent))
            assert edited.text == "改了"
            assert edited.reply_markup is None  # an edit without markup drops the keyboard
            with pytest.raises(BadRequest, match="not modified"):
                await bot.edit_message_text("改了", chat_id=USER_A, message_id=1)
            with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
                await bot.send_message(USER_A, "<b>oops", parse_mode=ParseMode.HTML)
            await bot.edit_message_reply_markup(USER_A, 1, reply_markup=markup)
            assert await bot.answer_callback_query("42", text="好")
            assert await bot.set_my_commands([("mytasks", "我的任务")])
            commands = server.calls_to("setMyCommands")[0].params["commands"]
            assert commands == [{"command": "mytasks", "description": "我的任务"}]
        assert server.connections_accepted <= 2, "PTB's connection was not kept alive"

        async with httpx.AsyncClient(base_url=server.url) as client:
            answer = await client.post(
                f"/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "x"}
            )
            assert answer.json()["result"]["chat"]["id"] == 5
            answer = await client.post(f"/bot{TOKEN}/noSuchMethod", data={"a": "1"})
            assert answer.status_code == 404
            assert answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
            answer = await client.post("/bot1:WRONG/getMe")
            assert answer.status_code == 401
            assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        assert server.calls_to("noSuchMethod")[0].params == {"a": "1"}


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # retry_after
async def test_server_long_polls_and_takes_a_hook() -> None:
    def flood(method: str, params: JSONDict) -> APIResponse | None:
        if method == "sendMessage" and params.get("chat_id") == STRANGER:
            return error(429, "Too Many Requests: retry after 3", retry_after=3)
        return None

    server = LocalBotAPIServer(token=TOKEN, max_poll_wait=0.3, handler_hook=flood)
    async with server, _bot(server) as bot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.get_updates(timeout=10) == ()
        assert loop.time() - started < 2, "the long poll was not capped"

        polling = asyncio.ensure_future(bot.get_updates(timeout=10))
        await asyncio.sleep(0.05)
        user = server.user(USER_A)
        pushed = server.push_update(server.command_update(user, "mytasks"))
        (update,) = await asyncio.wait_for(polling, 5)
        assert update.update_id == pushed["update_id"]
        assert update.message is not None
        assert update.message.text == "/mytasks"
        assert update.message.entities[0].type == "bot_command"
        # The offset confirms it: the queue is empty afterwards.
        assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
        assert server.pending_updates == []

        with pytest.raises(RetryAfter):
            await bot.send_message(STRANGER, "hi")
        sent = await bot.send_message(USER_A, "hi")
        call = await server.wait_for("sendMessage", lambda c: c.ok, timeout=1)
        assert call.message is not None
        assert call.message["message_id"] == sent.message_id

    async with LocalBotAPIServer(token="123456:OTHER") as server:
        with pytest.raises(InvalidToken):
            async with _bot(server):
                pass
        assert [(c.method, c.status) for c in server.calls] == [("getMe", 401)]


async def test_a_rejected_token_is_never_printed(tmp_path: Path) -> None:
    async with LocalBotAPIServer(token="123456:SOMETHINGELSE") as server:
        env = _env(tmp_path, server.url)
        await _cli(env, tmp_path, "init")
        await _cli(env, tmp_path, "import", str(SEED), "--year", "2026")
        for args in (("invite", UNIT), ("run",)):
            proc, out, err = await _duban(env, tmp_path, *args)
            assert proc.returncode != 0, f"duban {args[0]} succeeded with a rejected token"
            assert TOKEN not in (out + err).decode(), f"duban {args[0]} printed the token"

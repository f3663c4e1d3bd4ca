"""End to end: `duban run --webhook` as a process, Telegram played by a local Bot API server and
by this test POSTing updates; and `duban run` refusing what it cannot serve, in one line."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
from pathlib import Path
from typing import Final

import httpx

from bot.web.webhook import SECRET_HEADER
from tests.harness.http_bot_api import LocalBotAPIServer
from tests.test_run_http import (
    SEED,
    STARTUP_TIMEOUT,
    TOKEN,
    UNIT,
    USER_A,
    _Bot,
    _cli,
    _duban,
    _env,
)

SECRET: Final = "webhook-secret_42"
PUBLIC_URL: Final = "https://duban.example.org/telegram"


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _listening(client: httpx.AsyncClient, url: str, bot: _Bot) -> httpx.Response:
    """GET url once the worker listens (it starts right after registering the webhook)."""
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while True:
            assert bot.proc is not None
            assert bot.proc.returncode is None, bot.output()
            try:
                return await client.get(url)
            except httpx.ConnectError:
                await asyncio.sleep(0.1)


def _one_line(err: bytes) -> str:
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, err.decode()
    assert lines[0].startswith("duban: error: "), lines
    return lines[0]


async def test_run_webhook_registers_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with LocalBotAPIServer(token=TOKEN) as server:
        env = {**_env(tmp_path, server.url), "DUBAN_WEBHOOK_SECRET": SECRET}
        await _cli(env, tmp_path, "init")
        await _cli(env, tmp_path, "import", str(SEED), "--year", "2026")
        code = (await _cli(env, tmp_path, "invite", UNIT))[1].strip()
        port = _free_port()
        local = f"http://127.0.0.1:{port}"
        bot = _Bot(tmp_path)
        try:
            mark = len(server.calls)
            await bot.start(env, tmp_path, "--webhook", PUBLIC_URL, "--port", str(port))
            hook = await bot.expect(
                server.wait_for("setWebhook", timeout=STARTUP_TIMEOUT, since=mark)
            )
            assert hook.params["url"] == PUBLIC_URL
            assert hook.params["secret_token"] == SECRET
            assert int(hook.params["max_connections"]) == 40
            assert "callback_query" in str(hook.params["allowed_updates"])
            async with httpx.AsyncClient(timeout=30) as client:
                health = await _listening(client, f"{local}/healthz", bot)
                assert health.status_code == 200, health.text
                assert health.json()["status"] == "ok"
                # The dashboard is served by the same web app (its API wants Telegram's initData).
                page = await client.get(f"{local}/dashboard/")
                assert page.status_code == 200
                assert "<html" in page.text
                api = await client.get(f"{local}/dashboard/api/overview")
                assert api.status_code == 401

                user = server.user(USER_A, "联络员甲", "zh-hans")
                update = {**server.command_update(user, "start", code), "update_id": 501}
                refused = await client.post(
                    f"{local}/telegram", json=update, headers={SECRET_HEADER: "guess"}
                )
                assert refused.status_code == 403
                assert server.sent_texts(USER_A) == []
                answer = await client.post(
                    f"{local}/telegram", json=update, headers={SECRET_HEADER: SECRET}
                )
                assert answer.status_code == 200
                # Answered after handling: the reply is out before Telegram hears 200.
                assert any("绑定成功" in text for text in server.sent_texts(USER_A))

                # A second worker on the same SQLite database is refused.
                proc, _out, err = await _duban(
                    env, tmp_path, "run", "--webhook", PUBLIC_URL, "--port", str(_free_port())
                )
                assert proc.returncode != 0
                assert "SQLite takes one worker" in _one_line(err)
            returncode = await bot.interrupt(signal.SIGTERM)
        finally:
            await bot.kill()
        stdout, stderr = bot.output()
        assert returncode == 0, f"{stdout}\n{stderr}"
        assert TOKEN not in stdout + stderr
        assert SECRET not in stdout + stderr
        assert not server.calls_to("deleteWebhook"), "a stopping worker keeps the webhook"

    with contextlib.closing(sqlite3.connect(tmp_path / "duban.db")) as db:
        noted = db.execute("SELECT update_id, handled_at IS NOT NULL FROM processed_updates")
        assert noted.fetchall() == [(501, 1)]


async def test_run_refuses_what_it_cannot_serve_in_one_line(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{_free_port()}"
    env = _env(tmp_path, closed)
    await _cli(env, tmp_path, "init")
    await _cli(env, tmp_path, "import", str(SEED), "--year", "2026")
    # A Bot API URL that does not answer, that cannot be parsed, with a port out of range.
    for api_url in (closed, "http://[::1", "http://127.0.0.1:99999"):
        proc, out, err = await _duban({**env, "DUBAN_TELEGRAM_API_URL": api_url}, tmp_path, "run")
        assert proc.returncode != 0, api_url
        assert out == b"", out
        line = _one_line(err)
        assert "DUBAN_TELEGRAM_API_URL" in line or closed in line, line
        assert TOKEN not in line
    # A webhook without a token: refused, rather than opening the console.
    no_token = {k: v for k, v in env.items() if k != "DUBAN_TELEGRAM_TOKEN"}
    proc, out, err = await _duban(no_token, tmp_path, "run", "--webhook", PUBLIC_URL)
    assert proc.returncode != 0
    assert out == b""
    assert "DUBAN_TELEGRAM_TOKEN" in _one_line(err)
    # A webhook URL Telegram cannot use.
    with_secret = {**env, "DUBAN_WEBHOOK_SECRET": SECRET}
    proc, out, err = await _duban(with_secret, tmp_path, "run", "--webhook", "http://x.org/hook")
    assert proc.returncode != 0
    assert "https://host/path" in _one_line(err)


async def test_run_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    async with LocalBotAPIServer(token=TOKEN) as server:
        env = {**_env(tmp_path, server.url), "DUBAN_WEBHOOK_SECRET": SECRET}
        await _cli(env, tmp_path, "init")
        await _cli(env, tmp_path, "import", str(SEED), "--year", "2026")
        with contextlib.closing(socket.socket()) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            proc, _out, err = await _duban(
                env, tmp_path, "run", "--webhook", PUBLIC_URL, "--port", str(port)
            )
        assert proc.returncode != 0
        assert f"cannot listen on 127.0.0.1:{port}" in _one_line(err)
        assert not server.calls_to("setWebhook"), "the webhook was registered all the same"

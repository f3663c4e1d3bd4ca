"""Issue 12's confusing CLI answers, each with the exact command that misled a newcomer."""

from __future__ import annotations

import json
import socket

import pytest

from bot.plan.directory import DEFAULT_PLAN
from tests.factories.cli import run


# 4. Re-importing without --year moved a plan rehearsed in 2026 back to 2021.
def test_re_importing_without_a_year_keeps_the_year_imported_with(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")
    code, out, _ = run(capsys, "import", str(DEFAULT_PLAN))
    assert code == 0
    assert out.splitlines()[0].startswith(
        "宁政发〔2021〕16号 (2026): 11 sections, 100 tasks, 86 units "
        "(0 new, 0 updated, 100 unchanged)"
    )
    _, shown, _ = run(capsys, "plan", "--json")
    plan = json.loads(shown)
    deadlines = {task["deadline"] for s in plan["sections"] for task in s["tasks"]}
    assert plan["year"] == 2026 and deadlines == {"2026-12-31"}  # the summary stays true


# 17. duban units gave 江宁区政府 "lead 0, co 2" while /mytasks showed its 28 tasks.
def test_units_count_what_members_hold_through_collectives(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")
    _, out, _ = run(capsys, "units")
    lines = out.splitlines()
    assert "江宁区政府  lead 0, co 28 (26 through collectives)" in lines
    assert "市发改委  lead 23, co 11" in lines  # named itself on every task it holds
    assert "各区政府  [collective]  lead 0, co 26" in lines


# 17. duban plan --bogus printed the top-level usage.
@pytest.mark.parametrize("command", ["plan", "units", "nudges", "people"])
def test_a_bad_option_prints_its_own_sub_commands_usage(
    cli_db: str, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, err = run(capsys, command, "--bogus")
    assert code == 2 and out == ""
    assert err.startswith(f"usage: duban {command} ")
    assert err.rstrip().endswith(f"duban {command}: error: unrecognized arguments: --bogus")


# 17. duban invite without a known bot username printed a bare code.
def test_invite_without_a_username_says_how_to_get_the_link(
    cli_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUBAN_BOT_USERNAME", raising=False)
    monkeypatch.delenv("DUBAN_TELEGRAM_TOKEN", raising=False)
    run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")
    code, out, err = run(capsys, "invite", "市发改委")
    assert code == 0
    code_line = out.splitlines()[1]
    assert err.strip() == (
        "no link yet: the bot's username is unknown. Set DUBAN_BOT_USERNAME to it (without @,"
        " in the environment or .env) or set DUBAN_TELEGRAM_TOKEN, then run this again; the"
        f" link is https://t.me/<bot username>?start={code_line}. Or the person sends the"
        f" bot: /start {code_line}"
    )
    monkeypatch.setenv("DUBAN_BOT_USERNAME", "nanjing_duban_bot")
    _, out, err = run(capsys, "invite", "市发改委")
    assert out.splitlines()[2].startswith("https://t.me/nanjing_duban_bot?start=") and err == ""


# `duban dashboard` on a port another program holds: one line, not uvicorn's exit.
def test_dashboard_on_a_taken_port_is_one_line(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "dashboard", "--port", str(port))
    assert code != 0 and out == ""
    assert err.strip().splitlines() == [
        f"duban: error: cannot listen on 127.0.0.1:{port} (is the port taken?)"
    ]

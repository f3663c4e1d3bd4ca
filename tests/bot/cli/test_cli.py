"""The operator's CLI: what an operator types and what they read back."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.plan.directory import DEFAULT_PLAN
from bot.plan.parser import parse_plan
from tests.factories.cli import run
from tests.factories.plans import SEED_TEXT, small_plan


def test_import_then_plan_json_matches_the_document(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "import", str(DEFAULT_PLAN))
    assert code == 0, err
    assert out.strip() == (
        "宁政发〔2021〕16号 (2021): 11 sections, 100 tasks, 86 units "
        "(100 new, 0 updated, 0 unchanged); short name 政府工作报告"
    )
    code, out, _ = run(capsys, "plan", "--json")
    tree = json.loads(out)
    parsed = parse_plan(SEED_TEXT)
    assert tree["document"] == "宁政发〔2021〕16号" and tree["year"] == 2021
    assert [s["title"] for s in tree["sections"]] == [s.title for s in parsed.sections]
    tasks = [t for s in tree["sections"] for t in s["tasks"]]
    assert len(tasks) == 100
    for got, want in zip(tasks, parsed.tasks, strict=True):
        assert (got["number"], got["text"]) == (want.number, want.text)
        resolved_co = ["市相关部门" if n == "相关部门" else n for n in want.co_units]
        assert (got["lead_units"], got["co_units"]) == (want.lead_units, resolved_co)


def test_units_lists_counts_and_members(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(DEFAULT_PLAN))
    code, out, _ = run(capsys, "units")
    assert code == 0
    assert "市发改委  lead 23, co 11" in out.splitlines()
    assert "各区政府  [collective]  lead 0, co 26" in out.splitlines()


def test_year_override(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")
    assert code == 0 and "(2026)" in out


def test_broken_plan_is_one_line_and_non_zero(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(small_plan("1.一项。(市发改委主办)", "2.缺少单位。"), encoding="utf-8")
    code, out, err = run(capsys, "import", str(bad))
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"duban: error: {bad}: line 7: task 2. does not end with its units")
    assert err.rstrip().endswith("nothing was imported")
    code, out, err = run(capsys, "plan")
    assert code == 1 and "no any plan" not in err and "run 'duban import PLAN' first" in err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["import", "/nonexistent/plan.txt"], {}, "plan file not found: /nonexistent/plan.txt"),
        (["plan"], {"DUBAN_DATABASE_URL": "mysql://x"}, "bad setting DUBAN_DATABASE_URL"),
        (["plan"], {"DUBAN_TIMEZONE": "Mars/Olympus"}, "bad setting DUBAN_TIMEZONE"),
        (["import", str(DEFAULT_PLAN), "--year", "1850"], {}, "--year must be between"),
    ],
)
def test_user_mistakes_get_one_line(
    cli_db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, _, err = run(capsys, *argv)
    assert code != 0
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_uninitialised_database_says_run_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    code, _, err = run(capsys, "plan")
    assert code == 1 and "is not initialised: run 'duban init' first" in err
    monkeypatch.setenv("DUBAN_DATABASE_URL", "sqlite+aiosqlite:////no/such/dir/x.db")
    code, _, err = run(capsys, "init")
    assert code == 1 and "does not exist" in err and err.count("\n") == 1


def test_python_dash_m_bot_from_a_fresh_folder(tmp_path: Path) -> None:
    """The whole path an operator takes, as separate processes on a new SQLite file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}

    def duban(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bot", *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    assert duban("init").returncode == 0
    assert (tmp_path / "duban.db").exists()
    imported = duban("import", str(DEFAULT_PLAN))
    assert imported.returncode == 0, imported.stderr
    shown = duban("plan", "--json")
    assert shown.returncode == 0
    assert sum(len(s["tasks"]) for s in json.loads(shown.stdout)["sections"]) == 100


async def test_nudges_dry_run_prints_and_queues_nothing(
    cli_db: str, capsys: pytest.CaptureFixture[str], sessions: object
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from data.models import OutboxMessage
    from tests.factories.people import liaison
    from tests.factories.plans import load_seed

    await load_seed(sessions, year=2026)  # type: ignore[arg-type]
    await liaison(
        sessions,
        5001,
        "市发改委",
        now=datetime(2026, 5, 1, tzinfo=UTC),  # type: ignore[arg-type]
        name="张三",
    )
    code, out, _ = await asyncio.to_thread(
        run, capsys, "nudges", "--dry-run", "--at", "2026-06-01T09:30"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "at 2026-06-01 09:30 CST (Monday): 2 message(s) would be sent"
    # Units, not people: one line per unit and step, with how many people get it.
    assert lines[1].split()[:5] == ["nudge", "open", "->", "市发改委", "(1"]
    assert "tasks 2,5,6,9" in lines[1] and "张三" not in out
    assert lines[2].split()[:2] == ["contribution", "open"]
    async with sessions() as session:  # type: ignore[operator]
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize(
    ("at", "said"),
    [
        (
            "2026-06-06T09:30",
            "at 2026-06-06 09:30 CST (Saturday): 0 message(s) would be sent: 2026-06-06 is not"
            " a working day (nudges go out on working days only)",
        ),
        (
            "2026-06-03T23:00",
            "at 2026-06-03 23:00 CST (Wednesday): 0 message(s) would be sent: 23:00 is in quiet"
            " hours (22:00-08:00); nudges wait for 09:00 on a working day",
        ),
        (
            "2026-06-03T08:30",
            "at 2026-06-03 08:30 CST (Wednesday): 0 message(s) would be sent: nudges go out from"
            " 09:00 on working days; it is 08:30",
        ),
    ],
)
async def test_nudges_dry_run_says_why_nothing_would_go(
    cli_db: str, capsys: pytest.CaptureFixture[str], sessions: object, at: str, said: str
) -> None:
    from tests.factories.plans import load_seed

    await load_seed(sessions, year=2026)  # type: ignore[arg-type]
    code, out, _ = await asyncio.to_thread(run, capsys, "nudges", "--dry-run", "--at", at)
    assert code == 0 and out.splitlines() == [said]


async def test_nudges_dry_run_stamps_its_warnings_with_the_moment_simulated(
    cli_db: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    sessions: object,
) -> None:
    from tests.factories.plans import load_seed

    await load_seed(sessions, year=2026)  # type: ignore[arg-type]
    await asyncio.to_thread(run, capsys, "nudges", "--dry-run", "--at", "2026-06-03T10:00")
    # The period's opening step (June 1st) was missed: warned as of June 3rd, not today.
    missed = [line for line in caplog.text.splitlines() if "was missed" in line]
    assert missed and missed[0].startswith("2026-06-03 10:00 CST (simulated) WARNING")


def test_export_writes_the_workbook(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import openpyxl

    run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")
    target = tmp_path / "ledger.xlsx"
    code, out, err = run(capsys, "export", str(target), "--lang", "en")
    assert code == 0, err
    assert out.startswith(f"wrote {target}: 100 tasks, 0 reports")
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[-3:] == ["All reports", "Unit reporting rates", "Targets against time"]
    code, _, err = run(capsys, "export", str(tmp_path / "ledger.csv"))
    assert code == 1 and "must end in .xlsx" in err

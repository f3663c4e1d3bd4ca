"""DUBAN_CALENDAR_FILE: a year's days off and make-up working days before the package has them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.calendar.workdays import CalendarFileError, WorkCalendar, calendar_for, load_calendar_file
from bot.settings import Settings

# What a notice for 2027 could look like (Spring Festival off, a Sunday worked instead).
NOTICE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知 (as entered by the operator)
2027:
  days_off: [2027-01-01, "2027-02-08..2027-02-12"]
  working_days: [2027-02-14]
"""


def test_a_year_from_the_file_has_its_days_off_and_make_up_days(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(NOTICE_2027, encoding="utf-8")
    calendar = calendar_for(path)
    assert not calendar.is_working_day(date(2027, 1, 1))  # a Friday, off
    assert [calendar.is_working_day(date(2027, 2, d)) for d in range(8, 13)] == [False] * 5
    assert calendar.is_working_day(date(2027, 2, 14))  # a Sunday, worked
    assert not calendar.is_working_day(date(2027, 2, 13))  # an ordinary Saturday
    assert calendar.next_working_day(date(2027, 2, 6)) == date(2027, 2, 14)
    # Years the package knows are untouched: 2026's National Day week is still off.
    assert not calendar.is_working_day(date(2026, 10, 5))
    # Without the file, 2027 is Monday to Friday (the package does not know it yet).
    assert WorkCalendar().is_working_day(date(2027, 2, 8))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027: [", "line 1: not valid YAML"),
        ("- 2027", "expected years (2027:) at the top level"),
        ("twenty: {}", "'twenty' is not a year"),
        ("2027:\n  holidays: []", "2027: expected days_off and working_days lists"),
        ("2027:\n  days_off: 2027-01-01", "2027.days_off: expected a list of dates"),
        ("2027:\n  days_off: [2027-02-30]", "2027.days_off: '2027-02-30' is not a date"),
        ("2027:\n  days_off: [2026-12-31]", "2027.days_off: '2026-12-31' is not within 2027"),
        (
            "2027:\n  days_off: ['2027-02-12..2027-02-08']",
            "'2027-02-12..2027-02-08' is not within 2027",
        ),
        (
            "2027:\n  days_off: [2027-02-14]\n  working_days: [2027-02-14]",
            "2027: 2027-02-14 is both a day off and a working day",
        ),
        ("2027:\n  days_off: ['2027-01-01..2027-12-31']", "2027: no working day is left"),
        (
            "2027:\n  days_off: [2027-01-01]\n2027:\n  days_off: [2027-02-10]",
            "line 3: 2027 is given twice",
        ),
        ("2027: {}\n'2027': {}", "2027 is given twice"),
    ],
)
def test_a_broken_calendar_file_is_named_precisely(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError) as caught:
        load_calendar_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_quoted_year_is_a_year_and_an_empty_setting_is_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("'2027':\n  days_off: [2027-02-10]\n", encoding="utf-8")
    assert not calendar_for(path).is_working_day(date(2027, 2, 10))
    monkeypatch.setenv("DUBAN_CALENDAR_FILE", "")
    assert Settings(_env_file=None).calendar_file is None  # type: ignore[call-arg]


def test_a_missing_or_binary_calendar_file_is_named_too(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match="cannot read it"):
        load_calendar_file(tmp_path / "missing.yaml")
    binary = tmp_path / "calendar.yaml"
    binary.write_bytes("2027: {}  # 春节".encode("gb18030"))
    with pytest.raises(CalendarFileError, match="not UTF-8 text"):
        load_calendar_file(binary)


def test_the_cli_refuses_a_broken_calendar_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("2027:\n  days_off: [2027-02-30]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        DUBAN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'duban.db'}",
        DUBAN_CALENDAR_FILE=str(path),
    )

    def duban(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    assert duban("init").returncode == 0
    done = duban("nudges", "--dry-run")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"duban: error: {path}: 2027.days_off: '2027-02-30' is not a date (YYYY-MM-DD) or range"
    ]

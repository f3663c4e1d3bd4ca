"""People from the command line: the roster, leader and hand-over invites, and a plan file with
a damaged line refused on every database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.plan.directory import DEFAULT_PLAN
from tests.factories.cli import run
from tests.factories.plans import small_plan


@pytest.fixture
def nanjing(cli_db: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")[0] == 0
    return cli_db


def test_a_control_character_is_refused_with_its_line(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = small_plan("1.建设社区养老服务中心100处。(市民政局主办)")
    lines = text.split("\n")
    damaged = next(i for i, line in enumerate(lines) if "养老" in line)
    lines[damaged] = lines[damaged].replace("养老", "养\x00老")
    plan = tmp_path / "damaged.txt"
    plan.write_text("\n".join(lines), encoding="utf-8")
    code, out, err = run(capsys, "import", str(plan))
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"duban: error: {plan}: line {damaged + 1}: control character U+0000 (a damaged file?);"
        " nothing was imported"
    )
    code, out, _ = run(capsys, "plans")
    assert code == 0 and "养" not in out


def test_people_lists_units_nobody_reaches_first(
    nanjing: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "people", "--json")
    assert (code, err) == (0, "")
    units = json.loads(out)
    assert len(units) > 80 and all(u["people"] == [] and not u["reachable"] for u in units)
    code, out, _ = run(capsys, "people", "市发改委")
    assert (code, out) == (0, "市发改委  (nobody reachable)\n")
    code, _, err = run(capsys, "people", "不存在的局")
    assert (
        code == 1 and err.strip() == "duban: error: unknown unit '不存在的局' (see 'duban units')"
    )


def test_leader_and_hand_over_invites(nanjing: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "invite", "市发改委", "--leader")
    assert code == 0, err
    assert out.startswith(
        "invite code for the leader of 市发改委 (single use, expires in 7 days):"
    )
    code, _, err = run(capsys, "invite", "市发改委", "--replaces", "4242")
    assert code == 1 and err.strip() == "duban: error: user 4242 is not a liaison of 市发改委"
    code, _, err = run(capsys, "invite", "--coordinator", "--leader")
    assert code == 1 and err.strip() == "duban: error: --leader and --replaces go with a unit"

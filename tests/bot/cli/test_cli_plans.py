"""Plans side by side from the command line: import with a name and a rule, list, close,
export one; coordinators listed and revoked."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from bot.plan.directory import DEFAULT_PLAN
from tests.factories.cli import run
from tests.factories.plans import small_plan

LIVELIHOOD = small_plan(
    "1.建设社区养老服务中心100处。(市民政局主办,市发改委协办)", document="宁政发〔2026〕9号"
).replace("2024年工作方案", "2026年民生实事项目")


@pytest.fixture
def two_plans(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run(capsys, "import", str(DEFAULT_PLAN), "--year", "2026")[0] == 0
    plan = tmp_path / "livelihood.txt"
    plan.write_text(LIVELIHOOD, encoding="utf-8")
    code, out, err = run(
        capsys, "import", str(plan), "--name", "民生", "--period", "quarter", "--due-next-month"
    )
    assert code == 0, err
    assert out.strip().endswith("short name 民生")
    return plan


def test_plans_lists_them_side_by_side_and_states_change(
    two_plans: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "plans")
    assert code == 0
    assert out.splitlines() == [
        "政府工作报告  宁政发〔2021〕16号  2026  open  month, due day 25  100 tasks",
        "民生  宁政发〔2026〕9号  2026  open  quarter, due day 25 of the next month  1 tasks",
    ]
    assert run(capsys, "plans", "--close", "民生")[1].strip() == "民生: closed"
    assert "民生  宁政发〔2026〕9号  2026  closed" in run(capsys, "plans")[1]
    assert run(capsys, "plans", "--reopen", "宁政发〔2026〕9号")[0] == 0
    assert run(capsys, "plans", "--archive", "民生")[0] == 0
    code, _, err = run(capsys, "plans", "--close", "重点项目")
    assert code == 1 and err.count("\n") == 1 and "no plan '重点项目'" in err


def test_a_name_taken_is_one_line(two_plans: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", str(two_plans), "--name", "政府工作报告")
    assert code == 1 and err.count("\n") == 1
    assert "the short name '政府工作报告' is taken by 宁政发〔2021〕16号" in err


def test_export_of_one_plan_or_every_open_plan(
    two_plans: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, both = tmp_path / "one.xlsx", tmp_path / "both.xlsx"
    assert run(capsys, "export", str(one), "--plan", "民生")[0] == 0
    assert openpyxl.load_workbook(one).sheetnames == [
        "1.关于测试",
        "全部报送记录",
        "单位报送率",
        "量化指标序时进度",
    ]
    assert run(capsys, "export", str(both))[0] == 0
    names = openpyxl.load_workbook(both).sheetnames
    assert names[0].startswith("政府工作报告·1.") and "民生·1.关于测试" in names
    rates = openpyxl.load_workbook(both)["单位报送率"]
    assert [c.value for c in rates[1]][:2] == ["计划", "排名"]


def test_coordinators_listed_and_revoked(
    cli_db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUBAN_COORDINATORS", "4242")
    code, out, _ = run(capsys, "coordinators")
    assert code == 0 and out.splitlines() == ["4242  (DUBAN_COORDINATORS)  every plan"]
    code, _, err = run(capsys, "coordinators", "--revoke", "4243")
    assert code == 1 and "user 4243 has no coordinator rights from an invite" in err

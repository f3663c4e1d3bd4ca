"""`duban import` with Word and Excel files, --dry-run, --first-unit-leads, the notice's rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.plan.directory import DEFAULT_PLAN
from tests.factories.cli import run
from tests.factories.files import HEADER, NOTICE, docx_bytes, xlsx_bytes
from tests.factories.plans import SEED_TEXT, small_plan

TABLE = [
    ["2025年市政府工作报告重点任务分解表"],
    HEADER,
    ["一、稳增长"],
    [1, "地区生产总值增长5.5%。", "张副市长", "发改委", "市统计局", "6月底前"],
    [2, "推进重大项目。", None, "市建委", "江宁", "长期坚持"],
    ["注:请于每月20日前报送进展。"],
]


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_an_excel_table(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = _write(tmp_path, "分解表.xlsx", xlsx_bytes(("任务分解表", TABLE)))
    code, out, err = run(capsys, "import", plan)
    assert code == 0, err
    assert out.splitlines() == [
        "2025年市政府工作报告重点任务分解表 (2025): 1 sections, 2 tasks, 4 units "
        "(2 new, 0 updated, 0 unchanged); short name 政府工作报告",
        "reporting rule in the notice: 每月20日前 (month, due day 20): applied",
        "deadlines: 1 task(s) due before the year's end",
        "responsible leaders: named for 1 task(s)",
        "unit names read as: 发改委 → 市发改委",
    ]
    assert err.splitlines() == [
        "warning: no document number found: the plan is known by its title "
        "'2025年市政府工作报告重点任务分解表'",
        "warning: row 5: task 2's deadline '长期坚持' is kept as written (the year's end counts)",
        "warning: 1 unit(s) not in the directory (imported as written): 江宁",
        "warning: 江宁 could be 江宁区政府 / 江宁开发区管委会 / 江宁高新区管委会 "
        "(imported as written; write the unit's full name)",
    ]
    code, out, _ = run(capsys, "plan", "--json")
    tasks = json.loads(out)["sections"][0]["tasks"]
    assert [(t["deadline"], t["deadline_text"], t["leader"]) for t in tasks] == [
        ("2025-06-30", "6月底前", "张副市长"),
        ("2025-12-31", "长期坚持", ""),
    ]
    code, out, _ = run(capsys, "plans")
    assert "month, due day 20" in out


def test_the_operators_period_wins_over_the_notice(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = _write(tmp_path, "分解表.xlsx", xlsx_bytes(("任务分解表", TABLE)))
    code, out, err = run(capsys, "import", plan, "--period", "quarter", "--due-day", "10")
    assert code == 0, err
    assert (
        "reporting rule in the notice: 每月20日前 (month, due day 20): "
        "not applied (--period quarter --due-day 10)"
    ) in out.splitlines()
    code, out, _ = run(capsys, "plans")
    assert "quarter, due day 10" in out


def test_import_a_word_notice_with_its_table(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table = [("序号", "重点任务", "责任单位"), ("1", "推进重大项目", "市发改委、市建委")]
    plan = _write(tmp_path, "通知.docx", docx_bytes(NOTICE, [table]))
    code, out, err = run(capsys, "import", plan)
    assert code == 0, err
    assert "the first-listed unit of each task leads (列第一位的为牵头单位)" in out.splitlines()
    code, out, _ = run(capsys, "plan", "--json")
    task = json.loads(out)["sections"][0]["tasks"][0]
    assert (task["lead_units"], task["co_units"]) == (["市发改委"], ["市建委"])


def test_first_unit_leads_by_flag(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = small_plan("1.推进县域经济。(市发改委、各区县(市)政府)")
    plan = tmp_path / "plan.txt"
    plan.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "import", str(plan), "--first-unit-leads")
    assert code == 0, err
    code, out, _ = run(capsys, "plan", "--json")
    task = json.loads(out)["sections"][0]["tasks"][0]
    assert (task["lead_units"], task["co_units"]) == (["市发改委"], ["各区县(市)政府"])


def test_dry_run_prints_the_preview_and_writes_nothing(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = _write(tmp_path, "分解表.xlsx", xlsx_bytes(("任务分解表", TABLE)))
    code, out, err = run(capsys, "import", "--dry-run", plan)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "dry run: nothing was written"
    assert lines[2:4] == ["new tasks: 1-2", "new units (4): 市发改委、市统计局、市建委、江宁"]
    assert "deadlines: 1 task(s) due before the year's end" in lines
    code, _, err = run(capsys, "plan")
    assert code == 1 and "no plan imported yet" in err
    # After a real import, a dry run of a corrected file lists what changes.
    assert run(capsys, "import", plan)[0] == 0
    corrected = [*TABLE[:4], [2, "推进重大项目建设。", None, "市建委", "江宁区政府", "长期坚持"]]
    fixed = _write(tmp_path, "fixed.xlsx", xlsx_bytes(("任务分解表", corrected)))
    code, out, _ = run(capsys, "import", "--dry-run", fixed)
    assert "updated tasks: 2" in out.splitlines()
    code, out, _ = run(capsys, "plan", "--json")
    assert json.loads(out)["sections"][0]["tasks"][1]["text"] == "推进重大项目。"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "is an old-format Word"),
        ("plan.wps", b"anything", "a .wps file cannot be imported"),
        ("plan.pdf", b"%PDF-1.7", "a .pdf file cannot be imported"),
        ("plan.docx", b"PK\x03\x04broken", "cannot be read: the file is damaged"),
        (
            "plan.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "is password-protected",
        ),
    ],
)
def test_unreadable_files_are_one_line(
    cli_db: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    code, out, err = run(capsys, "import", _write(tmp_path, name, data))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_a_table_in_disorder_is_refused_by_row(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [*TABLE[:4], [1, "重复", None, "市建委", None, None]]
    plan = _write(tmp_path, "plan.xlsx", xlsx_bytes(("表", rows)))
    code, out, err = run(capsys, "import", plan)
    assert code == 1 and out == ""
    assert err == (
        f"duban: error: {plan}: row 5: task 1 appears twice (first on row 4); "
        "nothing was imported\n"
    )


def test_the_seed_as_a_docx_imports_as_its_text_does(
    cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Seen: a .docx was refused as "neither UTF-8 nor GB18030 text".
    seed = _write(tmp_path, "宁政发〔2021〕16号.docx", docx_bytes(SEED_TEXT.splitlines()))
    code, out, err = run(capsys, "import", seed)
    assert (code, err) == (0, "")
    assert out == (
        "宁政发〔2021〕16号 (2021): 11 sections, 100 tasks, 86 units "
        "(100 new, 0 updated, 0 unchanged); short name 政府工作报告\n"
    )
    code, out, _ = run(capsys, "import", str(DEFAULT_PLAN))
    assert "(0 new, 0 updated, 100 unchanged)" in out

"""Plan files: text, Word and Excel read; everything else refused in one line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.plan.documents import parse_source
from bot.plan.parser import parse_plan
from bot.plan.sources import PlanFileError, read_plan_bytes, read_plan_file
from tests.factories.files import HEADER, docx_bytes, xlsx_bytes
from tests.factories.plans import SEED_TEXT


def test_a_docx_of_the_seeds_paragraphs_reads_exactly_as_its_text() -> None:
    source = read_plan_bytes(docx_bytes(SEED_TEXT.splitlines()), "宁政发16号.docx")
    assert source.kind == "docx" and not source.tables
    text_source = read_plan_bytes(SEED_TEXT.encode("utf-8"), "nanjing.txt")
    assert source.fingerprint() == text_source.fingerprint()
    assert parse_source(source) == parse_plan(SEED_TEXT)


def test_text_files_as_before(tmp_path: Path) -> None:
    gb = tmp_path / "plan.txt"
    gb.write_bytes(SEED_TEXT.encode("gb18030"))
    assert read_plan_file(gb).paragraphs == SEED_TEXT.splitlines()
    bare = tmp_path / "plan"
    bare.write_text(SEED_TEXT, encoding="utf-8-sig")
    assert read_plan_file(bare).text == SEED_TEXT.rstrip("\n")


def test_content_decides_over_a_misleading_name() -> None:
    # A Word file someone renamed .txt (or .doc) is still read as Word.
    data = docx_bytes(["第一段", "第二段"])
    assert read_plan_bytes(data, "plan.txt").paragraphs == ["第一段", "第二段"]
    assert read_plan_bytes(data, "plan.doc").kind == "docx"


def test_word_tables_keep_their_cells_in_grid_places() -> None:
    data = docx_bytes(
        ["标题"], [[HEADER, ["一、稳增长"], [1, "任务", "张三", "市发改委", "", ""]]]
    )
    [table] = read_plan_bytes(data, "plan.docx").tables
    assert table.after == 1
    assert table.rows[0] == list(HEADER)
    # A row merged across: its text once, the places it covers empty.
    assert table.rows[1] == ["一、稳增长", None, None, None, None, None]
    assert table.rows[2][:4] == ["1", "任务", "张三", "市发改委"]


def test_excel_sheets_are_tables_and_hidden_ones_are_skipped() -> None:
    data = xlsx_bytes(("任务表", [HEADER, [1, "任务"]]), ("旧表", [["x"]]), hidden=["旧表"])
    source = read_plan_bytes(data, "plan.xlsx")
    assert [t.name for t in source.tables] == ["sheet 任务表"]
    assert source.tables[0].rows[1][:2] == [1, "任务"]


@pytest.mark.parametrize("suffix", [".doc", ".wps", ".pdf", ".xls", ".et", ".odt", ".csv"])
def test_other_formats_are_refused_in_one_line(suffix: str) -> None:
    with pytest.raises(PlanFileError) as info:
        read_plan_bytes(b"whatever is inside", f"plan{suffix}")
    message = str(info.value)
    assert "\n" not in message
    assert message == (
        f"plan{suffix}: a {suffix} file cannot be imported; open it in Word, WPS or Excel, "
        "save it as .docx or .xlsx, and import that"
    )


def test_old_office_and_pdf_content_is_refused_whatever_the_name() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    for name in ("plan.txt", "plan.doc", "plan.wps"):
        with pytest.raises(PlanFileError, match=rf"^{name} is an old-format Word, Excel or WPS"):
            read_plan_bytes(ole, name)
    with pytest.raises(PlanFileError, match=r"a \.pdf file cannot be imported"):
        read_plan_bytes(b"%PDF-1.7 ...", "plan.docx")


def test_password_protected_files_are_refused_in_one_line() -> None:
    # Office saves an encrypted .docx/.xlsx as an OLE container holding an EncryptedPackage.
    encrypted = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(504)
        + "EncryptedInfo".encode("utf-16-le")
        + "EncryptedPackage".encode("utf-16-le")
    )
    for name in ("plan.docx", "plan.xlsx"):
        with pytest.raises(PlanFileError) as info:
            read_plan_bytes(encrypted, name)
        assert str(info.value) == (
            f"{name} is password-protected: save a copy without the password and import that"
        )


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"not a zip at all", "plan.docx", "plan.docx cannot be read: the .docx file is damaged"),
        (b"PK\x03\x04 truncated", "plan.xlsx", "plan.xlsx cannot be read: the file is damaged"),
    ],
)
def test_damaged_files_are_refused_in_one_line(data: bytes, name: str, message: str) -> None:
    with pytest.raises(PlanFileError) as info:
        read_plan_bytes(data, name)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_a_zip_whose_word_part_is_broken_is_damaged() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(PlanFileError) as info:
        read_plan_bytes(out.getvalue(), "plan.docx")
    assert str(info.value).startswith("plan.docx cannot be read: the .docx file is damaged (")
    assert "\n" not in str(info.value)

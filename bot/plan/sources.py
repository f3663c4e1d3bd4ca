"""Plan files as the importer reads them: text, a Word document (.docx: paragraphs and tables,
in order) or an Excel workbook (.xlsx: a table a sheet), told apart by their content first.

Anything else (.doc, .wps, .pdf …), a damaged file or a password-protected one is refused in
one line that says what to do.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

Cell = str | int | float | date | datetime | None

_ZIP = b"PK\x03\x04"
# Old Office files (.doc, .xls, .wps, .et) and password-protected new ones are OLE containers.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_TEXT_SUFFIXES = {"", ".txt", ".text"}
_WORD_SUFFIXES = {".docx", ".docm"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
# A zip that unpacks to more than this is not a plan (and could be a zip bomb).
_MAX_UNPACKED = 200 * 1024 * 1024
# A sheet's rows stop after this many empty ones in a row (formatting can reach row 1,048,576).
_EMPTY_ROWS_TO_STOP = 500


class PlanFileError(ValueError):
    """The plan file cannot be read."""


@dataclass(frozen=True)
class Table:
    """A table of the document, rows of cells (None: empty, or covered by a merged cell);
    `name` says where it is (table 2, sheet 任务表), `after` how many paragraphs precede it."""

    name: str
    rows: list[list[Cell]]
    after: int = 0


@dataclass(frozen=True)
class PlanSource:
    """A plan file's content: its paragraphs (a text file's lines) and its tables, in order."""

    name: str
    kind: str  # text, docx or xlsx
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The paragraphs as one text."""
        return "\n".join(self.paragraphs)

    def fingerprint(self) -> str:
        """SHA-256 of what was read (a .docx of the same paragraphs as a text file has the
        same one, so importing either after the other changes nothing)."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        for table in self.tables:
            for row in table.rows:
                digest.update(
                    ("\n" + "\t".join("" if c is None else str(c) for c in row)).encode()
                )
        return digest.hexdigest()


def text_source(text: str, name: str = "plan.txt") -> PlanSource:
    """A plan given as text, a paragraph a line as an editor numbers them (str.splitlines
    would also break at control characters such as \x1e and hide them)."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and not lines[-1]:
        lines.pop()  # the file's final line end
    return PlanSource(name=name, kind="text", paragraphs=lines)


def read_plan_file(path: Path) -> PlanSource:
    """Read a plan file from disk."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise PlanFileError(f"plan file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise PlanFileError(f"plan path is a folder, not a file: {path}") from exc
    except OSError as exc:
        raise PlanFileError(f"cannot read plan file {path}: {exc.strerror}") from exc
    return read_plan_bytes(data, str(path))


def read_plan_bytes(data: bytes, name: str) -> PlanSource:
    """Read a plan file's bytes; `name` (the file's name) is for messages and its suffix."""
    suffix = Path(name).suffix.lower()
    if data.startswith(_ZIP):
        return _read_zip(data, name)
    if data.startswith(_OLE):
        if _ENCRYPTED in data:
            raise PlanFileError(
                f"{name} is password-protected: save a copy without the password and import that"
            )
        raise PlanFileError(
            f"{name} is an old-format Word, Excel or WPS file (.doc, .xls, .wps, .et): open it "
            "in Word, WPS or Excel, save it as .docx or .xlsx, and import that"
        )
    if data.startswith(b"%PDF"):
        raise _save_as(name, ".pdf")
    if suffix in _WORD_SUFFIXES | _EXCEL_SUFFIXES:
        raise PlanFileError(f"{name} cannot be read: the {suffix} file is damaged")
    if suffix not in _TEXT_SUFFIXES:
        raise _save_as(name, suffix)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return text_source(data.decode(encoding), name)
        except UnicodeDecodeError:
            continue
    raise PlanFileError(f"plan file {name} is neither UTF-8 nor GB18030 text")


def _save_as(name: str, suffix: str) -> PlanFileError:
    return PlanFileError(
        f"{name}: a {suffix} file cannot be imported; open it in Word, WPS or Excel, save it "
        "as .docx or .xlsx, and import that"
    )


def _read_zip(data: bytes, name: str) -> PlanSource:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            listed = {entry.filename for entry in entries}
            unpacked = sum(entry.file_size for entry in entries)
    except zipfile.BadZipFile as exc:
        raise PlanFileError(f"{name} cannot be read: the file is damaged ({exc})") from exc
    if unpacked > _MAX_UNPACKED:
        raise PlanFileError(f"{name} is too large to be a plan ({unpacked // 2**20} MB unpacked)")
    if "EncryptedPackage" in listed:
        raise PlanFileError(
            f"{name} is password-protected: save a copy without the password and import that"
        )
    try:
        if "word/document.xml" in listed:
            return _read_docx(data, name)
        if "xl/workbook.xml" in listed:
            return _read_xlsx(data, name)
    except PlanFileError:
        raise
    except Exception as exc:  # any reader failure on a damaged file is one line, not a trace
        kind = "docx" if "word/document.xml" in listed else "xlsx"
        reason = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else type(exc).__name__
        raise PlanFileError(
            f"{name} cannot be read: the .{kind} file is damaged ({reason})"
        ) from exc
    raise _save_as(name, Path(name).suffix.lower() or ".zip")


def _read_docx(data: bytes, name: str) -> PlanSource:
    import docx  # imported here: only a Word plan needs it
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    paragraphs: list[str] = []
    tables: list[Table] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            paragraphs.append(item.text)
        elif isinstance(item, DocxTable):
            rows = [_docx_row(tr) for tr in item._tbl.tr_lst]
            tables.append(Table(f"table {len(tables) + 1}", rows, after=len(paragraphs)))
    return PlanSource(name=name, kind="docx", paragraphs=paragraphs, tables=tables)


# WordprocessingML, read straight from the XML: python-docx's cell objects cost a second for a
# 2,000-row table, this a tenth of that.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT, _TAB, _BREAKS = f"{_W}t", f"{_W}tab", (f"{_W}br", f"{_W}cr")


def _docx_row(tr: Any) -> list[Cell]:
    """A Word table row's cells on the table's grid: a merged cell's text in its first place,
    None in the places it covers (to the right, and below for a vertical merge)."""
    cells: list[Cell] = [None] * _grid(tr.find(f"{_W}trPr"), "gridBefore", 0)
    for tc in tr.iterchildren(f"{_W}tc"):
        properties = tc.find(f"{_W}tcPr")
        merge = properties.find(f"{_W}vMerge") if properties is not None else None
        covered = merge is not None and merge.get(f"{_W}val", "continue") == "continue"
        cells.append(None if covered else _cell_text(tc))
        cells.extend([None] * (_grid(properties, "gridSpan", 1) - 1))
    return cells


def _grid(properties: Any, name: str, default: int) -> int:
    """A row's or cell's grid property (gridBefore, gridSpan), or the default."""
    found = properties.find(f"{_W}{name}") if properties is not None else None
    value = found.get(f"{_W}val") if found is not None else None
    return int(value) if value and value.isdigit() else default


def _cell_text(tc: Any) -> str:
    """A cell's text: a line a paragraph, and a line a break."""
    lines = []
    for paragraph in tc.iter(f"{_W}p"):
        parts = []
        for node in paragraph.iter(_TEXT, _TAB, *_BREAKS):
            tag = node.tag
            parts.append(node.text or "" if tag == _TEXT else "\t" if tag == _TAB else "\n")
        lines.append("".join(parts))
    return "\n".join(lines)


def _read_xlsx(data: bytes, name: str) -> PlanSource:
    import openpyxl  # imported here: only an Excel plan needs it

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        tables = [
            Table(f"sheet {sheet.title}", _sheet_rows(sheet))
            for sheet in book.worksheets
            if sheet.sheet_state == "visible"
        ]
    finally:
        book.close()
    return PlanSource(name=name, kind="xlsx", tables=tables)


def _sheet_rows(sheet: Any) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    empty = 0
    for values in sheet.iter_rows(values_only=True):
        row = [None if v is None or (isinstance(v, str) and not v.strip()) else v for v in values]
        empty = 0 if any(c is not None for c in row) else empty + 1
        if empty >= _EMPTY_ROWS_TO_STOP:
            break
        rows.append(row)
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    return rows

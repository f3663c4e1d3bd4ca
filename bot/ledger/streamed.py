"""Sheets' rows written by the ledger itself and spliced into XlsxWriter's file on saving.

At city scale the history sheet holds every report version of the year: 200,000 rows, two
million cells, and the section sheets 10,000 tasks. Through XlsxWriter each cell is a call, a
dimension check and a few regular expressions — 14 s of a city's export before anything was
read. Here a row is one string. XlsxWriter still writes everything else (styles, the small
sheets, each streamed sheet's header, widths and frozen row); `splice` puts the rows into their
sheets when the workbook is saved. Cells are
written as XlsxWriter writes them in constant-memory mode (inline strings, numbers as %.16G,
Excel serial date-times, control characters as _xHHHH_), so the workbook reads the same —
except that text which looks like XlsxWriter's rich-string markup is escaped like any other.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import IO
from xml.etree import ElementTree

from xlsxwriter.utility import xl_col_to_name

MAX_CELL_UNITS = 32767  # Excel's limit for a cell's text, in UTF-16 code units
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system, past its 1900 leap bug
FLUSH_ROWS = 2_000
COPY_BYTES = 1 << 20
# The history's rows are deflated at level 3, not 6: 0.5 s instead of 1.3 s for a city's year
# (114 MB of XML), 12.1 MB instead of 10.6 MB.
ROWS_COMPRESSION = 3
ZIP64_FROM = 1 << 30  # rows past a gigabyte get ZIP64 sizes (not needed below, and not used)
# Written where a cell's style index goes before the workbook's styles exist (control
# characters, so never part of a cell's escaped text); replaced on splicing by the index of
# the style XlsxWriter wrote for: date-times in the workbook's time format, and wrapped text
# aligned to the top. Each must be some column's style, so that XlsxWriter writes it.
TIME_STYLE = "\x01"
WRAP_STYLE = "\x02"

_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_EDGE_SPACE = re.compile(r"^\s|\s$")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def escape_text(value: str) -> str:
    """Cell text as XML, the way Excel escapes it: control characters as _xHHHH_, a literal
    _xHHHH_ kept literal, &, < and >."""
    if len(value) > MAX_CELL_UNITS // 2 and len(value.encode("utf-16-le")) > 2 * MAX_CELL_UNITS:
        value = value.encode("utf-16-le")[: 2 * MAX_CELL_UNITS].decode("utf-16-le", "ignore")
    if not _SPECIAL.search(value):
        return value
    value = _LITERAL_ESCAPE.sub(r"_x005F\1", value)
    value = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", value)
    value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_string(value: str) -> str:
    """A text cell's content (after its `t="inlineStr"` attribute)."""
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(value) else ""
    return f"<is><t{space}>{escape_text(value)}</t></is>"


def text_cell(ref: str, value: str, style: str = "") -> str:
    """An inline-string cell, in a style (a mark above) or the default one."""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled} t="inlineStr">{inline_string(value)}</c>'


class TextCells(dict[str, str]):
    """Text cells' contents by their text, for texts that recur (names, labels): escaped once."""

    def __missing__(self, value: str) -> str:
        content = self[value] = inline_string(value)
        return content

    def cell(self, ref: str, value: str) -> str:
        """An inline-string cell of a recurring text."""
        return f'<c r="{ref}" t="inlineStr">{self[value]}</c>'


def number_cell(ref: str, value: float, style: str = "") -> str:
    """A number cell, in a style (a mark above) or the default one (General)."""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled}><v>{value:.16G}</v></c>'


def time_cell(ref: str, moment: datetime) -> str:
    """A naive date-time as an Excel serial number, in the workbook's date-time style."""
    delta = moment - EXCEL_EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return f'<c r="{ref}" s="{TIME_STYLE}"><v>{serial:.16G}</v></c>'


class StreamedRows:
    """The rows of one sheet below its header, kept in a temporary file until `splice`."""

    def __init__(self, sheet_name: str, columns: int) -> None:
        self.sheet_name = sheet_name
        self.columns = columns
        self.letters = [xl_col_to_name(i) for i in range(columns)]
        self.rows = 0  # below the header
        # Open until `splice` (or until the workbook is dropped): rows outlive any one call.
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._pending: list[str] = []

    def add(self, cells: Sequence[str]) -> None:
        """One row of cells built with `text_cell`, `number_cell` and `time_cell` for this row
        (`ref(column)` names them)."""
        self._pending.append(f'<row r="{self.rows + 2}">{"".join(cells)}</row>')
        self.rows += 1
        if len(self._pending) >= FLUSH_ROWS:
            self._flush()

    def next_row(self) -> str:
        """The next row's number as Excel writes it (1-based, the header being 1)."""
        return str(self.rows + 2)

    def _flush(self) -> None:
        self._file.write("".join(self._pending).encode("utf-8"))
        self._pending.clear()

    def write_into(self, sheet: IO[bytes], xml: bytes, styles: dict[bytes, bytes]) -> None:
        """XlsxWriter's `xml` of this sheet, these rows after its header row, into `sheet`."""
        self._flush()
        head, sheet_data_end, tail = xml.partition(b"</sheetData>")
        if not sheet_data_end:
            raise ValueError(f"sheet {self.sheet_name!r} has no rows to append to")
        last = f"{xl_col_to_name(self.columns - 1)}{self.rows + 1}"
        sheet.write(_DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), head, count=1))
        self._file.seek(0)
        while chunk := self._file.read(COPY_BYTES):
            for mark, index in styles.items():
                chunk = chunk.replace(mark, index)
            sheet.write(chunk)
        sheet.write(sheet_data_end + tail)

    def size(self) -> int:
        """The bytes of rows written so far."""
        self._flush()
        return self._file.tell()

    def close(self) -> None:
        """Drop the rows."""
        self._file.close()


def splice(
    book: IO[bytes], target: IO[bytes], sheets: Sequence[StreamedRows], *, time_format: str
) -> None:
    """Copy XlsxWriter's finished workbook `book` to `target` with each streamed sheet's rows
    after its header row, their style marks replaced by the workbook's styles."""
    try:
        with (
            zipfile.ZipFile(book) as source,
            zipfile.ZipFile(
                target, "w", zipfile.ZIP_DEFLATED, compresslevel=ROWS_COMPRESSION
            ) as out,
        ):
            parts = {_sheet_part(source, rows.sheet_name): rows for rows in sheets}
            styles = _styles(source, time_format)
            for info in source.infolist():
                rows = parts.get(info.filename)
                if rows is None:
                    out.writestr(info, source.read(info))
                    continue
                zip64 = rows.size() > ZIP64_FROM
                with out.open(info.filename, "w", force_zip64=zip64) as sheet:
                    rows.write_into(sheet, source.read(info), styles)
    finally:
        for rows in sheets:
            rows.close()


def _sheet_part(book: zipfile.ZipFile, name: str) -> str:
    """The zip member holding the sheet called `name` (through the workbook's relationships)."""
    # XlsxWriter's own parts, written a moment ago in this process: not untrusted input.
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))  # noqa: S314
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(_PACKAGE_REL)}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        if sheet.get("name") == name:
            target = targets[sheet.get(_REL)]
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise LookupError(f"no sheet {name!r} in the workbook")


def _styles(book: zipfile.ZipFile, time_format: str) -> dict[bytes, bytes]:
    """Each style mark and the index of the first cell style XlsxWriter wrote for it."""
    styles = ElementTree.fromstring(book.read("xl/styles.xml"))  # noqa: S314 - XlsxWriter's
    time_ids = {
        fmt.get("numFmtId")
        for fmt in styles.iter(f"{_MAIN}numFmt")
        if fmt.get("formatCode") == time_format
    }
    found: dict[str, int] = {}
    cell_xfs = styles.find(f"{_MAIN}cellXfs")
    for index, xf in enumerate(cell_xfs if cell_xfs is not None else ()):
        align = xf.find(f"{_MAIN}alignment")
        wrapped_top = (
            align is not None and align.get("wrapText") == "1" and align.get("vertical") == "top"
        )
        plain = xf.get("numFmtId") == "0" and xf.get("fontId") == "0" and xf.get("fillId") == "0"
        if xf.get("numFmtId") in time_ids:
            found.setdefault(TIME_STYLE, index)
        elif wrapped_top and plain:
            found.setdefault(WRAP_STYLE, index)
    missing = {TIME_STYLE, WRAP_STYLE} - set(found)
    if missing:
        raise LookupError(f"the workbook has no style for {sorted(map(ord, missing))}")
    return {mark.encode(): str(index).encode() for mark, index in found.items()}

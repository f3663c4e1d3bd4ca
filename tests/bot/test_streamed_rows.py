"""Rows written by bot/ledger/streamed.py read exactly as XlsxWriter's own rows do."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from bot.ledger.streamed import WRAP_STYLE, StreamedRows, number_cell, splice, text_cell, time_cell

TIME_FORMAT = "yyyy-mm-dd hh:mm"
# What liaisons and imported plans put in cells: markup characters, control characters, text
# that looks like Excel's own escapes, edge spaces, emoji, and text past Excel's cell limit.
TEXTS = [
    '市发改委 & 市财政局 <协办> "已完成"',
    "ctl\x01\x08\x0b\x1fend",
    "_x0041_ is not A",
    " leading space",
    "trailing space ",
    "tab\there\nand a new line\r\nand CR",
    "non-characters \ufffe\uffff",
    "进度 🙂 正常",
    "长" * 40_000,
    "😀" * 20_000,  # 40,000 UTF-16 units: cut at 32,767 like XlsxWriter does
]
MOMENTS = [datetime(2026, 6, 12, 10, 10), datetime(2026, 12, 31, 23, 59, 59, 500_000)]


def _formats(book: xlsxwriter.Workbook) -> tuple[Any, Any]:
    """The workbook's header, date-time and wrapped-text styles, as the ledger makes them."""
    book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter"})
    time = book.add_format({"num_format": TIME_FORMAT, "valign": "top"})
    return time, book.add_format({"text_wrap": True, "valign": "top"})


def _reference(texts: list[str]) -> bytes:
    """The sheet as XlsxWriter writes it cell by cell, and an empty second sheet."""
    data = io.BytesIO()
    book = xlsxwriter.Workbook(data, {"constant_memory": True, "strings_to_numbers": False})
    time, wrap = _formats(book)
    sheet = book.add_worksheet("记录")
    sheet.set_column(0, 0, 17, time)
    sheet.set_column(2, 2, 40, wrap)
    sheet.write_row(0, 0, ["时间", "编号", "内容"])
    for row, text in enumerate(texts, start=1):
        sheet.write_datetime(row, 0, MOMENTS[row % 2], time)
        sheet.write_number(row, 1, row * 1.5)
        sheet.write_string(row, 2, text, wrap)
    book.add_worksheet("空").write_row(0, 0, ["时间", "编号", "内容"])
    book.close()
    return data.getvalue()


def _streamed(texts: list[str]) -> bytes:
    """The same sheet with its rows streamed and spliced, and the same empty second sheet."""
    draft, data = io.BytesIO(), io.BytesIO()
    book = xlsxwriter.Workbook(draft, {"constant_memory": True})
    time, wrap = _formats(book)
    sheet = book.add_worksheet("记录")
    sheet.set_column(0, 0, 17, time)
    sheet.set_column(2, 2, 40, wrap)
    sheet.write_row(0, 0, ["时间", "编号", "内容"])
    book.add_worksheet("空").write_row(0, 0, ["时间", "编号", "内容"])
    book.close()
    rows = StreamedRows("记录", 3)
    for row, text in enumerate(texts, start=1):
        at = rows.next_row()
        rows.add(
            [
                time_cell(f"A{at}", MOMENTS[row % 2]),
                number_cell(f"B{at}", row * 1.5),
                text_cell(f"C{at}", text, WRAP_STYLE),
            ]
        )
    draft.seek(0)
    splice(draft, data, [rows], time_format=TIME_FORMAT)
    return data.getvalue()


def _read(data: bytes) -> dict[str, Any]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {
        sheet.title: (
            sheet.dimensions,
            [
                [
                    (c.value, c.number_format, c.alignment.wrap_text, c.alignment.vertical)
                    for c in row
                ]
                for row in sheet.iter_rows()
            ],
        )
        for sheet in book.worksheets
    }


def test_streamed_rows_read_as_xlsxwriter_writes_them() -> None:
    data = _streamed(TEXTS)
    streamed, reference = _read(data), _read(_reference(TEXTS))
    assert streamed == reference
    _dimensions, rows = streamed["记录"]
    # The sheet's stated extent (what Excel and readers size the sheet by) covers every row.
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert (
            f'<dimension ref="A1:C{len(TEXTS) + 1}"/>'
            in book.read("xl/worksheets/sheet1.xml").decode()
        )
    assert rows[1][0] == (MOMENTS[1], TIME_FORMAT, None, "top")
    assert rows[1][2][2:] == (True, "top")  # wrapped text aligned to the top
    assert rows[1][2][0] == TEXTS[0]  # markup characters come back as written
    assert len(rows[9][2][0]) == 32_767


def test_text_that_looks_like_markup_stays_text() -> None:
    # XlsxWriter would write <r>…</r> as rich-text markup, unescaped (a liaison's text could
    # break the file); the streamed rows escape it like any other text.
    texts = ["<r><t>加粗</t></r>", "<r>未闭合"]
    _dimensions, rows = _read(_streamed(texts))["记录"]
    assert [row[2][0] for row in rows[1:]] == texts


def test_a_sheet_missing_from_the_workbook_is_named() -> None:
    draft = io.BytesIO()
    book = xlsxwriter.Workbook(draft, {"constant_memory": True})
    book.add_worksheet("其他").write_row(0, 0, ["a"])
    book.close()
    draft.seek(0)
    with pytest.raises(LookupError, match="记录"):
        splice(draft, io.BytesIO(), [StreamedRows("记录", 1)], time_format=TIME_FORMAT)

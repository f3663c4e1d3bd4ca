"""Plan files as offices send them, built in the tests: Word documents and Excel workbooks."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import docx
import openpyxl

Rows = Sequence[Sequence[Any]]
# The task table most cities attach to the notice (任务分解表).
HEADER = ("序号", "工作任务", "责任领导", "牵头单位", "责任单位", "完成时限")
NOTICE = (
    "某市人民政府关于印发2025年政府工作报告重点任务分解方案的通知",
    "某政发〔2025〕8号",
    "各区人民政府,市各委办局:",
    "一、各级各部门要高度重视,对照分工抓好落实。",
    "二、责任分解中,列第一位的责任单位为牵头单位,其他为配合单位。",
    "三、请于每月20日前报送进展情况。",
    "附件",
    "2025年政府工作报告重点任务分解表",
)


def docx_bytes(
    paragraphs: Sequence[str] = (), tables: Sequence[Rows] = (), *, merge_rows: bool = True
) -> bytes:
    """A .docx: the paragraphs, then each table; a table row of one value becomes one cell
    merged across the row (as Word writes a section row) when `merge_rows`."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for rows in tables:
        width = max(len(row) for row in rows)
        table = document.add_table(rows=len(rows), cols=width)
        for r, row in enumerate(rows):
            if merge_rows and len(row) == 1 and width > 1:
                table.cell(r, 0).merge(table.cell(r, width - 1)).text = str(row[0])
                continue
            for c, value in enumerate(row):
                if value is not None:
                    table.cell(r, c).text = str(value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(*sheets: tuple[str, Rows], hidden: Sequence[str] = ()) -> bytes:
    """An .xlsx with a sheet per (title, rows); a row of one value is merged across the row
    (a section or title row), as offices format them."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        width = max(len(row) for row in rows)
        for r, row in enumerate(rows, start=1):
            sheet.append(list(row))
            if len(row) == 1 and width > 1:
                sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        if title in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""The ledger as an .xlsx workbook, written row by row (openpyxl's write-only mode).

Sheets: one per section (task, units, light, latest report), every report version, and unit
reporting rates. Rows go to disk as they come, so the history can be streamed from the
database without holding it in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.i18n import Lang, t
from bot.ledger.model import Ledger
from bot.lights import ReportStatus

STATUSES = tuple(status.value for status in ReportStatus)
INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_FONT = Font(bold=True)
_HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
_WRAP = Alignment(wrap_text=True, vertical="top")

TASK_COLUMNS = (
    ("number", 6),
    ("task", 60),
    ("lead", 24),
    ("co", 30),
    ("light", 8),
    ("status", 12),
    ("percent", 8),
    ("text", 50),
    ("reporter", 12),
    ("time", 17),
)
HISTORY_COLUMNS = (
    ("time", 17),
    ("number", 6),
    ("unit", 20),
    ("role", 8),
    ("status", 12),
    ("percent", 8),
    ("text", 60),
    ("reporter", 12),
    ("review", 10),
    ("current", 8),
)
RATE_COLUMNS = (
    ("rank", 6),
    ("unit", 24),
    ("owed", 10),
    ("reported", 10),
    ("on_time", 10),
    ("rate", 10),
    ("liaison", 10),
)


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(tz):%Y-%m-%d %H:%M}"


class LedgerWorkbook:
    """A write-only workbook: the section sheets and rates from a Ledger, history appended as it
    is read, then saved once."""

    def __init__(self, ledger: Ledger, *, lang: Lang, tz: ZoneInfo) -> None:
        self.ledger, self.lang, self.tz = ledger, lang, tz
        self.book = Workbook(write_only=True)
        self._used: set[str] = set()
        self.history_rows = 0
        # The catalog's words for every role, status and review, looked up once.
        self._labels = {
            key: t(lang, key)
            for key in (
                *(f"role.{r}" for r in ("lead", "co")),
                *(f"status.{s}" for s in STATUSES),
                *(f"review.{r}" for r in ("pending", "accepted", "returned")),
                "ledger.yes",
            )
        }
        self._section_sheets()
        self._history = self._sheet(t(lang, "ledger.sheet.reports"), HISTORY_COLUMNS)
        self._rates = self._sheet(t(lang, "ledger.sheet.rates"), RATE_COLUMNS)

    def _sheet(self, title: str, columns: Sequence[tuple[str, int]]) -> Any:
        name = title.translate(INVALID_SHEET_CHARS)[:31]
        base, n = name, 2
        while name in self._used:
            name = f"{base[:28]}({n})"
            n += 1
        self._used.add(name)
        sheet = self.book.create_sheet(name)
        for col, (_key, width) in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for key, _width in columns:
            cell = WriteOnlyCell(sheet, t(self.lang, f"ledger.col.{key}"))
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
            header.append(cell)
        sheet.append(header)
        return sheet

    def _append(
        self,
        sheet: Any,
        values: Iterable[Any],
        *,
        wrap: bool = False,
        formats: dict[int, str] | None = None,
    ) -> None:
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(sheet, value)
            if formats and index in formats:
                cell.number_format = formats[index]
            if cell.data_type == "f":
                # Text such as =HYPERLINK(…) from a report or a Telegram name would run in the
                # coordinator's Excel (formula injection): the ledger has no formulas of its own.
                cell.data_type = "s"
            if wrap:
                cell.alignment = _WRAP
            cells.append(cell)
        sheet.append(cells)

    def _section_sheets(self) -> None:
        lang = self.lang
        for number, title in self.ledger.sections:
            sheet = self._sheet(f"{number}.{title}", TASK_COLUMNS)
            for row in (r for r in self.ledger.tasks if r.section == number):
                latest = row.latest
                values = [
                    row.number,
                    row.text,
                    "、".join(row.lead),
                    "、".join(row.co),
                    f"{row.light.emoji} {t(lang, f'light.{row.light.value}')}",
                    t(lang, f"status.{latest.status}") if latest else "",
                    latest.percent if latest and latest.percent is not None else "",
                    latest.text if latest else "",
                    (latest.sender if latest else None) or "",
                    _local(latest.created_at if latest else None, self.tz),
                ]
                self._append(sheet, values, wrap=True)

    def add_history(self, row: Sequence[Any]) -> None:
        """One report version: (created at, role, status, percent, text, review, is current,
        task number, unit, sender). Plain values (no cell objects): the history can run to
        hundreds of thousands of rows."""
        created, role, status, percent, text, review, current, number, unit, sender = row
        labels = self._labels
        values = [
            _local(created, self.tz),
            number,
            unit,
            labels[f"role.{role}"],
            labels[f"status.{status}"],
            percent if percent is not None else "",
            text,
            sender or "",
            labels[f"review.{review}"],
            labels["ledger.yes"] if current else "",
        ]
        if any(isinstance(v, str) and v.startswith("=") for v in values):
            self._append(self._history, values)  # keeps formula-like text as text
        else:
            self._history.append(values)
        self.history_rows += 1

    def save(self, target: str | IO[bytes]) -> None:
        """Write the rates sheet and the file; the workbook cannot be used afterwards."""
        lang = self.lang
        for rate in self.ledger.rates:
            values = [
                rate.rank,
                rate.unit,
                rate.owed,
                rate.reported,
                rate.on_time,
                round(rate.rate, 4),
                t(lang, "ledger.yes") if rate.has_liaison else t(lang, "ledger.no"),
            ]
            self._append(self._rates, values, formats={5: "0.0%"})
        self.book.save(target)

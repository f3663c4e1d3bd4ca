"""The ledger as an .xlsx workbook, written row by row (XlsxWriter in constant-memory mode).

Sheets: one per section (task, units, light, latest report), every report version, unit
reporting rates, and the targets against the time elapsed. Rows go to disk as they come, so
the history can be streamed from the database without holding it in memory. XlsxWriter rather
than openpyxl's write-only mode: the history of a city (200,000 versions, two million cells)
took 19 s to write with openpyxl and a third of that with XlsxWriter; the history's rows are
now written as XML by bot/ledger/streamed.py (a tenth of XlsxWriter's time) and spliced into
XlsxWriter's file on saving.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import xlsxwriter

from bot.i18n import Lang, t
from bot.ledger.model import Ledger
from bot.ledger.streamed import (
    WRAP_STYLE,
    StreamedRows,
    TextCells,
    number_cell,
    splice,
    text_cell,
    time_cell,
)
from bot.lights import ReportStatus
from bot.target_text import target_text, value_text

STATUSES = tuple(status.value for status in ReportStatus)
INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})
# Text is written as text: a report or a Telegram name such as =HYPERLINK(…) must never become
# a formula in the coordinator's Excel (formula injection); the ledger has none of its own.
OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}

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
TASK_COLUMNS_WITH_LEADER = (*TASK_COLUMNS[:4], ("leader", 12), *TASK_COLUMNS[4:])
# Every version, not only the latest: its own status and words.
HISTORY_COLUMNS = (
    ("time", 17),
    ("number", 6),
    ("unit", 20),
    ("role", 8),
    ("version_status", 12),
    ("percent", 8),
    ("version_text", 60),
    ("reporter", 12),
    ("review", 10),
    ("current", 8),
)
TARGET_COLUMNS = (
    ("number", 6),
    ("task", 30),
    ("metric", 30),
    ("target", 14),
    ("value", 14),
    ("progress", 10),
    ("elapsed", 10),
    ("rule", 12),
    ("light", 8),
    ("unit", 20),
    ("reporter", 12),
    ("time", 17),
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


# Report times are Excel date-times (sortable, filterable), shown as the office writes them.
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A stored moment in the plan's zone, without the zone (Excel's date-times have none)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).replace(tzinfo=None)


class LedgerWorkbook:
    """The section sheets and rates from plans' ledgers, the history appended as it is read,
    then saved once to `target` (a path or a binary file). With several plans, section sheets
    start with the plan's short name, and the history and rates have a plan column."""

    def __init__(
        self, ledgers: Sequence[Ledger], *, lang: Lang, tz: ZoneInfo, target: str | IO[bytes]
    ) -> None:
        self.ledgers, self.lang, self.tz = list(ledgers), lang, tz
        self.several = len(self.ledgers) > 1
        plan_column = (("plan", 14),) if self.several else ()
        self._target = target
        self._draft = io.BytesIO()  # XlsxWriter's file, before the history's rows go in
        self.book = xlsxwriter.Workbook(self._draft, OPTIONS)
        self._header = self.book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "vcenter"}
        )
        self._wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self._percent = self.book.add_format({"num_format": "0.0%"})
        self._time = self.book.add_format({"num_format": TIME_FORMAT, "valign": "top"})
        self._used: set[str] = set()
        self._next_row: dict[str, int] = {}  # constant-memory mode writes rows in order
        self._streamed: list[StreamedRows] = []  # sheets whose rows are spliced in on saving
        # The catalog's words for every role, status and review, looked up once.
        self._labels = {
            key: t(lang, key)
            for key in (
                *(f"role.{r}" for r in ("lead", "co")),
                *(f"status.{s}" for s in STATUSES),
                *(f"review.{r}" for r in ("pending", "accepted", "returned", "superseded")),
                "ledger.yes",
            )
        }
        self._section_sheets()
        history_columns = (*plan_column, *HISTORY_COLUMNS)
        self._history = self._streamed_sheet(
            t(lang, "ledger.sheet.reports"), history_columns, time_column=len(plan_column)
        )
        self._history_columns = self._history.letters[len(plan_column) :]
        self._names = TextCells()  # units, senders, labels and plans recur through the history
        self._rate_columns = (*plan_column, *RATE_COLUMNS)
        self._rates_sheet()
        self._targets_sheet((*plan_column, *TARGET_COLUMNS))

    def _sheet(
        self, title: str, columns: Sequence[tuple[str, int]], styles: Sequence[Any] = ()
    ) -> Any:
        """A sheet with its columns' widths (and styles, when given), its header row frozen."""
        name = title.translate(INVALID_SHEET_CHARS)[:31]
        base, n = name, 2
        while name in self._used:
            name = f"{base[:28]}({n})"
            n += 1
        self._used.add(name)
        sheet = self.book.add_worksheet(name)
        for col, (_key, width) in enumerate(columns):
            sheet.set_column(col, col, width, styles[col] if styles else None)
        sheet.freeze_panes(1, 0)
        headers = [t(self.lang, f"ledger.col.{key}") for key, _width in columns]
        sheet.write_row(0, 0, headers, self._header)
        self._next_row[name] = 1
        return sheet

    def _streamed_sheet(
        self,
        title: str,
        columns: Sequence[tuple[str, int]],
        *,
        time_column: int,
        wrap: bool = False,
    ) -> StreamedRows:
        """A sheet whose rows are written by bot/ledger/streamed.py. Its columns' own styles
        (report times; wrapped text) are its cells': that also puts those styles in the
        workbook, where the streamed rows find them."""
        other = self._wrap if wrap else None
        styles = [self._time if col == time_column else other for col in range(len(columns))]
        sheet = self._sheet(title, columns, styles)
        rows = StreamedRows(sheet.name, len(columns))
        self._streamed.append(rows)
        return rows

    def _append(self, sheet: Any, values: Sequence[Any], cell_format: Any = None) -> int:
        """Write the sheet's next row; returns its index."""
        row = self._next_row[sheet.name]
        sheet.write_row(row, 0, values, cell_format)
        self._next_row[sheet.name] = row + 1
        return row

    def _section_sheets(self) -> None:
        lang = self.lang
        for ledger in self.ledgers:
            prefix = f"{ledger.short_name}·" if self.several else ""
            # A plan naming responsible leaders (责任领导) shows them after the units.
            leaders = any(r.leader for r in ledger.tasks)
            columns = TASK_COLUMNS_WITH_LEADER if leaders else TASK_COLUMNS
            for number, title in ledger.sections:
                title = f"{prefix}{number}.{title}"
                sheet = self._streamed_sheet(
                    title, columns, time_column=len(columns) - 1, wrap=True
                )
                for row in (r for r in ledger.tasks if r.section == number):
                    latest = row.latest
                    values = [
                        row.number,
                        row.text,
                        "、".join(row.lead),
                        "、".join(row.co),
                        *([row.leader] if leaders else []),
                        f"{row.light.emoji} {t(lang, f'light.{row.light.value}')}",
                        t(lang, f"status.{latest.status}") if latest else "",
                        latest.percent if latest and latest.percent is not None else None,
                        latest.text if latest else "",
                        (latest.sender if latest else None) or "",
                    ]
                    at, letters = sheet.next_row(), sheet.letters
                    cells = [
                        text_cell(letters[col] + at, value, WRAP_STYLE)
                        if isinstance(value, str)
                        else number_cell(letters[col] + at, value, WRAP_STYLE)
                        for col, value in enumerate(values)
                        if value is not None and value != ""
                    ]
                    local = _local(latest.created_at if latest else None, self.tz)
                    if local is not None:
                        cells.append(time_cell(letters[len(values)] + at, local))
                    sheet.add(cells)

    def _write_time(self, sheet: Any, row: int, column: int, moment: datetime | None) -> None:
        """A report's time as an Excel date-time in the plan's zone (nothing when none)."""
        local = _local(moment, self.tz)
        if local is not None:
            sheet.write_datetime(row, column, local, self._time)

    def _rates_sheet(self) -> None:
        lang = self.lang
        sheet = self._sheet(t(lang, "ledger.sheet.rates"), self._rate_columns)
        first = 1 if self.several else 0
        for ledger in self.ledgers:
            plan = [ledger.short_name] if self.several else []
            for rate in ledger.rates:
                values = [*plan, rate.rank, rate.unit, rate.owed, rate.reported, rate.on_time]
                row = self._append(sheet, values)
                sheet.write_number(row, first + 5, round(rate.rate, 4), self._percent)
                liaison = t(lang, "ledger.yes") if rate.has_liaison else t(lang, "ledger.no")
                sheet.write_string(row, first + 6, liaison)

    def _targets_sheet(self, columns: Sequence[tuple[str, int]]) -> None:
        """Every target: its task, the target, the latest value, progress against the time
        elapsed (or the target), its light, and who reported it when."""
        lang = self.lang
        sheet = self._sheet(t(lang, "ledger.sheet.targets"), columns)
        first = 1 if self.several else 0
        for ledger in self.ledgers:
            plan = [ledger.short_name] if self.several else []
            for row in ledger.targets:
                standing, reported = row.standing, row.standing.reported
                light = standing.light
                values = [
                    *plan,
                    row.number,
                    row.title,
                    standing.target.metric,
                    target_text(standing.target),
                    value_text(lang, standing),
                    "",
                    "",
                    t(lang, f"targets.rule_name.{standing.rule}"),
                    f"{light.emoji} {t(lang, f'light.{light.value}')}" if light else "",
                    reported.unit if reported else "",
                    (reported.sender if reported else None) or "",
                ]
                index = self._append(sheet, values, self._wrap)
                self._write_time(sheet, index, len(values), reported.at if reported else None)
                if standing.progress is not None:
                    progress = round(float(standing.progress) / 100, 4)
                    sheet.write_number(index, first + 5, progress, self._percent)
                elapsed = round(float(standing.elapsed) / 100, 4)
                sheet.write_number(index, first + 6, elapsed, self._percent)

    @property
    def history_rows(self) -> int:
        """Report versions written to the history so far."""
        return self._history.rows

    def add_history(self, rows: Iterable[Sequence[Any]], ledger: Ledger) -> None:
        """Report versions of a ledger's plan, each (created at, role, status, percent, text,
        review, is current, task number, unit, sender). Only cells with a value are written:
        the history runs to millions of cells."""
        history, names, tz, labels = self._history, self._names, self.tz, self._labels
        plan = ledger.short_name if self.several else None
        time_, number_, unit_, role_, status_, percent_, text_, sender_, review_, current_ = (
            self._history_columns
        )
        for created, role, status, percent, text, review, current, number, unit, sender in rows:
            at = history.next_row()
            cells = [names.cell(f"A{at}", plan)] if plan else []
            local = _local(created, tz)
            if local is not None:
                cells.append(time_cell(time_ + at, local))
            cells.append(number_cell(number_ + at, number))
            if unit:
                cells.append(names.cell(unit_ + at, unit))
            cells.append(names.cell(role_ + at, labels[f"role.{role}"]))
            cells.append(names.cell(status_ + at, labels[f"status.{status}"]))
            if percent is not None:
                cells.append(number_cell(percent_ + at, percent))
            if text:
                cells.append(text_cell(text_ + at, text))
            if sender:
                cells.append(names.cell(sender_ + at, sender))
            # A version replaced by a later one in its period was never decided: not waiting.
            review = "superseded" if review == "pending" and not current else review
            cells.append(names.cell(review_ + at, labels[f"review.{review}"]))
            if current:
                cells.append(names.cell(current_ + at, labels["ledger.yes"]))
            history.add(cells)

    def save(self) -> None:
        """Write the file; the workbook cannot be used afterwards."""
        self.book.close()
        self._draft.seek(0)
        if isinstance(self._target, str):
            with open(self._target, "wb") as target:
                splice(self._draft, target, self._streamed, time_format=TIME_FORMAT)
        else:
            splice(self._draft, self._target, self._streamed, time_format=TIME_FORMAT)

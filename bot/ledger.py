"""The ledger (台账) for the monthly meeting: rows for every task and unit, and the workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.calendar.workdays import Calendar
from bot.i18n import Lang, t
from bot.lights import Light, LightThresholds, ReportStatus, aggregate_light, compute_light
from data.models import Plan, Report
from data.repo.contacts import liaisons_by_unit
from data.repo.periods import ensure_period
from data.repo.plans import plan_tree
from data.repo.reports import all_reports
from data.repo.tasks import Duty, current_reports, duties_of_units
from data.repo.units import units_by_ids

INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass
class TaskRow:
    """One task as the ledger shows it."""

    section: int
    number: int
    text: str
    lead: list[str]
    co: list[str]
    light: Light
    latest: Report | None
    reporter: str | None


@dataclass
class UnitRate:
    """A unit's reporting this period: tasks owed, reported, on time, and its rank."""

    unit: str
    owed: int
    reported: int
    on_time: int
    has_liaison: bool
    rank: int = 0

    @property
    def rate(self) -> float:
        """Share of owed tasks reported (0..1)."""
        return self.reported / self.owed if self.owed else 1.0


@dataclass
class Ledger:
    """Everything the workbook holds."""

    plan: Plan
    moment: PlanMoment
    sections: list[tuple[int, str]]
    tasks: list[TaskRow] = field(default_factory=list)
    reports: list[tuple[Report, int, str, str | None]] = field(default_factory=list)
    rates: list[UnitRate] = field(default_factory=list)


async def build_ledger(
    session: AsyncSession,
    *,
    plan: Plan,
    moment: PlanMoment,
    calendar: Calendar,
    thresholds: LightThresholds,
) -> Ledger:
    """Collect the ledger's rows for the period in force."""
    span = moment.span
    period = await ensure_period(
        session, plan_id=plan.id, kind=span.kind, start=span.start, end=span.end, due=moment.due
    )
    tree = await plan_tree(session, plan_id=plan.id)
    duties = await duties_of_units(session, plan_id=plan.id, unit_ids=None)
    lead_duties = [d for d in duties if d.role == "lead"]
    task_ids = [task.id for _s, tasks in tree for task in tasks]
    current = await current_reports(
        session, period_id=period.id, task_ids=task_ids, unit_ids={d.unit_id for d in duties}
    )
    history = await all_reports(session, plan_id=plan.id)
    senders = {r.id: sender for r, _n, _u, sender in history}
    ledger = Ledger(
        plan=plan,
        moment=moment,
        sections=[(s.number, s.title) for s, _tasks in tree],
        reports=history,
    )
    leads_of: dict[int, list[int]] = {}
    for duty in lead_duties:
        leads_of.setdefault(duty.task_id, []).append(duty.unit_id)
    for section, tasks in tree:
        for task in tasks:
            units = sorted(task.units, key=lambda tu: tu.position)
            mine = [current.get((task.id, u)) for u in leads_of.get(task.id, [])]
            light = aggregate_light(
                compute_light(
                    today=moment.today,
                    due=moment.due,
                    deadline=task.deadline or moment.year_end,
                    status=ReportStatus(r.status) if r else None,
                    percent=r.percent if r else None,
                    year_start=moment.year_start,
                    year_end=moment.year_end,
                    calendar=calendar,
                    thresholds=thresholds,
                )
                for r in mine
            )
            latest = max((r for r in mine if r), key=lambda r: r.created_at, default=None)
            ledger.tasks.append(
                TaskRow(
                    section=section.number,
                    number=task.number,
                    text=task.text,
                    lead=[tu.unit.name for tu in units if tu.role == "lead"],
                    co=[tu.unit.name for tu in units if tu.role == "co"],
                    light=light,
                    latest=latest,
                    reporter=senders.get(latest.id) if latest else None,
                )
            )
    ledger.rates = await _rates(session, lead_duties=lead_duties, current=current, moment=moment)
    return ledger


async def _rates(
    session: AsyncSession,
    *,
    lead_duties: list[Duty],
    current: dict[tuple[int, int], Report],
    moment: PlanMoment,
) -> list[UnitRate]:
    owed: dict[int, int] = {}
    for duty in lead_duties:
        owed[duty.unit_id] = owed.get(duty.unit_id, 0) + 1
    names = await units_by_ids(session, ids=owed)
    liaisons = await liaisons_by_unit(session, unit_ids=list(owed))
    rates = []
    for unit_id, count in owed.items():
        reports = [current.get((d.task_id, unit_id)) for d in lead_duties if d.unit_id == unit_id]
        done = [r for r in reports if r is not None]
        on_time = [r for r in done if r.first_submitted_at.date() <= moment.due]
        rates.append(
            UnitRate(
                unit=names[unit_id].name,
                owed=count,
                reported=len(done),
                on_time=len(on_time),
                has_liaison=bool(liaisons.get(unit_id)),
            )
        )
    rates.sort(key=lambda r: (-(r.on_time / r.owed if r.owed else 1), -r.rate, r.unit))
    for index, rate in enumerate(rates, start=1):
        rate.rank = index
    return rates


_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _sheet_title(text: str, used: set[str]) -> str:
    title = text.translate(INVALID_SHEET_CHARS)[:31]
    base, n = title, 2
    while title in used:
        title = f"{base[:28]}({n})"
        n += 1
    used.add(title)
    return title


def _header(sheet: object, headers: list[str], widths: list[int]) -> None:
    ws = sheet  # openpyxl worksheets are untyped
    ws.append(headers)  # type: ignore[attr-defined]
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=col)  # type: ignore[attr-defined]
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width  # type: ignore[attr-defined]
    ws.freeze_panes = "A2"  # type: ignore[attr-defined]


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment else ""


def workbook_bytes(ledger: Ledger, *, lang: Lang, tz: ZoneInfo) -> bytes:
    """The ledger as an .xlsx file: a sheet per section, every report, unit rates."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    wrap = Alignment(wrap_text=True, vertical="top")
    task_headers = [
        t(lang, f"ledger.col.{c}")
        for c in (
            "number",
            "task",
            "lead",
            "co",
            "light",
            "status",
            "percent",
            "text",
            "reporter",
            "time",
        )
    ]
    for number, title in ledger.sections:
        ws = book.create_sheet(_sheet_title(f"{number}.{title}", used))
        _header(ws, task_headers, [6, 60, 24, 30, 8, 12, 8, 50, 12, 17])
        for row in (r for r in ledger.tasks if r.section == number):
            latest = row.latest
            ws.append(
                [
                    row.number,
                    row.text,
                    "、".join(row.lead),
                    "、".join(row.co),
                    f"{row.light.emoji} {t(lang, f'light.{row.light.value}')}",
                    t(lang, f"status.{latest.status}") if latest else "",
                    latest.percent if latest and latest.percent is not None else "",
                    latest.text if latest else "",
                    row.reporter or "",
                    _local(latest.created_at if latest else None, tz),
                ]
            )
            for cell in ws[ws.max_row]:
                cell.alignment = wrap
    ws = book.create_sheet(_sheet_title(t(lang, "ledger.sheet.reports"), used))
    _header(
        ws,
        [
            t(lang, f"ledger.col.{c}")
            for c in (
                "time",
                "number",
                "unit",
                "role",
                "status",
                "percent",
                "text",
                "reporter",
                "review",
                "current",
            )
        ],
        [17, 6, 20, 8, 12, 8, 60, 12, 10, 8],
    )
    for report, number, unit, sender in ledger.reports:
        ws.append(
            [
                _local(report.created_at, tz),
                number,
                unit,
                t(lang, f"role.{report.role}"),
                t(lang, f"status.{report.status}"),
                report.percent if report.percent is not None else "",
                report.text,
                sender or "",
                t(lang, f"review.{report.review}"),
                t(lang, "ledger.yes") if report.is_current else "",
            ]
        )
    ws = book.create_sheet(_sheet_title(t(lang, "ledger.sheet.rates"), used))
    _header(
        ws,
        [
            t(lang, f"ledger.col.{c}")
            for c in ("rank", "unit", "owed", "reported", "on_time", "rate", "liaison")
        ],
        [6, 24, 10, 10, 10, 10, 10],
    )
    for rate in ledger.rates:
        ws.append(
            [
                rate.rank,
                rate.unit,
                rate.owed,
                rate.reported,
                rate.on_time,
                round(rate.rate, 4),
                t(lang, "ledger.yes") if rate.has_liaison else t(lang, "ledger.no"),
            ]
        )
        ws.cell(row=ws.max_row, column=6).number_format = "0.0%"
    _as_text(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _as_text(book: Workbook) -> None:
    """Keep every cell as the value it shows: openpyxl takes any text starting with '=' for a
    formula, and a report text or a Telegram name such as =HYPERLINK("http://…?"&B3) would then
    run in the coordinator's Excel (formula injection). The ledger has no formulas of its own."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


@dataclass
class Overview:
    """The numbers /status shows, all taken from the ledger."""

    done_units: int
    total_units: int
    sections: list[tuple[int, str, dict[Light, int]]]
    ranking: list[UnitRate]

    @property
    def percent(self) -> float:
        """The reporting rate in percent."""
        return 100 * self.done_units / self.total_units if self.total_units else 100.0


def overview(ledger: Ledger) -> Overview:
    """Reporting rate (units that reported every task they lead), lights by section, ranking."""
    sections = []
    for number, title in ledger.sections:
        counts: dict[Light, int] = {}
        for row in ledger.tasks:
            if row.section == number:
                counts[row.light] = counts.get(row.light, 0) + 1
        sections.append((number, title, counts))
    done = sum(1 for rate in ledger.rates if rate.reported >= rate.owed)
    return Overview(
        done_units=done, total_units=len(ledger.rates), sections=sections, ranking=ledger.rates
    )

"""What each dashboard page shows, as plain values for its template (no SQL here: the
figures come from the ledger's worker job, the rest from data/repo and the domain services)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.chasing import late_units
from bot.context import Services
from bot.dashboard.auth import Viewer
from bot.i18n import Lang, date_text, t
from bot.ledger.jobs import DashboardFigures
from bot.ledger.model import TaskRow, UnitRate, section_label
from bot.ledger.trend import TrendPoint
from bot.lights import LIGHT_ORDER, Light
from bot.tasks_view import TaskDetails, short_title, task_details
from bot.tasks_view import Viewer as TaskViewer
from data.models import Plan
from data.repo.dashboard import ReportVersion, task_reports
from data.repo.people import UnitRoster, roster

MATRIX_ROWS = 100
UNITS_PAGE = 50
CHART_W, CHART_H, CHART_PAD = 320, 120, 24


def pages(count: int, size: int) -> int:
    """How many pages `count` rows fill (at least one)."""
    return max(1, -(-count // size))


def period_head(lang: Lang, moment: PlanMoment) -> dict[str, str]:
    """The period in force and its due day, as the page header names them."""
    return {"period": moment.span.label(lang), "due": date_text(lang, moment.due)}


# --- overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A small line chart drawn as SVG on the server: one polyline per series."""

    labels: list[tuple[float, str]]  # x, the period's short name
    lines: list[tuple[str, str, list[tuple[float, float, str]]]]  # css class, name, points


def _trend_chart(lang: Lang, trend: Sequence[TrendPoint]) -> Chart:
    """The reporting rate (0-100 %) and the red tasks (0 to their highest) over the periods."""
    width, height = CHART_W - 2 * CHART_PAD, CHART_H - 2 * CHART_PAD
    step = width / max(1, len(trend) - 1)
    top_red = max((p.red_tasks for p in trend), default=0) or 1

    def x(i: int) -> float:
        return round(CHART_PAD + i * step, 1)

    def y(share: float) -> float:
        return round(CHART_PAD + height * (1 - share), 1)

    rate = [(x(i), y(p.percent / 100), f"{p.percent:.1f}%") for i, p in enumerate(trend)]
    red = [(x(i), y(p.red_tasks / top_red), str(p.red_tasks)) for i, p in enumerate(trend)]
    labels = [
        (
            x(i),
            f"{p.span.index}{'月' if lang == 'zh' else ''}"
            if p.span.kind == "month"
            else f"Q{p.span.index}",
        )
        for i, p in enumerate(trend)
    ]
    return Chart(
        labels,
        [("rate", t(lang, "dash.trend_rate"), rate), ("red", t(lang, "dash.trend_red"), red)],
    )


def overview_page(lang: Lang, figures: DashboardFigures) -> dict[str, Any]:
    """The overview: this period's rate, lights by section, units not yet reported, trends."""
    numbers, ledger = figures.overview, figures.ledger
    sections = [
        (number, section_label(number, title), [(x, counts.get(x, 0)) for x in LIGHT_ORDER])
        for number, title, counts in numbers.sections
    ]
    owing = sorted(
        (r for r in ledger.rates if r.reported < r.owed),
        key=lambda r: (-(r.owed - r.reported), r.unit),
    )
    return {
        **period_head(lang, ledger.moment),
        "numbers": numbers,
        "percent": f"{numbers.percent:.1f}",
        "sections": sections,
        "lights": LIGHT_ORDER,
        "owing": owing,
        "trend": figures.trend,
        "chart": _trend_chart(lang, figures.trend),
        "chart_size": (CHART_W, CHART_H),
    }


# --- matrix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixFilter:
    """The matrix's filters as the page sends them (None: any)."""

    section: int | None = None
    light: Light | None = None
    unit: int | None = None
    page: int = 1

    def keeps(self, row: TaskRow) -> bool:
        """Whether a task passes the filters."""
        return (
            (self.section is None or row.section == self.section)
            and (self.light is None or row.light is self.light)
            and (self.unit is None or any(unit == self.unit for unit, _ in row.units))
        )


def matrix_page(lang: Lang, figures: DashboardFigures, wanted: MatrixFilter) -> dict[str, Any]:
    """Tasks × their lead units, coloured by each unit's light; a page of rows at a time."""
    ledger = figures.ledger
    kept = [row for row in ledger.tasks if wanted.keeps(row)]
    count = pages(len(kept), MATRIX_ROWS)
    page = min(max(wanted.page, 1), count)
    rows = kept[(page - 1) * MATRIX_ROWS : page * MATRIX_ROWS]
    names = {rate.unit_id: rate.unit for rate in ledger.rates}
    column_ids = sorted({unit for row in rows for unit, _ in row.units}, key=lambda u: names[u])
    return {
        **period_head(lang, ledger.moment),
        "filter": wanted,
        "sections": [(n, section_label(n, title)) for n, title in ledger.sections],
        "lights": LIGHT_ORDER,
        "units": sorted(names.items(), key=lambda item: item[1]),
        "columns": [(unit, names[unit]) for unit in column_ids],
        "rows": [(row, short_title(row.text), dict(row.units)) for row in rows],
        "count": len(kept),
        "page": page,
        "pages": count,
    }


# --- task -----------------------------------------------------------------------------------


@dataclass
class ReportChain:
    """A unit's report on a task in one period: its versions, newest first."""

    unit: str
    period_start: Any
    versions: list[ReportVersion] = field(default_factory=list)

    @property
    def current(self) -> ReportVersion:
        """The version in force (the newest)."""
        return self.versions[0]


async def task_page(
    session: AsyncSession, services: Services, viewer: Viewer, plan: Plan, task_id: int
) -> dict[str, Any] | None:
    """A task: its text, units by role, targets, deadline, light, and every report with its
    versions, attachments and reviews; None when the plan has no such live task."""
    settings = services.settings
    await session.refresh(viewer.contact, ["units", "leads"])  # whose units the task is
    seen_by = TaskViewer(
        contact=viewer.contact,
        now=services.clock(),
        calendar=services.calendar,
        thresholds=services.thresholds,
        tz=settings.tz,
        coordinator=True,
    )
    details: TaskDetails | None = await task_details(
        session, plan=plan, task_id=task_id, viewer=seen_by
    )
    if details is None:
        return None
    chains: list[ReportChain] = []
    for version in await task_reports(session, task_id=task_id):
        if not chains or (chains[-1].unit, chains[-1].period_start) != (
            version.unit,
            version.period_start,
        ):
            chains.append(ReportChain(version.unit, version.period_start))
        chains[-1].versions.append(version)
    deadline = details.task.deadline or details.moment.year_end
    return {
        **period_head(viewer.lang, details.moment),
        "details": details,
        "deadline": date_text(viewer.lang, deadline),
        "chains": chains,
        "tz": settings.tz,
    }


# --- units ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitLine:
    """A unit in the ranking: its rate, its people, whether it is late and its latest 催办."""

    rate: UnitRate
    roster: UnitRoster | None
    late: bool
    chased_at: datetime | None
    acknowledged_at: datetime | None


async def units_page(
    session: AsyncSession,
    services: Services,
    lang: Lang,
    plan: Plan,
    figures: DashboardFigures,
    page: int,
) -> dict[str, Any]:
    """Units ranked by on-time rate (as /status ranks them), a page at a time, each with its
    liaisons (reachable or not), and 催办 state as /late shows it."""
    ledger = figures.ledger
    count = pages(len(ledger.rates), UNITS_PAGE)
    page = min(max(page, 1), count)
    shown = ledger.rates[(page - 1) * UNITS_PAGE : page * UNITS_PAGE]
    rosters = {r.unit_id: r for r in await roster(session, unit_ids=[r.unit_id for r in shown])}
    late = await late_units(session, plan=plan, moment=ledger.moment)
    await session.commit()  # the period may have been created just now
    chaseable = {entry.unit.id: entry for entry in late.reachable}
    owing = chaseable | {entry.unit.id: entry for entry in late.unreachable}
    lines = []
    for rate in shown:
        entry = owing.get(rate.unit_id)
        chase = entry.chase if entry is not None else None
        lines.append(
            UnitLine(
                rate,
                rosters.get(rate.unit_id),
                entry is not None,
                chase.created_at if chase else None,
                chase.acknowledged_at if chase else None,
            )
        )
    return {
        **period_head(lang, ledger.moment),
        "lines": lines,
        "first": (page - 1) * UNITS_PAGE + 1,
        "chaseable": set(chaseable),
        "any_chaseable": bool(chaseable),
        "page": page,
        "pages": count,
        "tz": services.settings.tz,
    }

"""What the ledger holds, as plain data a worker process can build, pickle and render."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.calendar.clock import PlanMoment
from bot.lights import Light
from bot.plan.numerals import section_numeral
from bot.progress import Standing, behind_time


@dataclass(frozen=True)
class Latest:
    """A task's latest current report of the period, as the ledger shows it."""

    status: str
    percent: int | None
    text: str
    created_at: datetime
    sender: str | None


@dataclass
class TaskRow:
    """One task as the ledger shows it."""

    section: int
    number: int
    text: str
    lead: list[str]
    co: list[str]
    light: Light
    latest: Latest | None
    leader: str = ""  # 责任领导, when the plan names one
    task_id: int = 0
    # Each lead unit that owes the task's report (collectives resolved): (unit id, its light).
    units: list[tuple[int, Light]] = field(default_factory=list)


@dataclass(frozen=True)
class TargetRow:
    """One target as the ledger and the bulletin show it: its task, the task's light, and where
    the target stands."""

    section: int
    number: int
    title: str
    task_light: Light
    standing: Standing


@dataclass
class UnitRate:
    """A unit's reporting this period: tasks owed, reported, on time, and its rank."""

    unit: str
    owed: int
    reported: int
    on_time: int
    has_liaison: bool
    rank: int = 0
    unit_id: int = 0

    @property
    def rate(self) -> float:
        """Share of owed tasks reported (0..1)."""
        return self.reported / self.owed if self.owed else 1.0


@dataclass
class Ledger:
    """Everything the ledger shows of one plan's period (its history is streamed apart)."""

    plan_id: int
    document: str
    year: int
    short_name: str
    moment: PlanMoment
    sections: list[tuple[int, str]]
    tasks: list[TaskRow] = field(default_factory=list)
    rates: list[UnitRate] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    period_id: int = 0


@dataclass
class Overview:
    """The numbers /status shows, all taken from the ledger."""

    done_units: int
    total_units: int
    sections: list[tuple[int, str, dict[Light, int]]]
    ranking: list[UnitRate]
    targets: int = 0  # targets with a value reported
    behind: list[TargetRow] = field(default_factory=list)  # yellow or red, furthest first

    @property
    def percent(self) -> float:
        """The reporting rate in percent."""
        return 100 * self.done_units / self.total_units if self.total_units else 100.0


def overview(ledger: Ledger) -> Overview:
    """Reporting rate (units that reported every task they lead), lights by section, ranking,
    and the targets behind time."""
    lights = ((row.section, row.light) for row in ledger.tasks)
    return counted(ledger.sections, lights, ledger.rates, ledger.targets)


def counted(
    section_titles: list[tuple[int, str]],
    lights: Iterable[tuple[int, Light]],
    rates: list[UnitRate],
    targets: list[TargetRow],
) -> Overview:
    """The overview of a period from each task's (section, light), the units' rates and the
    targets: what /status shows, from the ledger or read by itself."""
    counts: dict[int, dict[Light, int]] = {number: {} for number, _title in section_titles}
    for section, light in lights:
        by_light = counts.setdefault(section, {})
        by_light[light] = by_light.get(light, 0) + 1
    sections = [(number, title, counts[number]) for number, title in section_titles]
    done = sum(1 for rate in rates if rate.reported >= rate.owed)
    rows = {id(row.standing): row for row in targets}
    late = behind_time(row.standing for row in targets)
    return Overview(
        done_units=done,
        total_units=len(rates),
        sections=sections,
        ranking=rates,
        targets=sum(1 for row in targets if row.standing.reported is not None),
        behind=[rows[id(s)] for s in late],
    )


def section_label(number: int, title: str, limit: int | None = 10) -> str:
    """A section as /status names it: its numeral and ten characters of its title (the
    chart, which wraps, asks for the whole title with limit=None)."""
    short = title[2:] if title.startswith("关于") else title
    return f"{section_numeral(number)}、{short[:limit]}"

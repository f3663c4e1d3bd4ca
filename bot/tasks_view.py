"""What a person sees of the plans: their units' tasks with lights, and one task's details."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment, plan_moment
from bot.calendar.workdays import Calendar
from bot.lights import (
    Light,
    LightRule,
    LightThresholds,
    ReportStatus,
    Verdict,
    aggregate_light,
    judge_light,
)
from bot.progress import Standing, behind_time, elapsed_at, standings, with_targets
from data.models import Contact, Plan, Report, Task
from data.repo.periods import period_at
from data.repo.targets import latest_values, targets_of_tasks
from data.repo.tasks import (
    HistoryRow,
    assigned_names,
    current_reports,
    duties_of_units,
    report_history,
    task_with_units,
    tasks_by_ids,
)
from data.repo.units import units_by_ids

TITLE_CHARS = 24


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and from when."""

    contact: Contact
    now: datetime
    calendar: Calendar
    thresholds: LightThresholds
    tz: ZoneInfo
    coordinator: bool = False

    @property
    def unit_ids(self) -> list[int]:
        """The units whose tasks the person sees: those they serve, then those they lead."""
        serves = self.serves
        return serves + [lead.unit_id for lead in self.contact.leads if lead.unit_id not in serves]

    @property
    def serves(self) -> list[int]:
        """The units the person reports for (a leader only reads)."""
        return [cu.unit_id for cu in self.contact.units]


@dataclass(frozen=True)
class TaskLine:
    """One task in a person's list."""

    task_id: int
    number: int
    title: str
    role: str
    light: Light
    due: date
    last: Report | None
    plan_id: int = 0
    plan: str = ""  # the plan's short name
    targets: tuple[Standing, ...] = ()


@dataclass
class MyTasks:
    """A person's tasks in one plan, lead role first, and the period they are seen in."""

    units: list[str]
    moment: PlanMoment
    lines: list[TaskLine] = field(default_factory=list)
    plan: str = ""  # the plan's short name

    @property
    def lead_count(self) -> int:
        """Tasks the person's units lead."""
        return sum(1 for line in self.lines if line.role == "lead")


@dataclass
class Desk:
    """A person's whole desk: their units' tasks in every open plan, plan by plan."""

    units: list[str]
    parts: list[MyTasks]

    @property
    def lines(self) -> list[TaskLine]:
        """Every task, plan by plan."""
        return [line for part in self.parts for line in part.lines]

    @property
    def lead_count(self) -> int:
        """Tasks the person's units lead."""
        return sum(part.lead_count for part in self.parts)

    @property
    def several(self) -> bool:
        """Whether tasks of more than one plan are on it."""
        return len(self.parts) > 1


def short_title(text: str, limit: int = TITLE_CHARS) -> str:
    """The first clause of a task's text, cut to fit a list line."""
    first = re.split(r"[。;;]", text, maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


def with_members(
    task_id: int, names: Sequence[str], assigned: dict[tuple[int, str], list[str]]
) -> list[str]:
    """A task's unit names with the members picked for its "relevant" collectives:
    相关区政府(江宁区政府、浦口区政府)."""
    return [
        f"{name}({'、'.join(members)})" if (members := assigned.get((task_id, name))) else name
        for name in names
    ]


def moment_of(plan: Plan, viewer: Viewer) -> PlanMoment:
    """The plan's period and due day for the viewer's now."""
    return plan_moment(plan, now=viewer.now, tz=viewer.tz, calendar=viewer.calendar)


async def judged_targets(
    session: AsyncSession, *, task_ids: Collection[int], moment: PlanMoment, viewer: Viewer
) -> dict[int, list[Standing]]:
    """Each task's live targets with their latest values, judged at the moment."""
    targets = await targets_of_tasks(session, task_ids=task_ids)
    values = await latest_values(session, target_ids=[f.id for fs in targets.values() for f in fs])
    elapsed = elapsed_at(moment)
    return {
        task_id: standings(facts, values, elapsed=elapsed, thresholds=viewer.thresholds)
        for task_id, facts in targets.items()
    }


def light_for(moment: PlanMoment, task: Task, report: Report | None, viewer: Viewer) -> Light:
    """The light of a task for one unit, given its current report of the period."""
    return verdict_for(moment, task, report, viewer).light


def verdict_for(moment: PlanMoment, task: Task, report: Report | None, viewer: Viewer) -> Verdict:
    """The light of a task for one unit and the rule that gave it."""
    return judge_light(
        today=moment.today,
        due=moment.due,
        deadline=task.deadline or moment.year_end,
        status=ReportStatus(report.status) if report else None,
        percent=report.percent if report else None,
        year_start=moment.year_start,
        year_end=moment.year_end,
        calendar=viewer.calendar,
        thresholds=viewer.thresholds,
    )


async def my_tasks(session: AsyncSession, *, plan: Plan, viewer: Viewer) -> MyTasks:
    """The tasks of the viewer's units, lead role first then co, each by number."""
    moment = moment_of(plan, viewer)
    unit_ids = viewer.unit_ids
    units = await units_by_ids(session, ids=unit_ids)
    names = [units[i].name for i in unit_ids if i in units]
    view = MyTasks(units=names, moment=moment, plan=plan.short_name)
    duties = await duties_of_units(session, plan_id=plan.id, unit_ids=unit_ids)
    if not duties:
        return view
    by_task: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for duty in duties:
        by_task[duty.task_id].append((duty.unit_id, duty.role))
    tasks = await tasks_by_ids(session, task_ids=by_task)
    period = await period_at(session, plan_id=plan.id, start=moment.span.start)
    reports = (
        await current_reports(session, period_id=period.id, task_ids=by_task, unit_ids=unit_ids)
        if period
        else {}
    )
    judged = await judged_targets(session, task_ids=by_task, moment=moment, viewer=viewer)
    for task_id, held in by_task.items():
        task = tasks[task_id]
        role = "lead" if any(r == "lead" for _, r in held) else "co"
        mine = [reports.get((task_id, unit_id)) for unit_id, _ in held]
        targets = tuple(judged.get(task_id, ()))
        light = aggregate_light(light_for(moment, task, rep, viewer) for rep in mine)
        light = with_targets(light, targets)
        latest = max((r for r in mine if r), key=lambda r: r.created_at, default=None)
        due = min(moment.due, task.deadline) if task.deadline else moment.due
        title = short_title(task.text)
        view.lines.append(
            TaskLine(
                task_id, task.number, title, role, light, due, latest, plan.id, view.plan, targets
            )
        )
    view.lines.sort(key=lambda line: (line.role != "lead", line.number))
    return view


async def my_desk(session: AsyncSession, *, plans: Sequence[Plan], viewer: Viewer) -> Desk:
    """The viewer's tasks in every open plan (a handful of plans: one view each); plans where
    their units owe nothing are left out, unless there is only one."""
    parts = [await my_tasks(session, plan=plan, viewer=viewer) for plan in plans]
    shown = [part for part in parts if part.lines] or parts[:1]
    return Desk(units=parts[0].units if parts else [], parts=shown)


@dataclass(frozen=True)
class Why:
    """Why a task is red or yellow: the rule, and the unit, report or target it was about."""

    rule: LightRule | None  # None: a target made it so
    unit: str = ""
    report: Report | None = None
    behind: Fraction | None = None  # points behind (a percent's, or the target's)
    target: Standing | None = None


def why_of(
    light: Light, verdicts: Sequence[tuple[str, Report | None, Verdict]], targets: list[Standing]
) -> Why | None:
    """The first reason a red or yellow task is so: its worst unit's rule, or the target
    furthest behind when a target made the light worse (None for other lights)."""
    if light not in (Light.RED, Light.YELLOW):
        return None
    for unit, report, verdict in verdicts:
        if verdict.light is light:
            return Why(verdict.rule, unit, report, verdict.behind)
    target = next((s for s in behind_time(targets) if s.light is light), None)
    return Why(None, behind=target.behind, target=target) if target else None


@dataclass
class TaskDetails:
    """Everything /task N shows."""

    plan: Plan
    task: Task
    section: str
    lead: list[str]
    co: list[str]
    light: Light
    my_role: str | None
    my_unit_id: int | None
    history: list[HistoryRow] | None  # None: not the viewer's to see
    moment: PlanMoment
    targets: list[Standing] = field(default_factory=list)
    why: Why | None = None  # for a red or yellow light
    thresholds: LightThresholds = field(default_factory=LightThresholds)


async def task_details(
    session: AsyncSession, *, plan: Plan, task_id: int, viewer: Viewer
) -> TaskDetails | None:
    """A live task of the plan with everything /task shows; None when there is no such task."""
    task = await task_with_units(session, plan_id=plan.id, task_id=task_id)
    if task is None:
        return None
    moment = moment_of(plan, viewer)
    units = sorted(task.units, key=lambda tu: tu.position)
    duties = [
        d
        for d in await duties_of_units(session, plan_id=plan.id, unit_ids=viewer.unit_ids)
        if d.task_id == task.id
    ]
    duties.sort(key=lambda d: (d.unit_id not in viewer.serves, d.role != "lead"))
    my_role = duties[0].role if duties else None
    # A leader sees the task but reports nothing: no unit to report for.
    my_unit_id = duties[0].unit_id if duties and duties[0].unit_id in viewer.serves else None
    may_see = bool(duties) or viewer.coordinator
    history = await report_history(session, task_id=task.id) if may_see else None
    leads = [(tu.unit_id, tu.unit.name) for tu in units if tu.role == "lead"]
    period = await period_at(session, plan_id=plan.id, start=moment.span.start)
    reports = (
        await current_reports(
            session, period_id=period.id, task_ids=[task.id], unit_ids=[u for u, _ in leads]
        )
        if period
        else {}
    )
    verdicts = [
        (name, report, verdict_for(moment, task, report, viewer))
        for unit_id, name in leads
        for report in [reports.get((task.id, unit_id))]
    ]
    light = aggregate_light(verdict.light for _, _, verdict in verdicts)
    judged = await judged_targets(session, task_ids=[task.id], moment=moment, viewer=viewer)
    targets = judged.get(task.id, [])
    light = with_targets(light, targets)
    assigned = await assigned_names(session, task_ids=[task.id])
    return TaskDetails(
        plan=plan,
        task=task,
        section=task.section.title,
        lead=with_members(task.id, [tu.unit.name for tu in units if tu.role == "lead"], assigned),
        co=with_members(task.id, [tu.unit.name for tu in units if tu.role == "co"], assigned),
        light=light,
        my_role=my_role,
        my_unit_id=my_unit_id,
        history=history,
        moment=moment,
        targets=targets,
        why=why_of(light, verdicts, targets),
        thresholds=viewer.thresholds,
    )

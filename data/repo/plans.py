"""Plans, sections and tasks: the import upsert and the read-side queries."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from data.models import CO, LEAD, Plan, Section, Task, TaskUnit, Unit
from data.repo import audit
from data.repo.target_sync import TargetSpec, sync_extracted, targets_unchanged


@dataclass(frozen=True)
class TaskSpec:
    """A task as the importer read it, with resolved unit names."""

    number: int
    section: int
    text: str
    line: int
    lead: tuple[str, ...]
    co: tuple[str, ...]
    targets: tuple[TargetSpec, ...] = ()
    leader: str = ""
    # The deadline as written, and the day it means in the spec's year (None: its end).
    deadline_text: str = ""
    deadline: date | None = None


@dataclass(frozen=True)
class PlanSpec:
    """A plan as the importer read it."""

    document: str
    title: str
    year: int
    source_sha256: str
    sections: tuple[tuple[int, str], ...]
    tasks: tuple[TaskSpec, ...]
    # The short name for a new plan (or, when `rename`, for this one from now on).
    short_name: str = ""
    rename: bool = False
    # False when the year came from the document rather than the operator: a plan rehearsed
    # in another year (duban import --year) keeps that year when it is re-imported.
    year_given: bool = True
    # How its periods run: set on a new plan (defaults when None), changed on a re-import only
    # where given.
    clock: ClockRules | None = None
    # The office's usual rule (DUBAN_PERIOD_KIND, DUBAN_DUE_DAY), for a new plan only.
    usual_clock: ClockRules | None = None


@dataclass(frozen=True)
class ClockRules:
    """A plan's reporting rule: month or quarter, the due day, and in which month after the
    period's first it falls (None: as it is, or the default for a new plan)."""

    period_kind: str | None = None
    due_day: int | None = None
    due_month_offset: int | None = None


class ShortNameTakenError(ValueError):
    """Another plan already has the short name asked for."""


@dataclass
class UpsertResult:
    """What an import changed."""

    plan: Plan
    unchanged: int = 0
    # Task numbers: new, changed in place, retired.
    new: list[int] = field(default_factory=list)
    changed_tasks: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything in the database changed."""
        return bool(self.new or self.changed_tasks or self.retired)


def _units_of(task: Task) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ordered = sorted(task.units, key=lambda tu: tu.position)
    return (
        tuple(tu.unit.name for tu in ordered if tu.role == LEAD),
        tuple(tu.unit.name for tu in ordered if tu.role == CO),
    )


async def upsert_plan(
    session: AsyncSession, *, spec: PlanSpec, units: dict[str, Unit], now: datetime
) -> UpsertResult:
    """Create or update a plan in place: tasks keep their ids (and so their reports)."""
    plan = await session.scalar(
        select(Plan).where(Plan.document == spec.document).options(selectinload(Plan.sections))
    )
    created_plan = plan is None
    if plan is None:
        plan = Plan(
            document=spec.document,
            short_name=await _free_name(session, spec),
            title=spec.title,
            year=spec.year,
            source_sha256=spec.source_sha256,
            created_at=now,
            updated_at=now,
        )
        session.add(plan)
        await session.flush()
        await session.refresh(plan, ["sections"])
    elif spec.rename and plan.short_name != spec.short_name:
        await _check_free(session, spec.short_name, plan_id=plan.id)
        plan.short_name = spec.short_name
    rules = [spec.usual_clock, spec.clock] if created_plan else [spec.clock]
    for field_name, value in (kv for r in rules for kv in vars(r or ClockRules()).items()):
        if value is not None and getattr(plan, field_name) != value:
            setattr(plan, field_name, value)
    result = UpsertResult(plan=plan)
    year = spec.year if spec.year_given else plan.year
    header = (spec.title, year, spec.source_sha256)
    plan_changed = (plan.title, plan.year, plan.source_sha256) != header

    sections = {s.number: s for s in plan.sections}
    for number, title in spec.sections:
        section = sections.get(number)
        if section is None:
            section = Section(plan_id=plan.id, number=number, title=title)
            session.add(section)
            sections[number] = section
            plan_changed = True
        elif section.title != title:
            section.title = title
            plan_changed = True
    await session.flush()

    existing = {
        t.number: t
        for t in (
            await session.scalars(
                select(Task)
                .where(Task.plan_id == plan.id)
                .options(selectinload(Task.units), selectinload(Task.targets))
            )
        ).all()
    }
    for task_spec in spec.tasks:
        section_id = sections[task_spec.section].id
        task = existing.pop(task_spec.number, None)
        if task is None:
            task = Task(plan_id=plan.id, number=task_spec.number, units=[], targets=[])
            session.add(task)
            result.new.append(task_spec.number)
        elif (
            task.text == task_spec.text
            and task.section_id == section_id
            and task.source_line == task_spec.line
            and not task.retired
            and (task.leader, task.deadline_text) == (task_spec.leader, task_spec.deadline_text)
            and _units_of(task) == (task_spec.lead, task_spec.co)
            and targets_unchanged(task, task_spec.targets)
        ):
            result.unchanged += 1
            continue
        else:
            result.changed_tasks.append(task_spec.number)
        if task.id is None or task.deadline_text != task_spec.deadline_text:
            # The document's deadline, moved with a plan kept in another year; one the
            # document did not change stays as a coordinator may have set it.
            task.deadline = _moved(task_spec.deadline, year - spec.year)
            task.deadline_text = task_spec.deadline_text
        task.section_id = section_id
        task.text = task_spec.text
        task.source_line = task_spec.line
        task.leader = task_spec.leader
        task.retired = False
        if _units_of(task) != (task_spec.lead, task_spec.co):
            if task.units:
                # Delete the old rows first: the new ones may reuse their (task, unit) keys.
                task.units.clear()
                await session.flush()
            roles = [(n, LEAD) for n in task_spec.lead] + [(n, CO) for n in task_spec.co]
            task.units.extend(
                TaskUnit(unit_id=units[name].id, role=role, position=i)
                for i, (name, role) in enumerate(roles)
            )
        sync_extracted(task, task_spec.targets)
    for task in existing.values():
        if not task.retired:
            task.retired = True
            result.retired.append(task.number)
    if plan_changed or result.changed:
        plan.title, plan.year, plan.source_sha256 = header
        plan.updated_at = now
    await session.flush()
    return result


def _moved(day: date | None, years: int) -> date | None:
    """A deadline moved by whole years (29 February becomes the 28th in a common year)."""
    if day is None or not years:
        return day
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


async def _check_free(session: AsyncSession, name: str, *, plan_id: int | None) -> None:
    holder = await session.scalar(select(Plan).where(Plan.short_name == name))
    if holder is not None and holder.id != plan_id:
        raise ShortNameTakenError(f"the short name {name!r} is taken by {holder.document}")


async def _free_name(session: AsyncSession, spec: PlanSpec) -> str:
    """The spec's short name; when another plan has it and it was not asked for by name, the
    name with the plan's year, then with its document number."""
    if spec.rename:
        await _check_free(session, spec.short_name, plan_id=None)
        return spec.short_name
    base = spec.short_name
    candidates = [base, f"{base}{spec.year}"[:20], f"{base[:8]}{spec.document}"[:20]]
    taken = set(
        await session.scalars(select(Plan.short_name).where(Plan.short_name.in_(candidates)))
    )
    return next((c for c in candidates if c not in taken), f"{spec.document}"[:20])


async def get_plan(session: AsyncSession, *, document: str | None = None) -> Plan | None:
    """A plan by document number, or the most recently imported one."""
    query = select(Plan)
    query = (
        query.where(Plan.document == document)
        if document
        else query.order_by(Plan.id.desc()).limit(1)
    )
    return await session.scalar(query)


async def plan_tree(session: AsyncSession, *, plan_id: int) -> list[tuple[Section, list[Task]]]:
    """A plan's sections with their live tasks, units (in order) and targets loaded."""
    sections = (
        await session.scalars(
            select(Section)
            .where(Section.plan_id == plan_id)
            .order_by(Section.number)
            .options(
                selectinload(Section.tasks).selectinload(Task.units),
                selectinload(Section.tasks).selectinload(Task.targets),
            )
        )
    ).all()
    return [(s, [t for t in s.tasks if not t.retired]) for s in sections]


async def open_plans(session: AsyncSession) -> list[Plan]:
    """Open plans (reported on and nudged), oldest first."""
    rows = await session.scalars(select(Plan).where(Plan.state == "open").order_by(Plan.id))
    return list(rows.all())


async def close_plans(session: AsyncSession, *, plan_ids: Collection[int], now: datetime) -> None:
    """Mark plans closed (periods and nudges stop); their tasks and reports stay."""
    if plan_ids:
        await session.execute(
            update(Plan)
            .where(Plan.id.in_(list(plan_ids)), Plan.state == "open")
            .values(closed_at=now, state="closed")
        )


async def section_titles(session: AsyncSession, *, plan_id: int) -> list[tuple[int, str]]:
    """A plan's sections as (number, title), in order."""
    rows = await session.execute(
        select(Section.number, Section.title)
        .where(Section.plan_id == plan_id)
        .order_by(Section.number)
    )
    return [(number, title) for number, title in rows.all()]


async def get_plan_by_id(session: AsyncSession, *, plan_id: int) -> Plan | None:
    """A plan by id."""
    return await session.get(Plan, plan_id)


async def all_plans(session: AsyncSession) -> list[Plan]:
    """Every plan, whatever its state, oldest first."""
    return list((await session.scalars(select(Plan).order_by(Plan.id))).all())


async def plans_with_counts(session: AsyncSession) -> list[tuple[Plan, int]]:
    """Every plan with its number of live tasks, oldest first."""
    counts = (
        select(Task.plan_id, func.count().label("tasks"))
        .where(Task.retired.is_(False))
        .group_by(Task.plan_id)
        .subquery()
    )
    rows = await session.execute(
        select(Plan, func.coalesce(counts.c.tasks, 0))
        .outerjoin(counts, counts.c.plan_id == Plan.id)
        .order_by(Plan.id)
    )
    return [(plan, int(tasks)) for plan, tasks in rows.all()]


async def set_state(session: AsyncSession, *, plan: Plan, state: str, now: datetime) -> None:
    """Open, close or archive a plan (closing keeps when; reopening clears it); audited."""
    before = plan.state
    plan.state = state
    plan.closed_at = None if state == "open" else (plan.closed_at or now)
    detail = {"from": before, "to": state}
    audit.record(session, "cli", "plan.state", ("plan", plan.id), at=now, detail=detail)

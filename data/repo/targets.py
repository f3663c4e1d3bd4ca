"""Targets: the live ones of tasks or of a plan, the values lead units reported, and the
coordinators' changes (each audited by the caller's service)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Contact, Report, TargetValue, Task, TaskTarget, Unit


@dataclass(frozen=True)
class Facts:
    """A target as plain data (pickled to worker processes, shown, judged)."""

    id: int
    task_id: int
    metric: str
    value: str
    value_max: str | None
    unit: str
    comparator: str
    kind: str

    @classmethod
    def of(cls, target: TaskTarget) -> Facts:
        """A stored target as plain data."""
        return cls(
            target.id,
            target.task_id,
            target.metric,
            target.value,
            target.value_max,
            target.unit,
            target.comparator,
            target.kind,
        )


@dataclass(frozen=True)
class Reported:
    """The latest value a lead unit gave for a target, who sent it and when."""

    value: str
    at: datetime
    unit: str
    sender: str | None


_FACTS = (
    TaskTarget.id,
    TaskTarget.task_id,
    TaskTarget.metric,
    TaskTarget.value,
    TaskTarget.value_max,
    TaskTarget.unit,
    TaskTarget.comparator,
    TaskTarget.kind,
)


async def targets_of_tasks(
    session: AsyncSession, *, task_ids: Collection[int]
) -> dict[int, list[Facts]]:
    """The live targets of tasks, in order, by task id."""
    if not task_ids:
        return {}
    rows = await session.execute(
        select(*_FACTS)
        .where(TaskTarget.task_id.in_(list(task_ids)), TaskTarget.retired.is_(False))
        .order_by(TaskTarget.task_id, TaskTarget.position)
    )
    out: dict[int, list[Facts]] = {}
    for row in rows.all():
        out.setdefault(row.task_id, []).append(Facts(*row))
    return out


async def plan_targets(session: AsyncSession, *, plan_id: int) -> dict[int, list[Facts]]:
    """The live targets of a plan's live tasks, by task id."""
    rows = await session.execute(
        select(*_FACTS)
        .join(Task, Task.id == TaskTarget.task_id)
        .where(Task.plan_id == plan_id, Task.retired.is_(False), TaskTarget.retired.is_(False))
        .order_by(TaskTarget.task_id, TaskTarget.position)
    )
    out: dict[int, list[Facts]] = {}
    for row in rows.all():
        out.setdefault(row.task_id, []).append(Facts(*row))
    return out


async def latest_values(
    session: AsyncSession, *, target_ids: Collection[int]
) -> dict[int, Reported]:
    """Each target's latest value so far: from the current versions of lead units' reports
    (a later period's report that skipped the target leaves the earlier value standing)."""
    if not target_ids:
        return {}
    rows = await session.execute(
        select(TargetValue.target_id, TargetValue.value, Report.created_at, Unit.name)
        .add_columns(Contact.full_name)
        .join(Report, Report.id == TargetValue.report_id)
        .join(Unit, Unit.id == Report.unit_id)
        .outerjoin(Contact, Contact.id == Report.contact_id)
        .where(
            TargetValue.target_id.in_(list(target_ids)),
            Report.is_current.is_(True),
            Report.role == "lead",
        )
        .order_by(Report.created_at, Report.id)
    )
    return {row[0]: Reported(row[1], row[2], row[3], row[4]) for row in rows.all()}


async def values_of_reports(
    session: AsyncSession, *, report_ids: Collection[int]
) -> dict[int, dict[int, str]]:
    """The target values each report version gives: report id → {target id: value}."""
    if not report_ids:
        return {}
    rows = await session.execute(
        select(TargetValue.report_id, TargetValue.target_id, TargetValue.value).where(
            TargetValue.report_id.in_(list(report_ids))
        )
    )
    out: dict[int, dict[int, str]] = {}
    for report_id, target_id, value in rows.all():
        out.setdefault(report_id, {})[target_id] = value
    return out


async def target_by_id(session: AsyncSession, *, target_id: int) -> TaskTarget | None:
    """A live target by id."""
    target = await session.get(TaskTarget, target_id)
    return target if target is not None and not target.retired else None


def fields_of(target: TaskTarget) -> dict[str, Any]:
    """A target's reviewable fields, for the audit log."""
    return {
        "metric": target.metric,
        "value": target.value,
        "value_max": target.value_max,
        "unit": target.unit,
        "comparator": target.comparator,
        "kind": target.kind,
    }

"""A task's targets as the importer found them, kept in step with its text on every import.

A target is never deleted (reports hold values for it): one the text no longer has is retired.
Once a coordinator has reviewed a task's targets, imports leave them as the coordinator set them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from data.models import Task, TaskTarget


@dataclass(frozen=True)
class TargetSpec:
    """A quantitative target to store with a task."""

    metric: str
    value: str
    unit: str
    comparator: str
    phrase: str
    kind: str = "cumulative"
    value_max: str | None = None


def live_targets(task: Task) -> list[TaskTarget]:
    """A task's targets in force (not removed), in order."""
    return sorted((t for t in task.targets if not t.retired), key=lambda t: t.position)


def _spec(target: TaskTarget) -> TargetSpec:
    return TargetSpec(
        target.metric,
        target.value,
        target.unit,
        target.comparator,
        target.phrase,
        kind=target.kind,
        value_max=target.value_max,
    )


class TargetLike(Protocol):
    """What a target is made of, extracted (Target) or to store (TargetSpec)."""

    @property
    def metric(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def value_max(self) -> str | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def comparator(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def phrase(self) -> str: ...


def new_target(target: TargetLike, *, position: int = 0) -> TaskTarget:
    """A stored target made from an extracted or edited one."""
    return TaskTarget(
        position=position,
        metric=target.metric,
        value=target.value,
        value_max=target.value_max,
        unit=target.unit,
        comparator=target.comparator,
        kind=target.kind,
        phrase=target.phrase,
    )


def targets_unchanged(task: Task, specs: tuple[TargetSpec, ...]) -> bool:
    """Whether an import would leave the task's targets as they are."""
    reviewed = task.targets_reviewed_at is not None
    return reviewed or tuple(_spec(t) for t in live_targets(task)) == specs


def sync_extracted(task: Task, specs: tuple[TargetSpec, ...]) -> None:
    """Bring an unreviewed task's targets in line with its text: those found again stay (with
    their reported values), those gone are retired, new ones are added, in the text's order."""
    if task.targets_reviewed_at is not None:
        return
    live = {_spec(t): t for t in live_targets(task)}
    for spec, target in live.items():
        if spec not in specs:
            target.retired = True
    position = max((t.position for t in task.targets), default=-1) + 1
    for spec in specs:
        kept = live.get(spec)
        target = kept if kept is not None else new_target(spec)
        if kept is None:
            task.targets.append(target)
        target.position = position
        position += 1

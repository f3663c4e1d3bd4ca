"""A task's targets as the importer found them, kept in step with its text on every import.

A target is never deleted (reports hold values for it): one the text no longer has is retired.
Once a coordinator has reviewed a task's targets, imports leave them as the coordinator set them.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        target = (
            kept
            if kept is not None
            else TaskTarget(
                metric=spec.metric,
                value=spec.value,
                value_max=spec.value_max,
                unit=spec.unit,
                comparator=spec.comparator,
                kind=spec.kind,
                phrase=spec.phrase,
            )
        )
        if kept is None:
            task.targets.append(target)
        target.position = position
        position += 1

"""The report conversation's target steps: a lead unit gives each target's value so far this
year, one step per target, after the percent and before the text; each can be skipped.

The draft keeps them as {"values": {target id: value}, "asked": [target ids]}: the values (from
this period's report when it is being edited, then as typed) and the targets already asked
about in this pass, so that 修改 asks again with what was given as the default.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.plan.quantities import plain
from data.models import ReportDraft
from data.repo.targets import Facts, targets_of_tasks, values_of_reports

TARGET_STEP = "target"
TEXT_STEP = "text"


def _state(draft: ReportDraft) -> tuple[dict[str, str], list[int]]:
    state: dict[str, Any] = draft.targets or {}
    return dict(state.get("values") or {}), list(state.get("asked") or [])


def _store(draft: ReportDraft, values: dict[str, str], asked: list[int]) -> None:
    # A new dict each time: the JSON column notices assignment, not changes in place.
    draft.targets = {"values": values, "asked": asked}


async def targets_to_ask(session: AsyncSession, *, draft: ReportDraft, role: str) -> list[Facts]:
    """The live targets a draft asks about: its task's, when the unit leads it."""
    if role != "lead" or draft.task_id is None:
        return []
    return (await targets_of_tasks(session, task_ids=[draft.task_id])).get(draft.task_id, [])


async def prefill(session: AsyncSession, *, draft: ReportDraft, report_id: int | None) -> None:
    """Start the target steps with the values of the report being edited (if any)."""
    given = (await values_of_reports(session, report_ids=[report_id])) if report_id else {}
    values = {str(k): v for k, v in given.get(report_id or 0, {}).items()}
    _store(draft, values, [])


def current(draft: ReportDraft, targets: list[Facts]) -> Facts | None:
    """The target the draft asks about now (None: all asked)."""
    _values, asked = _state(draft)
    return next((t for t in targets if t.id not in asked), None)


def position(draft: ReportDraft, targets: list[Facts]) -> int:
    """Which target (1-based) is being asked about."""
    return len(_state(draft)[1]) + 1


def given(draft: ReportDraft, target_id: int) -> str | None:
    """The value the draft holds for a target."""
    return _state(draft)[0].get(str(target_id))


def advance(draft: ReportDraft, targets: list[Facts], now: datetime) -> None:
    """After the percent (or a target): the next target's step, else the text."""
    draft.step = TARGET_STEP if current(draft, targets) is not None else TEXT_STEP
    draft.updated_at = now


def answer(
    draft: ReportDraft, target: Facts, value: Decimal | None, targets: list[Facts], now: datetime
) -> None:
    """A target's value (None: skipped, keeping what the draft held), then the next step."""
    values, asked = _state(draft)
    if value is not None:
        values[str(target.id)] = plain(value)
    _store(draft, values, [*asked, target.id])
    advance(draft, targets, now)


def ask_again(draft: ReportDraft) -> None:
    """修改: every target is asked about again, with its value as the default."""
    values, _asked = _state(draft)
    _store(draft, values, [])


def to_store(draft: ReportDraft, targets: list[Facts]) -> dict[int, str]:
    """The values to store with the report: those of targets still live."""
    values, _asked = _state(draft)
    live = {t.id for t in targets}
    return {int(k): v for k, v in values.items() if int(k) in live}

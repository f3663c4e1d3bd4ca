"""The /status numbers read by themselves: each task's light by section, the units' reporting
and the targets, from only what they need (no task texts, unit lists or report texts)."""

from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.calendar.workdays import Calendar
from bot.ledger.build import judged_targets, light_judge, unit_rates
from bot.ledger.model import Overview, TargetRow, counted
from bot.lights import Light, LightThresholds, aggregate_light
from bot.progress import with_targets
from bot.reporting import current_period
from bot.tasks_view import short_title
from data.models import Plan
from data.repo.ledger import lead_report_states
from data.repo.plans import section_titles
from data.repo.tasks import tasks_by_ids


async def read_status(
    session: AsyncSession,
    *,
    plan: Plan,
    moment: PlanMoment,
    calendar: Calendar,
    thresholds: LightThresholds,
    tz: tzinfo,
) -> tuple[Overview, int]:
    """The overview of the period in force, as the ledger's would be, and the number of the
    plan's live targets."""
    period = await current_period(session, plan=plan, moment=moment)
    judge = light_judge(moment, calendar, thresholds)
    place: dict[int, tuple[int, int]] = {}  # task id: (section, number)
    units: dict[int, list[Light]] = {}
    rows = await lead_report_states(session, plan_id=plan.id, period_id=period.id)
    for task_id, number, section, deadline, unit_id, status, percent in rows:
        place[task_id] = (section, number)
        lights = units.setdefault(task_id, [])
        if unit_id is not None:
            lights.append(judge(deadline, status, percent))
    judged = await judged_targets(session, plan=plan, moment=moment, thresholds=thresholds)
    texts = {i: t.text for i, t in (await tasks_by_ids(session, task_ids=judged)).items()}
    lights_of: dict[int, Light] = {}
    targets: list[TargetRow] = []
    for task_id, (section, number) in sorted(place.items(), key=lambda item: item[1]):
        standings = judged.get(task_id, [])
        # The worse of the reports and the targets (a task reported done stays done).
        light = lights_of[task_id] = with_targets(aggregate_light(units[task_id]), standings)
        title = short_title(texts.get(task_id, ""))
        targets += [TargetRow(section, number, title, light, s) for s in standings]
    numbers = counted(
        await section_titles(session, plan_id=plan.id),
        ((place[task_id][0], light) for task_id, light in lights_of.items()),
        await unit_rates(session, plan_id=plan.id, period_id=period.id, moment=moment, tz=tz),
        targets,
    )
    return numbers, len(targets)

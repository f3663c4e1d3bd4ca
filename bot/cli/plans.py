"""The plan commands: import a plan document, show it, list its units."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.db import CliError, with_session
from bot.plan.directory import DirectoryError, load_directory
from bot.plan.loader import PlanFileError, import_plan, read_plan_file
from bot.plan.names import find_plan, valid_short_name
from bot.plan.numerals import section_numeral
from bot.plan.parser import PlanParseError
from bot.settings import Settings
from data.models import Plan
from data.repo.plans import (
    ClockRules,
    ShortNameTakenError,
    all_plans,
    get_plan,
    plan_tree,
    plans_with_counts,
    set_state,
)
from data.repo.units import list_units


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import (or re-import) a plan document."""
    try:
        directory = load_directory(Path(args.directory))
        plan_text = read_plan_file(Path(args.path))
    except (DirectoryError, PlanFileError) as exc:
        raise CliError(str(exc)) from exc

    name = None
    if args.name is not None:
        name = valid_short_name(args.name)
        if name is None:
            raise CliError(f"--name {args.name!r}: 1-20 characters, no spaces, not a number")
    offset = 1 if args.due_next_month else None
    clock = ClockRules(args.period, args.due_day, offset)
    usual = ClockRules(settings.period_kind, settings.due_day, 0)

    async def work(session: AsyncSession) -> Any:
        summary = await import_plan(
            session,
            text=plan_text,
            directory=directory,
            now=datetime.now(UTC),
            year=args.year,
            name=name,
            clock=clock,
            usual_clock=usual,
        )
        await session.commit()
        return summary

    try:
        summary = await with_session(settings, work)
    except ShortNameTakenError as exc:
        raise CliError(f"{exc}; choose another with --name") from exc
    except PlanParseError as exc:
        shown = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        raise CliError(f"{args.path}: {shown}{more}; nothing was imported") from exc
    print(f"{summary.line()}; short name {summary.short_name}")
    if summary.unknown_units:
        print(
            f"warning: {len(summary.unknown_units)} unit(s) not in the directory "
            f"(imported as written): {'、'.join(summary.unknown_units)}",
            file=sys.stderr,
        )
    return 0


async def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    """Print the imported plan, as text or JSON."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        plan = await plan_named(session, args.document)
        sections = []
        for section, tasks in await plan_tree(session, plan_id=plan.id):
            sections.append(
                {
                    "number": section.number,
                    "title": section.title,
                    "tasks": [_task_json(task) for task in tasks],
                }
            )
        return {
            "document": plan.document,
            "short_name": plan.short_name,
            "title": plan.title,
            "year": plan.year,
            "sections": sections,
        }

    tree = await with_session(settings, work)
    if args.json:
        print(json.dumps(tree, ensure_ascii=False, indent=2))
        return 0
    print(f"{tree['document']}  {tree['short_name']}  {tree['title']}  ({tree['year']})")
    for section in tree["sections"]:
        print(f"\n{section_numeral(section['number'])}、{section['title']}")
        for task in section["tasks"]:
            units = "、".join(task["lead_units"]) + " 主办"
            if task["co_units"]:
                units += ";" + "、".join(task["co_units"]) + " 协办"
            print(f"  {task['number']:>3}. {_short(task['text'])}  [{units}]")
    return 0


def _task_json(task: Any) -> dict[str, Any]:
    units = sorted(task.units, key=lambda tu: tu.position)
    return {
        "number": task.number,
        "text": task.text,
        "lead_units": [tu.unit.name for tu in units if tu.role == "lead"],
        "co_units": [tu.unit.name for tu in units if tu.role == "co"],
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "targets": [
            {"metric": t.metric, "value": t.value, "unit": t.unit, "comparator": t.comparator}
            for t in task.targets
        ],
    }


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def cmd_units(args: argparse.Namespace, settings: Settings) -> int:
    """List units with their lead and co task counts, and collectives with their members."""
    rows = await with_session(settings, lambda s: list_units(s))
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        if row.kind == "collective":
            tag = "relevant collective" if row.relevant else "collective"
            print(f"{row.name}  [{tag}]  lead {row.lead}, co {row.co}")
            print(f"    members: {'、'.join(row.members) or '-'}")
        else:
            note = "" if row.in_directory else "  (not in directory)"
            print(f"{row.name}  lead {row.lead}, co {row.co}{note}")
    return 0


async def plan_named(session: AsyncSession, ref: str | None) -> Plan:
    """The plan an operator names (document number or short name; the latest when none)."""
    if ref is None:
        plan = await get_plan(session)
        if plan is None:
            raise CliError("no plan imported yet: run 'duban import PLAN' first")
        return plan
    plans = await all_plans(session)
    found = find_plan(ref, plans)
    if found is None:
        names = ", ".join(f"{p.short_name} ({p.document})" for p in plans) or "none yet"
        raise CliError(f"no plan {ref!r}; the plans: {names}")
    return found


STATES = {"close": "closed", "reopen": "open", "archive": "archived"}


async def cmd_plans(args: argparse.Namespace, settings: Settings) -> int:
    """List the plans side by side, or close, reopen or archive one."""
    change = next(((verb, getattr(args, verb)) for verb in STATES if getattr(args, verb)), None)

    async def work(session: AsyncSession) -> list[tuple[Plan, int]]:
        if change is not None:
            verb, ref = change
            plan = await plan_named(session, ref)
            await set_state(session, plan=plan, state=STATES[verb], now=datetime.now(UTC))
            await session.commit()
        return await plans_with_counts(session)

    rows = await with_session(settings, work)
    if change is not None:
        print(f"{change[1]}: {STATES[change[0]]}")
        return 0
    if args.json:
        listed = [
            {
                "document": plan.document,
                "short_name": plan.short_name,
                "title": plan.title,
                "year": plan.year,
                "state": plan.state,
                "period_kind": plan.period_kind,
                "due_day": plan.due_day,
                "due_month_offset": plan.due_month_offset,
                "tasks": tasks,
            }
            for plan, tasks in rows
        ]
        print(json.dumps(listed, ensure_ascii=False, indent=2))
        return 0
    for plan, tasks in rows:
        due = f"due day {plan.due_day}" + (" of the next month" if plan.due_month_offset else "")
        print(
            f"{plan.short_name}  {plan.document}  {plan.year}  {plan.state}  "
            f"{plan.period_kind}, {due}  {tasks} tasks"
        )
    return 0

"""The plan commands: import a plan document, show it, list its units."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.db import CliError, with_session
from bot.plan.directory import DirectoryError, load_directory
from bot.plan.loader import ImportSummary, import_plan
from bot.plan.model import PlanParseError
from bot.plan.names import find_plan, valid_short_name
from bot.plan.numerals import number_ranges, section_numeral
from bot.plan.sources import PlanFileError, read_plan_file
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
    """Import (or re-import) a plan document; with --dry-run, only show what would change."""
    try:
        directory = load_directory(Path(args.directory))
        source = read_plan_file(Path(args.path))
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
            source=source,
            directory=directory,
            now=datetime.now(UTC),
            year=args.year,
            name=name,
            clock=clock,
            usual_clock=usual,
            first_unit_leads=args.first_unit_leads,
            dry_run=args.dry_run,
        )
        if not args.dry_run:
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
    if args.dry_run:
        print("dry run: nothing was written")
    print(f"{summary.line()}; short name {summary.short_name}")
    for line in import_report(summary, args, preview=args.dry_run):
        print(line)
    for line in import_warnings(summary):
        print(f"warning: {line}", file=sys.stderr)
    return 0


def import_report(summary: ImportSummary, args: argparse.Namespace, *, preview: bool) -> list[str]:
    """What an import found besides its counts: the notice's reporting rule, deadlines,
    leaders, names read by their everyday form; a preview also lists the tasks and units."""
    lines = []
    if preview:
        for label, numbers in (
            ("new tasks", summary.new),
            ("updated tasks", summary.changed),
            ("retired tasks", summary.retired),
        ):
            if numbers:
                lines.append(f"{label}: {number_ranges(numbers)}")
        if summary.new_units:
            lines.append(f"new units ({len(summary.new_units)}): {'、'.join(summary.new_units)}")
    rule = summary.rule
    if rule is not None:
        flags = " ".join(
            f"{flag} {value}"
            for flag, value in (("--period", args.period), ("--due-day", args.due_day))
            if value is not None
        )
        verdict = "applied" if summary.rule_applied else f"not applied ({flags or 'as given'})"
        offset = ", in the month after" if rule.due_month_offset else ""
        lines.append(
            f"reporting rule in the notice: {rule.phrase} "
            f"({rule.period_kind}, due day {rule.due_day}{offset}): {verdict}"
        )
    if summary.first_unit_leads:
        lines.append("the first-listed unit of each task leads (列第一位的为牵头单位)")
    if summary.deadlines or preview:
        lines.append(f"deadlines: {summary.deadlines} task(s) due before the year's end")
    if summary.leaders:
        lines.append(f"responsible leaders: named for {summary.leaders} task(s)")
    if summary.read_as:
        read = ", ".join(f"{written} → {unit}" for written, unit in summary.read_as.items())
        lines.append(f"unit names read as: {read}")
    return lines


def import_warnings(summary: ImportSummary) -> list[str]:
    """What the operator should look at: unknown and ambiguous names, deadlines kept as
    written, a document number taken from the title."""
    lines = list(summary.warnings)
    if summary.unknown_units:
        lines.append(
            f"{len(summary.unknown_units)} unit(s) not in the directory "
            f"(imported as written): {'、'.join(summary.unknown_units)}"
        )
    for written, candidates in summary.ambiguous.items():
        lines.append(
            f"{written} could be {' / '.join(candidates)} (imported as written; "
            "write the unit's full name)"
        )
    return lines


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
                    "tasks": [
                        _task_json(task, year_end=date(plan.year, 12, 31)) for task in tasks
                    ],
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


def _task_json(task: Any, *, year_end: date) -> dict[str, Any]:
    units = sorted(task.units, key=lambda tu: tu.position)
    return {
        "number": task.number,
        "text": task.text,
        "lead_units": [tu.unit.name for tu in units if tu.role == "lead"],
        "co_units": [tu.unit.name for tu in units if tu.role == "co"],
        # Every task has one: the year's end unless the plan or a coordinator set another.
        "deadline": (task.deadline or year_end).isoformat(),
        "deadline_text": task.deadline_text,
        "leader": task.leader,
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
            via = row.through_collectives
            note = f" ({via} through collectives)" if via else ""
            note += "" if row.in_directory else "  (not in directory)"
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

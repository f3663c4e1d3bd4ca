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
from bot.plan.numerals import section_numeral
from bot.plan.parser import PlanParseError
from bot.settings import Settings
from data.repo.plans import get_plan, plan_tree
from data.repo.units import list_units


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import (or re-import) a plan document."""
    try:
        directory = load_directory(Path(args.directory))
        plan_text = read_plan_file(Path(args.path))
    except (DirectoryError, PlanFileError) as exc:
        raise CliError(str(exc)) from exc

    async def work(session: AsyncSession) -> Any:
        summary = await import_plan(
            session, text=plan_text, directory=directory, now=datetime.now(UTC), year=args.year
        )
        await session.commit()
        return summary

    try:
        summary = await with_session(settings, work)
    except PlanParseError as exc:
        shown = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        raise CliError(f"{args.path}: {shown}{more}; nothing was imported") from exc
    print(summary.line())
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
        plan = await get_plan(session, document=args.document)
        if plan is None:
            wanted = f"plan {args.document!r}" if args.document else "plan"
            raise CliError(f"no {wanted} imported yet: run 'duban import PLAN' first")
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
            "title": plan.title,
            "year": plan.year,
            "sections": sections,
        }

    tree = await with_session(settings, work)
    if args.json:
        print(json.dumps(tree, ensure_ascii=False, indent=2))
        return 0
    print(f"{tree['document']}  {tree['title']}  ({tree['year']})")
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

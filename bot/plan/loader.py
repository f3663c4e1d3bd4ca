"""The plan importer's loader: parse, resolve names through the directory, store in one go."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.plan.directory import Directory
from bot.plan.names import short_name_of
from bot.plan.parser import ParsedPlan, PlanParseError, PlanProblem, parse_plan
from data.repo import audit
from data.repo.plans import ClockRules, PlanSpec, TaskSpec, upsert_plan
from data.repo.target_sync import TargetSpec
from data.repo.units import UnitSpec, ensure_units, sync_directory


class PlanFileError(ValueError):
    """The plan file cannot be read."""


@dataclass
class ImportSummary:
    """What an import found and changed, for the CLI's one-line report."""

    document: str
    short_name: str
    year: int
    sections: int
    tasks: int
    units: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: list[int] = field(default_factory=list)
    unknown_units: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the operator."""
        changes = f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged" + (
            f", {len(self.retired)} retired" if self.retired else ""
        )
        return (
            f"{self.document} ({self.year}): {self.sections} sections, {self.tasks} tasks, "
            f"{self.units} units ({changes})"
        )


def read_plan_file(path: Path) -> str:
    """The text of a plan file (UTF-8, with or without BOM; GB18030 as published by many sites)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise PlanFileError(f"plan file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise PlanFileError(f"plan path is a folder, not a file: {path}") from exc
    except OSError as exc:
        raise PlanFileError(f"cannot read plan file {path}: {exc.strerror}") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanFileError(f"plan file {path} is neither UTF-8 nor GB18030 text")


def directory_specs(directory: Directory) -> list[UnitSpec]:
    """The directory as unit specs for the repository."""
    specs = [
        UnitSpec(name=name, category=category)
        for category, names in directory.units.items()
        for name in names
    ]
    specs.extend(
        UnitSpec(
            name=name,
            kind="collective",
            relevant=collective.relevant,
            members=tuple(directory.members_of(name)),
        )
        for name, collective in directory.collectives.items()
    )
    return specs


def _spec(parsed: ParsedPlan, directory: Directory, sha: str) -> PlanSpec:
    tasks = []
    for section in parsed.sections:
        for task in section.tasks:
            lead = _resolved(directory, task.lead_units)
            co = tuple(n for n in _resolved(directory, task.co_units) if n not in lead)
            tasks.append(
                TaskSpec(
                    number=task.number,
                    section=section.number,
                    text=task.text,
                    line=task.line,
                    lead=lead,
                    co=co,
                    targets=tuple(
                        TargetSpec(
                            t.metric,
                            t.value,
                            t.unit,
                            t.comparator,
                            t.phrase,
                            kind=t.kind,
                            value_max=t.value_max,
                        )
                        for t in task.targets
                    ),
                )
            )
    return PlanSpec(
        document=parsed.document,
        title=parsed.title,
        year=parsed.year,
        source_sha256=sha,
        sections=tuple((s.number, s.title) for s in parsed.sections),
        tasks=tuple(tasks),
    )


def _resolved(directory: Directory, names: list[str]) -> tuple[str, ...]:
    # Aliases can make two written names one unit: keep its first place.
    return tuple(dict.fromkeys(directory.resolve(n) for n in names))


async def import_plan(
    session: AsyncSession,
    *,
    text: str,
    directory: Directory,
    now: datetime,
    year: int | None = None,
    name: str | None = None,
    clock: ClockRules | None = None,
    usual_clock: ClockRules | None = None,
    actor: str = "cli",
) -> ImportSummary:
    """Parse and store a plan in the session's transaction; the caller commits.

    Raises PlanParseError before touching the database when any line cannot be placed.
    """
    parsed = parse_plan(text, year=year)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    spec = replace(
        _spec(parsed, directory, sha),
        short_name=name or short_name_of(parsed.title),
        rename=name is not None,
        year_given=year is not None,
        clock=clock,
        usual_clock=usual_clock,
    )
    known = await sync_directory(
        session, specs=directory_specs(directory), aliases=directory.aliases
    )
    named = [n for t in spec.tasks for n in (*t.lead, *t.co)]
    load = await ensure_units(session, names=named, known=known)
    result = await upsert_plan(session, spec=spec, units=load.by_name, now=now)
    if result.changed:
        audit.record(
            session,
            actor,
            "plan.import",
            ("plan", result.plan.id),
            at=now,
            detail={
                "document": spec.document,
                "created": result.created,
                "updated": result.updated,
                "retired": result.retired,
                "sha256": sha,
            },
        )
    return ImportSummary(
        document=spec.document,
        short_name=result.plan.short_name,
        year=result.plan.year,
        sections=len(spec.sections),
        tasks=len(spec.tasks),
        units=len(set(named)),
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        retired=result.retired,
        unknown_units=load.unknown,
    )


__all__ = ["ImportSummary", "PlanFileError", "PlanParseError", "PlanProblem", "import_plan"]

"""The plan importer's loader: parse, resolve names through the directory, store in one go."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.plan.directory import Directory
from bot.plan.documents import parse_source
from bot.plan.model import ParsedPlan, PlanParseError, PlanProblem, ReportingRule
from bot.plan.names import short_name_of
from bot.plan.sources import PlanFileError, PlanSource, text_source
from data.repo import audit
from data.repo.plans import ClockRules, PlanSpec, TaskSpec, upsert_plan
from data.repo.target_sync import TargetSpec
from data.repo.units import UnitSpec, ensure_units, known_unit_names, sync_directory


@dataclass
class ImportSummary:
    """What an import found and changed (or, in a dry run, would change)."""

    document: str
    short_name: str
    year: int
    sections: int
    tasks: int
    units: int
    title: str = ""
    unchanged: int = 0
    new: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)
    unknown_units: list[str] = field(default_factory=list)
    # Units the database did not have before this import.
    new_units: list[str] = field(default_factory=list)
    # Names read as a directory unit by their everyday form (发改委 → 市发改委).
    read_as: dict[str, str] = field(default_factory=dict)
    # Names that could be several units, with the candidates (imported as written).
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    # Tasks with a deadline before the year's end, and tasks naming a leader.
    deadlines: int = 0
    leaders: int = 0
    # Deadlines the rules could not read, kept as written: (task number, as written).
    kept_deadlines: list[tuple[int, str]] = field(default_factory=list)
    rule: ReportingRule | None = None
    rule_applied: bool = False
    first_unit_leads: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        """How many tasks are new."""
        return len(self.new)

    @property
    def updated(self) -> int:
        """How many tasks changed."""
        return len(self.changed)

    def line(self) -> str:
        """One line for the operator."""
        changes = f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged" + (
            f", {len(self.retired)} retired" if self.retired else ""
        )
        return (
            f"{self.document} ({self.year}): {self.sections} sections, {self.tasks} tasks, "
            f"{self.units} units ({changes})"
        )


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
                    leader=task.leader[:100],
                    deadline_text=task.deadline_text[:100],
                    deadline=task.deadline,
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
    # Aliases and everyday names can make two written names one unit: keep its first place.
    return tuple(dict.fromkeys(directory.resolve(n) for n in names))


def reporting_clock(
    rule: ReportingRule | None, given: ClockRules | None
) -> tuple[ClockRules | None, bool]:
    """The reporting rule to set: the notice's, unless the operator's --period or --due-day
    say otherwise (field by field; another period drops the notice's rule). Also whether the
    notice's rule is applied as stated."""
    given = given or ClockRules()
    if rule is None or given.period_kind not in (None, rule.period_kind):
        return given, False
    offset = given.due_month_offset
    merged = ClockRules(
        rule.period_kind,
        given.due_day or rule.due_day,
        rule.due_month_offset if offset is None else offset,
    )
    applied = given.due_day in (None, rule.due_day) and offset in (None, rule.due_month_offset)
    return merged, applied


async def import_plan(
    session: AsyncSession,
    *,
    directory: Directory,
    now: datetime,
    text: str | None = None,
    source: PlanSource | None = None,
    year: int | None = None,
    name: str | None = None,
    clock: ClockRules | None = None,
    usual_clock: ClockRules | None = None,
    first_unit_leads: bool = False,
    dry_run: bool = False,
    actor: str = "cli",
) -> ImportSummary:
    """Parse and store a plan (given as `text` or a file's `source`) in the session's
    transaction; the caller commits. With `dry_run`, the transaction is rolled back once the
    summary is taken: nothing is written.

    Raises PlanParseError before touching the database when any line cannot be placed.
    """
    source = source or text_source(text or "")
    parsed = parse_source(source, year=year, first_unit_leads=first_unit_leads)
    sha = source.fingerprint()
    applied_clock, rule_applied = reporting_clock(parsed.rule, clock)
    spec = replace(
        _spec(parsed, directory, sha),
        short_name=name or short_name_of(parsed.title),
        rename=name is not None,
        year_given=year is not None,
        clock=applied_clock,
        usual_clock=usual_clock,
    )
    before = await known_unit_names(session)
    known = await sync_directory(
        session, specs=directory_specs(directory), aliases=directory.aliases
    )
    named = list(dict.fromkeys(n for t in spec.tasks for n in (*t.lead, *t.co)))
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
                "created": len(result.new),
                "updated": len(result.changed_tasks),
                "retired": result.retired,
                "sha256": sha,
            },
        )
    written = list(dict.fromkeys(n for t in parsed.tasks for n in (*t.lead_units, *t.co_units)))
    summary = ImportSummary(
        document=spec.document,
        short_name=result.plan.short_name,
        year=result.plan.year,
        title=spec.title,
        sections=len(spec.sections),
        tasks=len(spec.tasks),
        units=len(named),
        unchanged=result.unchanged,
        new=list(result.new),
        changed=list(result.changed_tasks),
        retired=list(result.retired),
        unknown_units=load.unknown,
        new_units=[n for n in named if n not in before],
        read_as={
            n: r
            for n in written
            if n not in directory.aliases and (r := directory.resolve(n)) != n
        },
        ambiguous={
            n: list(found.candidates) for n in written if (found := directory.lookup(n)).candidates
        },
        deadlines=sum(1 for t in spec.tasks if t.deadline is not None),
        leaders=sum(1 for t in spec.tasks if t.leader),
        kept_deadlines=[
            (t.number, t.deadline_text) for t in parsed.tasks if not t.deadline_understood
        ],
        rule=parsed.rule,
        rule_applied=rule_applied,
        first_unit_leads=parsed.first_unit_leads,
        warnings=list(parsed.warnings),
    )
    if dry_run:
        await session.rollback()
    return summary


__all__ = [
    "ImportSummary",
    "PlanFileError",
    "PlanParseError",
    "PlanProblem",
    "import_plan",
    "reporting_clock",
]

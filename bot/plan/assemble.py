"""The steps both readers (text and tables) share: the plan's document number and year first,
then its sections checked and its warnings listed, every problem raised together."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.plan import notice
from bot.plan.model import (
    ParsedPlan,
    ParsedSection,
    PlanParseError,
    PlanProblem,
    ReportingRule,
    clip,
)

# A year to read deadlines against while the real one is missing (the import fails anyway).
_SOME_YEAR = 2000


@dataclass
class Header:
    """What the plan is (document number, title, year) and the problems met so far."""

    document: str
    title: str
    year: int
    # Years a date written out moves by: a plan rehearsed in another year (--year) takes its
    # dated deadlines along.
    shift: int = 0
    problems: list[PlanProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def header(
    lines: list[str], *, preamble: int, year: int | None, title_as_document: bool = False
) -> Header:
    """The plan's identity from the notice's first lines and its title (the last line of the
    `preamble` first lines). A table often comes without its notice: with `title_as_document`,
    the title stands in for a missing number."""
    document, doc_year = notice.find_document(lines)
    title = notice.find_title(lines[:preamble], document)
    problems: list[PlanProblem] = []
    warnings: list[str] = []
    if document is None and title_as_document and title:
        document = title[:100]
        warnings.append(f"no document number found: the plan is known by its title {title!r}")
    if document is None:
        problems.append(PlanProblem(0, "no document number found (like 宁政发〔2021〕16号)"))
    written_year = doc_year or notice.year_from_title(title)
    plan_year = year or written_year
    if plan_year is None:
        problems.append(PlanProblem(0, "no plan year found; pass --year"))
    shift = plan_year - written_year if plan_year and written_year else 0
    return Header(
        document=document or "",
        title=title,
        year=plan_year or _SOME_YEAR,
        shift=shift,
        problems=problems,
        warnings=warnings,
    )


@dataclass(frozen=True)
class Notice:
    """What the notice around the plan says: its reporting rule, and whether the first-listed
    unit leads (there, or by the operator's word)."""

    rule: ReportingRule | None
    first_unit_leads: bool


def read_notice(lines: list[str], *, first_unit_leads: bool) -> Notice:
    """The notice's rules, from its lines (the text around the plan's tasks)."""
    text = "\n".join(lines)
    return Notice(
        rule=notice.reporting_rule(text),
        first_unit_leads=first_unit_leads or notice.first_unit_leads(text),
    )


def finish(head: Header, sections: list[ParsedSection], said: Notice, *, place: str) -> ParsedPlan:
    """The plan, or PlanParseError with every problem in document order."""
    if head.problems:
        raise PlanParseError(sorted(head.problems, key=lambda p: p.line))
    warnings = list(head.warnings)
    for section in sections:
        for task in section.tasks:
            if not task.deadline_understood:
                warnings.append(
                    f"{place} {task.line}: task {task.number}'s deadline "
                    f"{clip(task.deadline_text)!r} is kept as written (the year's end counts)"
                )
    return ParsedPlan(
        document=head.document,
        year=head.year,
        title=head.title,
        sections=sections,
        rule=said.rule,
        first_unit_leads=said.first_unit_leads,
        warnings=warnings,
    )


def empty_section(section: ParsedSection, place: str) -> PlanProblem:
    """A section with no task under it at all."""
    return PlanProblem(section.line, f"section {section.title!r} has no tasks", place)

"""A plan file's content to a ParsedPlan: its tables when one reads as a plan, else its text."""

from __future__ import annotations

from bot.plan.model import ParsedPlan, PlanParseError, PlanProblem
from bot.plan.parser import control_characters, parse_lines
from bot.plan.sources import PlanSource
from bot.plan.tables import has_table_plan, parse_tables


def parse_source(
    source: PlanSource, *, year: int | None = None, first_unit_leads: bool = False
) -> ParsedPlan:
    """Read a plan from a file's content; PlanParseError lists what cannot be placed."""
    damaged = control_characters(source)
    if damaged:
        raise PlanParseError(damaged)
    if has_table_plan(source):
        return parse_tables(source, year=year, first_unit_leads=first_unit_leads)
    if source.kind == "xlsx":
        raise PlanParseError(
            [
                PlanProblem(
                    0,
                    "no sheet has a header row naming the tasks and their units "
                    "(序号, 任务, 牵头单位 or 责任单位 …)",
                )
            ]
        )
    return parse_lines(source.paragraphs, year=year, first_unit_leads=first_unit_leads)

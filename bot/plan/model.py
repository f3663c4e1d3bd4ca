"""What the importer reads out of a plan, whatever its format: the parsed plan and its problems.

Pure data (pydantic models and two small classes); the readers (bot.plan.parser for text,
bot.plan.tables for tables) build it, the loader (bot.plan.loader) stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field

from bot.plan.deadlines import Deadline
from bot.plan.targets import Target, extract_targets

LEAD = "lead"
CO = "co"


class ParsedTask(BaseModel):
    """A task as the document states it; units are names as written (notes stripped)."""

    number: int = Field(ge=1)
    label: str
    text: str = Field(min_length=1)
    lead_units: list[str]
    co_units: list[str]
    line: int
    targets: list[Target] = Field(default_factory=list)
    # 责任领导 as written ('' when the plan names none).
    leader: str = ""
    # The deadline as written ('' when none), the day it means (None: the plan year's end),
    # and whether it was understood (when not, the year's end stands and the import warns).
    deadline_text: str = ""
    deadline: date | None = None
    deadline_understood: bool = True


class ParsedSection(BaseModel):
    """A numbered section and its tasks."""

    number: int = Field(ge=1)
    title: str
    line: int
    tasks: list[ParsedTask] = Field(default_factory=list)


class ReportingRule(BaseModel):
    """The reporting rule a notice states (每月20日前): the period, the due day, and in which
    month it falls (0: the period's own month, or a quarter's last; 1: the month after)."""

    period_kind: str
    due_day: int = Field(ge=1, le=31)
    due_month_offset: int = Field(ge=0, le=1)
    phrase: str


class ParsedPlan(BaseModel):
    """A whole plan document."""

    document: str
    year: int
    title: str
    sections: list[ParsedSection]
    # Read from the notice: its reporting rule, and whether it says 列第一位的单位为牵头单位.
    rule: ReportingRule | None = None
    first_unit_leads: bool = False
    # What was read but deserves a look (a deadline kept as written, a document number
    # taken from the title), one line each.
    warnings: list[str] = Field(default_factory=list)

    @property
    def tasks(self) -> list[ParsedTask]:
        """All tasks in document order."""
        return [task for section in self.sections for task in section.tasks]


@dataclass(frozen=True)
class PlanProblem:
    """Something the reader could not place, with where it is (line 12; row 7 of a table)."""

    line: int
    message: str
    place: str = "line"

    def __str__(self) -> str:
        return f"{self.place} {self.line}: {self.message}" if self.line else self.message


class PlanParseError(ValueError):
    """The document could not be parsed; nothing should be imported."""

    def __init__(self, problems: list[PlanProblem]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


def clip(text: str, limit: int = 30) -> str:
    """A piece of the document short enough to quote in a one-line problem."""
    return text if len(text) <= limit else text[:limit] + "…"


def new_task(
    *,
    number: int,
    label: str,
    text: str,
    units: tuple[list[str], list[str]],
    line: int,
    leader: str,
    deadline: Deadline,
) -> ParsedTask:
    """A parsed task with its targets read from its text."""
    return ParsedTask(
        number=number,
        label=label,
        text=text,
        lead_units=units[0],
        co_units=units[1],
        line=line,
        targets=extract_targets(text),
        leader=leader,
        deadline_text=deadline.text,
        deadline=deadline.day,
        deadline_understood=deadline.understood,
    )

"""The plan importer's text reader: a plan as text (or a .docx of paragraphs) to a ParsedPlan.

Pure: no database, no I/O. The loader (bot.plan.loader) resolves unit names and stores them.
Real documents are untidy, so the reader copes with the variants listed in PRODUCT §2 and
reports, by line number, anything it cannot place instead of guessing. Tables are read by
bot.plan.tables; units by bot.plan.unit_groups; deadlines by bot.plan.deadlines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.plan import deadlines
from bot.plan.assemble import Header, empty_section, finish, header, read_notice
from bot.plan.model import (
    ParsedPlan,
    ParsedSection,
    ParsedTask,
    PlanParseError,
    PlanProblem,
    clip,
    new_task,
)
from bot.plan.numbering import Numbering
from bot.plan.numerals import NUMERAL_CHARS, chinese_number
from bot.plan.sources import PlanSource, text_source
from bot.plan.unit_groups import FOLD, RELATED_DEPARTMENTS, parse_units, split_extras

SECTION_RE = re.compile(rf"^([{NUMERAL_CHARS}]+)\s*[、.]\s*(\S.*)$")
_TASK_ARABIC_RE = re.compile(r"^(\d{1,4})\s*[.、]\s*(\S.*)$")
_TASK_CN_RE = re.compile(rf"^\(([{NUMERAL_CHARS}]+)\)\s*(\S.*)$")

__all__ = [
    "RELATED_DEPARTMENTS",
    "ParsedPlan",
    "ParsedSection",
    "ParsedTask",
    "PlanParseError",
    "PlanProblem",
    "parse_lines",
    "parse_plan",
    "parse_units",
]


@dataclass
class _Pending:
    """A task as written, before its units are read (the notice's rules may come last)."""

    number: int
    label: str
    body: str
    line: int


@dataclass
class _State:
    numbering: Numbering = field(default_factory=Numbering)
    problems: list[PlanProblem] = field(default_factory=list)
    sections: list[tuple[ParsedSection, list[_Pending]]] = field(default_factory=list)
    notice: list[str] = field(default_factory=list)


# Tabs, line breaks (in a table cell) and page breaks (PDF extractions) are layout; any other
# control character (a NUL, an escape) is damage: refused where it is, never stored.
def _damaged(text: str) -> str | None:
    bad = next((c for c in text if c not in "\t\n\r\f" and unicodedata.category(c) == "Cc"), None)
    return None if bad is None else f"control character U+{ord(bad):04X} (a damaged file?)"


def control_characters(source: PlanSource) -> list[PlanProblem]:
    """Each paragraph (by line) and table cell (by table and row) holding a control
    character."""
    problems = [
        PlanProblem(number, message)
        for number, line in enumerate(source.paragraphs, start=1)
        if (message := _damaged(line))
    ]
    for table in source.tables:
        for number, row in enumerate(table.rows, start=1):
            if message := _damaged("".join(str(c) for c in row if c is not None)):
                problems.append(PlanProblem(0, f"{table.name} row {number}: {message}"))
    return problems


def parse_plan(
    text: str, *, year: int | None = None, first_unit_leads: bool = False
) -> ParsedPlan:
    """Parse a plan document; raise PlanParseError listing every line it cannot place."""
    source = text_source(text)
    damaged = control_characters(source)
    if damaged:
        raise PlanParseError(damaged)
    return parse_lines(source.paragraphs, year=year, first_unit_leads=first_unit_leads)


def task_match(line: str) -> re.Match[str] | None:
    """A line opening a task (12. or (三)), folded as the reader folds it."""
    return _TASK_ARABIC_RE.match(line) or _TASK_CN_RE.match(line)


def parse_lines(
    raw_lines: list[str], *, year: int | None = None, first_unit_leads: bool = False
) -> ParsedPlan:
    """Parse a plan's lines (a text file's, or a .docx's paragraphs)."""
    lines = [line.translate(FOLD).strip() for line in raw_lines]
    start = _body_start(lines)
    if start is None:
        raise PlanParseError(
            [PlanProblem(0, "no section found (expected a line like '一、关于…')")]
        )
    head = header(lines, preamble=start, year=year)
    last_structural = max(
        i for i, line in enumerate(lines) if SECTION_RE.match(line) or task_match(line)
    )
    state = _State(notice=lines[:start])
    for index in range(start, len(lines)):
        line = lines[index]
        if not line:
            continue
        if index > last_structural and _closed(state):
            state.notice.extend(lines[index:])
            break  # the trailer after the last task (editor's name, footer) is not the plan
        _read_line(state, line, index + 1)

    said = read_notice(state.notice, first_unit_leads=first_unit_leads)
    sections = [
        _section(state, head, section, pending, said.first_unit_leads)
        for section, pending in state.sections
    ]
    head.problems.extend(state.problems)
    return finish(head, sections, said, place="line")


def _closed(state: _State) -> bool:
    """Whether the last task read so far ends with its units (so what follows is not its)."""
    pending = state.sections[-1][1] if state.sections else []
    return not pending or _split_final_group(pending[-1].body) is not None


def _body_start(lines: list[str]) -> int | None:
    """Where the plan's sections start: the first `一、` followed by a task that ends with its
    units. A notice's own numbered paragraphs (一、各级各部门要…) before the plan's title hold
    no tasks, so they are not sections; without such a line, the first section line."""
    first = None
    for index, line in enumerate(lines):
        match = SECTION_RE.match(line)
        if not match:
            continue
        first = index if first is None else first
        if chinese_number(match.group(1)) == 1 and _task_follows(lines, index + 1):
            return index
    return first


def _task_follows(lines: list[str], start: int) -> bool:
    """Whether the next structural line from `start` opens a task ending with its units."""
    for index in range(start, len(lines)):
        if SECTION_RE.match(lines[index]):
            return False
        if task_match(lines[index]):
            body = [lines[index]]
            for line in lines[index + 1 : index + 20]:
                if SECTION_RE.match(line) or task_match(line):
                    break
                body.append(line)
            return _split_final_group("".join(body)) is not None
    return False


def _read_line(state: _State, line: str, number: int) -> None:
    section = SECTION_RE.match(line)
    task = task_match(line)
    pending = state.sections[-1][1] if state.sections else []
    if section:
        _open_section(state, section, number)
    elif task:
        _open_task(state, task, number, line)
    elif pending and _split_final_group(pending[-1].body) is None:
        # A task wrapped over several lines continues until its units close it.
        pending[-1].body += line
    else:
        state.problems.append(
            PlanProblem(
                number,
                f"text outside any task: {clip(line)!r} "
                "(expected a numbered task like '12.' or a section like '三、')",
            )
        )


def _open_section(state: _State, match: re.Match[str], line: int) -> None:
    number = chinese_number(match.group(1))
    expected = len(state.sections) + 1
    if number != expected:
        state.problems.append(
            PlanProblem(
                line, f"section {match.group(1)} is out of order (expected section {expected})"
            )
        )
    title = match.group(2).strip()
    state.sections.append((ParsedSection(number=expected, title=title, line=line), []))
    state.numbering.open_section(expected)


def _open_task(state: _State, match: re.Match[str], line: int, text: str) -> None:
    if not state.sections:
        state.problems.append(PlanProblem(line, "task before the first section"))
        return
    raw = match.group(1)
    cn_numbered = text.startswith("(")
    written = chinese_number(raw) if cn_numbered else int(raw)
    label = f"({raw})" if cn_numbered else str(written)
    number, problem = state.numbering.task(written, line, label)
    if problem is not None:
        state.problems.append(problem)
    shown = label if cn_numbered else f"{written}."
    state.sections[-1][1].append(_Pending(number, shown, match.group(2).strip(), line))


def _section(
    state: _State,
    head: Header,
    section: ParsedSection,
    pending: list[_Pending],
    leads_first: bool,
) -> ParsedSection:
    if not pending:
        state.problems.append(empty_section(section, "line"))
    for task in pending:
        parsed = _task(state, head, task, leads_first)
        if parsed is not None:
            section.tasks.append(parsed)
    return section


def _task(state: _State, head: Header, pending: _Pending, leads_first: bool) -> ParsedTask | None:
    split = _split_final_group(pending.body)
    if split is None:
        state.problems.append(
            PlanProblem(
                pending.line,
                f"task {pending.label} does not end with its units in parentheses "
                "(like '(市发改委主办,市财政局协办)')",
            )
        )
        return None
    text, group = split
    if not text:
        state.problems.append(PlanProblem(pending.line, f"task {pending.label} has no text"))
        return None
    group, leader, written_deadline = split_extras(group)
    try:
        units = parse_units(group, first_leads=leads_first)
    except ValueError as exc:
        state.problems.append(PlanProblem(pending.line, f"task {pending.label}: {exc}"))
        return None
    deadline = (
        deadlines.in_cell(written_deadline, year=head.year, shift=head.shift)
        if written_deadline
        else deadlines.in_text(text, year=head.year, shift=head.shift)
    )
    return new_task(
        number=pending.number,
        label=pending.label,
        text=text,
        units=units,
        line=pending.line,
        leader=leader,
        deadline=deadline,
    )


def _split_final_group(body: str) -> tuple[str, str] | None:
    """Split 'text(units)' at the final balanced parenthesis; None if it does not end so.
    Unit names may hold parentheses themselves (各区县(市)政府)."""
    stripped = re.sub(r"[。.;\s]+$", "", body)
    if not stripped.endswith(")"):
        return None
    depth = 0
    for pos in range(len(stripped) - 1, -1, -1):
        ch = stripped[pos]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                return stripped[:pos].strip(), stripped[pos + 1 : -1].strip()
    return None

"""Plans as tables (任务分解表), from a Word document or an Excel sheet, to a ParsedPlan.

The header row is found by its column names (序号, 任务, 牵头单位, 责任单位, 责任领导, 完成时限 …;
titles above it are skipped); a row of one merged cell, or one opening with `一、`, starts a
section; a row whose 序号 is empty (merged from above) adds to the task above it. With a 牵头单位
column, 责任单位 means co-units; with only 责任单位, those units lead (or, when the notice says
列第一位的单位为牵头单位, the first of them). Problems are reported by row, as a spreadsheet
numbers it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.plan import deadlines
from bot.plan.assemble import Header, empty_section, finish, header, read_notice
from bot.plan.model import ParsedPlan, ParsedSection, ParsedTask, PlanProblem, clip, new_task
from bot.plan.numbering import Numbering
from bot.plan.numerals import NUMERAL_CHARS, chinese_number
from bot.plan.parser import SECTION_RE
from bot.plan.sources import Cell, PlanSource, Table
from bot.plan.unit_groups import FOLD, names, parse_units

# Column kinds and the names a header gives them, checked in this order (责任领导 before
# 责任单位, 完成时限 before 任务).
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("number", ("序号", "编号")),
    ("leader", ("责任领导", "分管领导", "市领导", "牵头领导", "联系领导")),
    ("lead", ("牵头单位", "主办单位", "牵头部门", "主办部门")),
    ("co", ("配合单位", "协办单位", "参与单位", "配合部门", "协办部门", "参与部门")),
    ("responsible", ("责任单位", "责任部门", "承办单位")),
    ("deadline", ("完成时限", "完成时间", "时间节点", "时限", "完成期限")),
    (
        "task",
        (
            "工作任务",
            "重点任务",
            "目标任务",
            "主要任务",
            "任务内容",
            "具体任务",
            "工作内容",
            "重点工作",
            "任务",
        ),
    ),
)
_UNIT_KINDS = ("lead", "co", "responsible")
_HEADER_SEARCH_ROWS = 30
_ARABIC = re.compile(r"^(\d{1,4})\s*[.、]?$")
_CHINESE = re.compile(rf"^\(?([{NUMERAL_CHARS}]+)\)?\s*[、.]?$")
_TITLE_WORDS = re.compile(r"方案|分解|清单|计划|任务|要点|台账|实事|项目")
_NOTE = re.compile(r"^(?:注|备注|说明|附注|填表说明)\s*[::\d]")


@dataclass
class _Columns:
    """Where each kind of column is (units may sit in several columns)."""

    at: dict[str, list[int]] = field(default_factory=dict)

    def first(self, kind: str) -> int | None:
        found = self.at.get(kind)
        return found[0] if found else None

    def claim(self, kind: str, index: int) -> None:
        for columns in self.at.values():
            if index in columns:
                columns.remove(index)
        self.at.setdefault(kind, []).append(index)


@dataclass
class _Row:
    """A task's row (and the rows merged into it) before its units are read."""

    number: int
    label: str
    line: int
    text: list[str]
    units: dict[str, list[str]]
    leader: list[str]
    deadline: Cell = None
    place: str = "row"


@dataclass
class _State:
    numbering: Numbering
    # What a table's tasks before any section row fall under, and whether that is still to
    # be opened (a new table with no heading of its own).
    table_title: str = ""
    fresh: bool = True
    places: dict[int, str] = field(default_factory=dict)  # where each section is (its sheet)
    sections: list[tuple[ParsedSection, list[_Row]]] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)
    notice: list[str] = field(default_factory=list)


def _text(cell: Cell) -> str | None:
    if cell is None:
        return None
    text = str(cell).translate(FOLD).strip()
    return text or None


def _kind(cell: Cell) -> str | None:
    text = re.sub(r"\s+|\*", "", _text(cell) or "")
    if not text or len(text) > 12:
        return None
    return next((kind for kind, words in COLUMNS if any(w in text for w in words)), None)


def find_header(rows: Sequence[Sequence[Cell]]) -> tuple[int, int, _Columns] | None:
    """The header's first and last row (a second row may split 责任单位 into 牵头/配合) and its
    columns; None when no row names a task column and a unit column."""
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        columns = _Columns()
        for col, cell in enumerate(row):
            kind = _kind(cell)
            if kind is not None and (kind in _UNIT_KINDS or columns.first(kind) is None):
                columns.claim(kind, col)
        if columns.first("task") is None or not any(columns.at.get(k) for k in _UNIT_KINDS):
            continue
        last = index
        below = rows[index + 1] if index + 1 < len(rows) else []
        kinds = [(col, _kind(cell)) for col, cell in enumerate(below)]
        if any(kind in _UNIT_KINDS for _col, kind in kinds) and all(
            kind is not None or _text(below[col]) is None for col, kind in kinds
        ):
            last = index + 1
            for col, kind in kinds:
                if kind is not None:
                    columns.claim(kind, col)
        return index, last, columns
    return None


def has_table_plan(source: PlanSource) -> bool:
    """Whether a table of the source reads as a plan (a header naming a task and units)."""
    return any(find_header(table.rows) is not None for table in source.tables)


@dataclass(frozen=True)
class _PlanTable:
    """A table holding the plan: where its header and tasks start, and its columns (None: it
    goes on from the table before, as Word splits a long table, being as wide)."""

    table: Table
    header: int
    start: int
    columns: _Columns | None


def _plan_tables(source: PlanSource) -> list[_PlanTable]:
    out: list[_PlanTable] = []
    width = 0
    for table in source.tables:
        found = find_header(table.rows)
        if found is not None:
            out.append(_PlanTable(table, found[0], found[1] + 1, found[2]))
            width = max(len(row) for row in table.rows)
        elif out and table.rows and max(len(row) for row in table.rows) == width:
            out.append(_PlanTable(table, 0, 0, None))
    return out


def _title(rows: Sequence[Sequence[Cell]], paragraphs: list[str]) -> list[str]:
    """The lines before the plan's first table, its title last: the table's own title row
    (一份2025年…任务分解表, not 填报单位) when it has one."""
    titles = [t for row in rows if (t := _row_text(row))]
    named = [t for t in titles if _TITLE_WORDS.search(t)]
    if named:
        titles = [t for t in titles if t != named[0]] + [named[0]]
    return [p.translate(FOLD).strip() for p in paragraphs if p.strip()] + titles


def parse_tables(
    source: PlanSource, *, year: int | None = None, first_unit_leads: bool = False
) -> ParsedPlan:
    """Read the plan from the source's tables (those with a header, and those going on from
    them), in order."""
    tables = _plan_tables(source)
    first = tables[0]
    lines = _title(first.table.rows[: first.header], source.paragraphs[: first.table.after])
    head = header(lines, preamble=len(lines), year=year, title_as_document=True)
    several = sum(1 for t in tables if t.columns is not None) > 1
    place = "" if several else "row"
    state = _State(Numbering(place=place or "row"))
    state.notice = [p.translate(FOLD).strip() for p in source.paragraphs] + lines
    columns: _Columns | None = None
    for part in tables:
        table = part.table
        where = place or f"{table.name} row"
        state.numbering.place = where
        if part.columns is not None:
            columns = part.columns
            sheet = table.name.removeprefix("sheet ") if source.kind == "xlsx" else ""
            state.table_title = sheet if several and sheet else head.title or sheet or "任务"
            state.fresh = not _open_before(state, source, table, where)
        assert columns is not None  # noqa: S101 - the first table has a header
        for index in range(part.start, len(table.rows)):
            _read_row(state, head, table.rows[index], index + 1, columns, where)
    if not head.title:
        head.title = state.table_title
    said = read_notice(state.notice, first_unit_leads=first_unit_leads)
    for section, rows in state.sections:
        if not rows:
            state.problems.append(empty_section(section, state.places[section.number]))
        section.tasks = [
            task for row in rows if (task := _task(state, head, row, said.first_unit_leads))
        ]
    head.problems.extend(state.problems)
    return finish(head, [s for s, _rows in state.sections], said, place=place or "row")


def _row_text(row: Sequence[Cell]) -> str:
    """A row's distinct texts joined (a merged title row is one text)."""
    return " ".join(dict.fromkeys(t for c in row if (t := _text(c))))


def _open_before(state: _State, source: PlanSource, table: Table, where: str) -> bool:
    """A Word table right after a section heading (一、稳增长) belongs to that section."""
    if table.after and source.kind == "docx":
        heading = SECTION_RE.match(source.paragraphs[table.after - 1].translate(FOLD).strip())
        if heading:
            _open_section(state, heading.group(2), heading.group(1), 0, where)
            return True
    return False


def _open_section(state: _State, title: str, numeral: str | None, line: int, where: str) -> None:
    expected = len(state.sections) + 1
    if numeral is not None and chinese_number(numeral) != expected:
        state.problems.append(
            PlanProblem(line, f"section {numeral} is out of order (expected {expected})", where)
        )
    state.sections.append((ParsedSection(number=expected, title=title, line=line), []))
    state.places[expected] = where
    state.numbering.open_section(expected)
    state.fresh = False


def _read_row(
    state: _State, head: Header, row: Sequence[Cell], line: int, columns: _Columns, where: str
) -> None:
    texts = [_text(c) for c in row]
    if not any(texts) or all(
        _kind(c) is not None or t is None for c, t in zip(row, texts, strict=True)
    ):
        return  # empty, or the header again (a table split over pages)
    units = {kind: _cells(texts, columns, kind) for kind in _UNIT_KINDS}
    if not any(units.values()):
        if _NOTE.match(next(t for t in texts if t)):
            state.notice.append(" ".join(t for t in texts if t))
            return
        section = _section_row(texts, columns)
        if section is not None:
            _open_section(state, section[0], section[1], line, where)
            return
    number_text, task_text = _cell(texts, columns, "number"), _cell(texts, columns, "task")
    leader = _cells(texts, columns, "leader")
    deadline_col = columns.first("deadline")
    deadline = row[deadline_col] if deadline_col is not None and deadline_col < len(row) else None
    if number_text is None and columns.first("number") is not None:
        if state.fresh or not state.sections[-1][1]:
            state.problems.append(PlanProblem(line, "a task without a number in 序号", where))
            return
        _merge(state.sections[-1][1][-1], task_text, units, leader, deadline)
        return
    if state.fresh:
        _open_section(state, state.table_title, None, line, where)
    section_rows = state.sections[-1][1]
    written, label = _number(number_text, state.numbering.count + 1)
    if written is None:
        state.problems.append(
            PlanProblem(line, f"序号 {clip(number_text or '')!r} is not a task number", where)
        )
        return
    number, problem = state.numbering.task(written, line, label)
    if problem is not None:
        state.problems.append(problem)
    shown = label if label.startswith("(") else f"{label}."
    section_rows.append(
        _Row(number, shown, line, [task_text or ""], units, leader, deadline, where)
    )


def _cell(texts: list[str | None], columns: _Columns, kind: str) -> str | None:
    col = columns.first(kind)
    return texts[col] if col is not None and col < len(texts) else None


def _cells(texts: list[str | None], columns: _Columns, kind: str) -> list[str]:
    return [t for c in columns.at.get(kind, []) if c < len(texts) and (t := texts[c])]


def _section_row(texts: list[str | None], columns: _Columns) -> tuple[str, str | None] | None:
    """(title, numeral) when a row without units opens a section: `一、稳增长` in its first
    cell, 序号 `一` beside the title, or one merged cell across (not a task's text running on
    in its own column)."""
    first = next(i for i, t in enumerate(texts) if t)
    written = texts[first] or ""
    heading = SECTION_RE.match(written)
    if heading and not _CHINESE.match(written):
        return heading.group(2).strip(), heading.group(1)
    number, task = _cell(texts, columns, "number"), _cell(texts, columns, "task")
    bare = _CHINESE.match(number or "")
    if number and bare and not number.startswith("(") and task:
        return task, bare.group(1)
    task_col = columns.first("task")
    alone = len({t for t in texts if t}) == 1
    if (
        alone
        and (task_col is None or first < task_col or first == 0)
        and not _ARABIC.match(written)
    ):
        return written, None
    return None


def _number(text: str | None, next_number: int) -> tuple[int | None, str]:
    """A task's written number and how the table writes it (3 or (三)); with no 序号 column,
    the next one."""
    if text is None:
        return next_number, str(next_number)
    arabic = _ARABIC.match(text.removesuffix(".0"))
    if arabic:
        return int(arabic.group(1)), arabic.group(1)
    chinese = _CHINESE.match(text)
    if chinese:
        return chinese_number(chinese.group(1)), f"({chinese.group(1)})"
    return None, text


def _merge(
    row: _Row, text: str | None, units: dict[str, list[str]], leader: list[str], deadline: Cell
) -> None:
    """A row continuing the task above (its 序号 merged): its text and units join the task's."""
    if text and text not in row.text:
        row.text.append(text)
    for kind, cells in units.items():
        row.units.setdefault(kind, []).extend(cells)
    row.leader.extend(n for n in leader if n not in row.leader)
    row.deadline = row.deadline if row.deadline is not None else deadline


def _task(state: _State, head: Header, row: _Row, leads_first: bool) -> ParsedTask | None:
    text = "\n".join(t for t in row.text if t)
    place = row.place
    if not text:
        state.problems.append(PlanProblem(row.line, f"task {row.label} has no text", place))
        return None
    lead_cells, co_cells = row.units.get("lead", []), row.units.get("co", [])
    responsible = "\n".join(row.units.get("responsible", []))
    try:
        if lead_cells:
            lead = [n for c in lead_cells for n in names(c)]
            co = [n for c in [responsible, *co_cells] for n in names(c)]
        elif responsible:
            lead, co = parse_units(responsible, first_leads=leads_first)
            co += [n for c in co_cells for n in names(c)]
        else:
            lead, co = [], []
    except ValueError as exc:
        state.problems.append(PlanProblem(row.line, f"task {row.label}: {exc}", place))
        return None
    if not lead:
        state.problems.append(PlanProblem(row.line, f"task {row.label} has no lead unit", place))
        return None
    co = [n for n in dict.fromkeys(co) if n not in lead]
    leader = "、".join(n for c in row.leader for n in names(c))
    deadline = (
        deadlines.in_cell(row.deadline, year=head.year, shift=head.shift)
        if row.deadline is not None
        else deadlines.in_text(text, year=head.year, shift=head.shift)
    )
    return new_task(
        number=row.number,
        label=row.label,
        text=text,
        units=(list(dict.fromkeys(lead)), co),
        line=row.line,
        leader=leader,
        deadline=deadline,
    )

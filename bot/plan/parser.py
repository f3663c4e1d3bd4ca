"""The plan importer's parser: a work-plan document's text to validated pydantic models.

Pure: no database, no I/O. The loader (bot.plan.loader) resolves unit names and stores them.
Real documents are untidy, so the parser copes with the variants listed in PRODUCT §2 and
reports, by line number, anything it cannot place instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from bot.plan.numerals import NUMERAL_CHARS, chinese_number
from bot.plan.targets import Target, extract_targets

LEAD = "lead"
CO = "co"
# 责任单位 leads when no lead unit is named, otherwise it works alongside the lead.
_RESPONSIBLE = "responsible"

# Full-width punctuation folded to the ASCII forms the rules below are written in.
_FOLD = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "，": ",",
        "；": ";",
        "：": ":",
        "．": ".",
        "\u3000": " ",
        "０": "0",
        "１": "1",
        "２": "2",
        "３": "3",
        "４": "4",
        "５": "5",
        "６": "6",
        "７": "7",
        "８": "8",
        "９": "9",
    }
)


_DOCUMENT_RE = re.compile(r"([\u4e00-\u9fff]{1,12}[〔\[［(]\s*(\d{4})\s*[〕\]］)]\s*\d+\s*号)")
_SECTION_RE = re.compile(rf"^([{NUMERAL_CHARS}]+)\s*[、.]\s*(\S.*)$")
_TASK_ARABIC_RE = re.compile(r"^(\d{1,4})\s*[.、]\s*(\S.*)$")
_TASK_CN_RE = re.compile(rf"^\(([{NUMERAL_CHARS}]+)\)\s*(\S.*)$")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")

# Role labels written before the units (牵头单位:X;责任单位:Y).
_LABELS: dict[str, str] = {
    "牵头单位": LEAD,
    "牵头部门": LEAD,
    "主办单位": LEAD,
    "责任单位": _RESPONSIBLE,
    "责任部门": _RESPONSIBLE,
    "配合单位": CO,
    "配合部门": CO,
    "协办单位": CO,
    "参与单位": CO,
    "牵头": LEAD,
    "主办": LEAD,
    "配合": CO,
    "协办": CO,
}
_LABEL_RE = re.compile("(" + "|".join(sorted(_LABELS, key=len, reverse=True)) + r")\s*:")
# Role words written after the units (X、Y主办,Z协办).
_SUFFIXES: dict[str, str] = {"主办": LEAD, "牵头": LEAD, "协办": CO, "配合": CO}
_NOTE_RE = re.compile(r"〈[^〉]*〉|<[^>]*>|＜[^＞]*＞")
# "市消防救援支队等相关部门": a unit plus "the related departments".
_RELATED_RE = re.compile(r"^(.+?)等(?:相关|有关)?部门$")
RELATED_DEPARTMENTS = "相关部门"


class ParsedTask(BaseModel):
    """A task as the document states it; units are names as written (notes stripped)."""

    number: int = Field(ge=1)
    label: str
    text: str = Field(min_length=1)
    lead_units: list[str]
    co_units: list[str]
    line: int
    targets: list[Target] = Field(default_factory=list)


class ParsedSection(BaseModel):
    """A numbered section and its tasks."""

    number: int = Field(ge=1)
    title: str
    line: int
    tasks: list[ParsedTask] = Field(default_factory=list)


class ParsedPlan(BaseModel):
    """A whole plan document."""

    document: str
    year: int
    title: str
    sections: list[ParsedSection]

    @property
    def tasks(self) -> list[ParsedTask]:
        """All tasks in document order."""
        return [task for section in self.sections for task in section.tasks]


@dataclass(frozen=True)
class PlanProblem:
    """Something the parser could not place, with the line (1-based) it is on."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class PlanParseError(ValueError):
    """The document could not be parsed; nothing should be imported."""

    def __init__(self, problems: list[PlanProblem]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


@dataclass
class _Pending:
    number: int
    label: str
    body: str
    line: int
    cn_numbered: bool


@dataclass
class _State:
    problems: list[PlanProblem] = field(default_factory=list)
    sections: list[ParsedSection] = field(default_factory=list)
    pending: _Pending | None = None
    last_number: int = 0
    seen: dict[int, int] = field(default_factory=dict)


# Tabs, line ends and page breaks (PDF extractions) are layout; any other control character
# (a NUL, an escape) is damage: refused with its line (as an editor numbers them), never stored.
def _control_characters(text: str) -> list[PlanProblem]:
    return [
        PlanProblem(number, f"control character U+{ord(bad[0]):04X} (a damaged file?)")
        for number, line in enumerate(text.split("\n"), start=1)
        if (bad := [c for c in line if c not in "\t\r\f" and unicodedata.category(c) == "Cc"])
    ]


def parse_plan(text: str, *, year: int | None = None) -> ParsedPlan:
    """Parse a plan document; raise PlanParseError listing every line it cannot place."""
    damaged = _control_characters(text)
    if damaged:
        raise PlanParseError(damaged)
    lines = [line.translate(_FOLD).strip() for line in text.splitlines()]
    state = _State()
    document, doc_year = _find_document(lines)
    first_section = next((i for i, line in enumerate(lines) if _SECTION_RE.match(line)), None)
    if first_section is None:
        raise PlanParseError(
            [PlanProblem(0, "no section found (expected a line like '一、关于…')")]
        )
    last_structural = max(
        i for i, line in enumerate(lines) if _SECTION_RE.match(line) or _task_match(line)
    )
    title = _find_title(lines[:first_section], document)

    for index in range(first_section, len(lines)):
        line = lines[index]
        number = index + 1
        if not line:
            continue
        section = _SECTION_RE.match(line)
        task = _task_match(line)
        if section:
            _flush(state)
            _open_section(state, section, number)
        elif task:
            _flush(state)
            _open_task(state, task, number, line)
        elif state.pending is not None and not _ends_with_units(state.pending.body):
            # A task wrapped over several lines continues until its units close it.
            state.pending.body += line
        elif index > last_structural:
            break  # the trailer after the last task (editor's name, footer) is not the plan
        else:
            state.problems.append(
                PlanProblem(
                    number,
                    f"text outside any task: {_clip(line)!r} "
                    "(expected a numbered task like '12.' or a section like '三、')",
                )
            )
    _flush(state)

    for opened in state.sections:
        if not opened.tasks:
            state.problems.append(
                PlanProblem(opened.line, f"section {opened.title!r} has no tasks")
            )
    if document is None:
        state.problems.insert(
            0, PlanProblem(0, "no document number found (like 宁政发〔2021〕16号)")
        )
    plan_year = year or doc_year or _year_from_title(title)
    if plan_year is None:
        state.problems.append(PlanProblem(0, "no plan year found; pass --year"))
    if state.problems:
        raise PlanParseError(sorted(state.problems, key=lambda p: p.line))
    assert document is not None and plan_year is not None  # noqa: S101 - guarded just above
    return ParsedPlan(document=document, year=plan_year, title=title, sections=state.sections)


def _task_match(line: str) -> re.Match[str] | None:
    return _TASK_ARABIC_RE.match(line) or _TASK_CN_RE.match(line)


def _find_document(lines: list[str]) -> tuple[str | None, int | None]:
    for line in lines[:80]:
        match = _DOCUMENT_RE.search(line)
        if match:
            return re.sub(r"\s+", "", match.group(1)), int(match.group(2))
    return None, None


def _find_title(preamble: list[str], document: str | None) -> str:
    # The plan's own title is the last line before its first section (the seed's
    # "2021年市政府主要工作目标任务分解落实方案"); skip dates and the document number.
    for line in reversed(preamble):
        if line and line != document and not re.fullmatch(r"[\d年月日\s]+", line):
            return line[:300]
    return ""


def _year_from_title(title: str) -> int | None:
    match = _YEAR_RE.search(title)
    return int(match.group(1)) if match else None


def _clip(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


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
    state.sections.append(ParsedSection(number=number, title=title, line=line))


def _open_task(state: _State, match: re.Match[str], line: int, text: str) -> None:
    if not state.sections:
        state.problems.append(PlanProblem(line, "task before the first section"))
        return
    cn_numbered = text.startswith("(")
    raw = match.group(1)
    if cn_numbered:
        local = chinese_number(raw)
        section = state.sections[-1]
        if local != len(section.tasks) + 1 and not (
            state.pending is not None and local == len(section.tasks) + 2
        ):
            state.problems.append(
                PlanProblem(line, f"task ({raw}) is out of order in section {section.number}")
            )
        number = state.last_number + 1
        label = f"({raw})"
    else:
        number = int(raw)
        label = f"{number}."
        if number in state.seen:
            state.problems.append(
                PlanProblem(
                    line, f"task {number} appears twice (first on line {state.seen[number]})"
                )
            )
        elif number != state.last_number + 1:
            state.problems.append(
                PlanProblem(line, f"expected task {state.last_number + 1}, found task {number}")
            )
    state.seen.setdefault(number, line)
    state.last_number = number
    state.pending = _Pending(number, label, match.group(2).strip(), line, cn_numbered)


def _ends_with_units(body: str) -> bool:
    return _split_final_group(body) is not None


def _split_final_group(body: str) -> tuple[str, str] | None:
    """Split 'text(units)' at the final balanced parenthesis; None if it does not end so."""
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


def _flush(state: _State) -> None:
    pending, state.pending = state.pending, None
    if pending is None:
        return
    split = _split_final_group(pending.body)
    if split is None:
        state.problems.append(
            PlanProblem(
                pending.line,
                f"task {pending.label} does not end with its units in parentheses "
                "(like '(市发改委主办,市财政局协办)')",
            )
        )
        return
    text, group = split
    if not text:
        state.problems.append(PlanProblem(pending.line, f"task {pending.label} has no text"))
        return
    try:
        lead, co = parse_units(group)
    except ValueError as exc:
        state.problems.append(PlanProblem(pending.line, f"task {pending.label}: {exc}"))
        return
    state.sections[-1].tasks.append(
        ParsedTask(
            number=pending.number,
            label=pending.label,
            text=text,
            lead_units=lead,
            co_units=co,
            line=pending.line,
            targets=extract_targets(text),
        )
    )


def _names(chunk: str) -> list[str]:
    names: list[str] = []
    for raw in re.split(r"[、,;/]", chunk):
        name = _NOTE_RE.sub("", raw).strip(" .。")
        if not name:
            continue
        related = _RELATED_RE.match(name)
        if related and related.group(1):
            names.extend([related.group(1), RELATED_DEPARTMENTS])
        else:
            names.append(name)
    return names


def _dedupe(names: list[str], taken: set[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def parse_units(group: str) -> tuple[list[str], list[str]]:
    """Split a task's final parenthesis into (lead units, co-units), in document order."""
    group = _NOTE_RE.sub("", group.translate(_FOLD)).strip()
    if not group:
        raise ValueError("the units in parentheses are empty")
    if _LABEL_RE.search(group):
        lead, co, responsible = _by_labels(group)
        # "No lead unit named: the responsible units lead" (PRODUCT §2).
        if lead:
            co = responsible + co
        else:
            lead = responsible
    else:
        lead, co = _by_suffixes(group)
    if not lead:
        raise ValueError(f"no lead unit in ({_clip(group)})")
    taken: set[str] = set()
    return _dedupe(lead, taken), _dedupe(co, taken)


def _by_labels(group: str) -> tuple[list[str], list[str], list[str]]:
    matches = list(_LABEL_RE.finditer(group))
    before = group[: matches[0].start()].strip(" ,;、")
    if before:
        raise ValueError(f"units before the first role label: {_clip(before)!r}")
    buckets: dict[str, list[str]] = {LEAD: [], CO: [], _RESPONSIBLE: []}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(group)
        buckets[_LABELS[match.group(1)]].extend(_names(group[match.end() : end]))
    return buckets[LEAD], buckets[CO], buckets[_RESPONSIBLE]


def _by_suffixes(group: str) -> tuple[list[str], list[str]]:
    lead: list[str] = []
    co: list[str] = []
    pending: list[str] = []
    labelled = False
    for element in (e.strip() for e in re.split(r"[,;]", group)):
        if not element:
            continue
        suffix = next((s for s in _SUFFIXES if element.endswith(s)), None)
        if suffix is None:
            # Group separators (",") also stray inside a group (task 40 of the seed):
            # unlabelled names wait for the next role word instead of being guessed.
            pending.extend(_names(element))
            continue
        labelled = True
        pending.extend(_names(element[: -len(suffix)]))
        if not pending:
            raise ValueError(f"'{suffix}' without a unit")
        (lead if _SUFFIXES[suffix] == LEAD else co).extend(pending)
        pending = []
    if pending and labelled:
        raise ValueError(f"units without a role (主办/协办): {'、'.join(pending)}")
    if not labelled:
        lead = pending  # the responsible units lead when no role is written at all
    return lead, co

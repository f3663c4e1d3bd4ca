"""A task's units as plans write them: `(X、Y主办,Z协办)`, `(牵头单位:X;责任单位:Y)`, a table's
cell `X、Y` (or one name a line), `X(牵头)`; and the labels some plans put beside the units
(`完成时限:6月底前`, `责任领导:张三`)."""

from __future__ import annotations

import re

from bot.plan.model import CO, LEAD, clip

# 责任单位 leads when no lead unit is named, otherwise it works alongside the lead.
_RESPONSIBLE = "responsible"

# Full-width punctuation folded to the ASCII forms the rules are written in.
FOLD = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "，": ",",
        "；": ";",
        "：": ":",
        "．": ".",
        "\u3000": " ",
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
    }
)

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
# Other labels beside the units: the deadline and the responsible leader.
_EXTRA_RE = re.compile(
    r"(?P<label>完成时限|完成时间|时间节点|时限要求|时限|责任领导|分管领导|责任市领导|市领导|牵头领导)"
    r"\s*:\s*(?P<value>[^;]*)"
)
# Role words written after the units (X、Y主办,Z协办), or in parentheses after one (X(牵头)).
_SUFFIXES: dict[str, str] = {"主办": LEAD, "牵头": LEAD, "协办": CO, "配合": CO}
_MARKED_RE = re.compile(r"^(.+?)\((牵头|主办|协办|配合)(?:单位|部门)?\)$")
_NOTE_RE = re.compile(r"〈[^〉]*〉|<[^>]*>|＜[^＞]*＞")
# "市消防救援支队等相关部门": a unit plus "the related departments".
_RELATED_RE = re.compile(r"^(.+?)等(?:相关|有关)?部门$")
RELATED_DEPARTMENTS = "相关部门"
_SEPARATORS = r"[、,;/\n]"


def split_extras(group: str) -> tuple[str, str, str]:
    """A group's units apart from its deadline and leader labels: (units, leader, deadline)."""
    leader = deadline = ""
    for match in _EXTRA_RE.finditer(group):
        value = match.group("value").strip(" ,")
        if "领导" in match.group("label"):
            leader = value
        else:
            deadline = value
    units = _EXTRA_RE.sub("", group).strip(" ,;")
    return units, leader, deadline


def names(chunk: str) -> list[str]:
    """Unit names separated by 、 , ; / or line breaks; notes in angle brackets dropped."""
    found: list[str] = []
    for raw in re.split(_SEPARATORS, chunk):
        name = _NOTE_RE.sub("", raw).strip(" .。")
        if not name:
            continue
        related = _RELATED_RE.match(name)
        if related and related.group(1):
            found.extend([related.group(1), RELATED_DEPARTMENTS])
        else:
            found.append(name)
    return found


def _dedupe(listed: list[str], taken: set[str]) -> list[str]:
    out: list[str] = []
    for name in listed:
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def parse_units(group: str, *, first_leads: bool = False) -> tuple[list[str], list[str]]:
    """Split a task's units into (lead units, co-units), in document order.

    Units written with no role (and 责任单位 when no lead is named) lead; with `first_leads`
    (the notice says 列第一位的单位为牵头单位) only the first of them does.
    """
    group = _NOTE_RE.sub("", group.translate(FOLD)).strip()
    if not group:
        raise ValueError("the units in parentheses are empty")
    if _LABEL_RE.search(group):
        lead, co, responsible = _by_labels(group)
        # "No lead unit named: the responsible units lead" (PRODUCT §2).
        if lead:
            co = responsible + co
        elif first_leads:
            lead, co = responsible[:1], responsible[1:] + co
        else:
            lead = responsible
    else:
        lead, co, roleless = _by_suffixes(group)
        if roleless:
            lead, co = (lead[:1], lead[1:]) if first_leads else (lead, co)
    if not lead:
        raise ValueError(f"no lead unit in ({clip(group)})")
    taken: set[str] = set()
    return _dedupe(lead, taken), _dedupe(co, taken)


def _by_labels(group: str) -> tuple[list[str], list[str], list[str]]:
    matches = list(_LABEL_RE.finditer(group))
    before = group[: matches[0].start()].strip(" ,;、")
    if before:
        raise ValueError(f"units before the first role label: {clip(before)!r}")
    buckets: dict[str, list[str]] = {LEAD: [], CO: [], _RESPONSIBLE: []}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(group)
        buckets[_LABELS[match.group(1)]].extend(names(group[match.end() : end]))
    return buckets[LEAD], buckets[CO], buckets[_RESPONSIBLE]


def _by_suffixes(group: str) -> tuple[list[str], list[str], bool]:
    """(lead, co, whether no role was written at all)."""
    lead: list[str] = []
    co: list[str] = []
    pending: list[str] = []
    labelled = marked_lead = False
    for element in (e.strip() for e in re.split(r"[,;\n]", group)):
        if not element:
            continue
        suffix = next((s for s in _SUFFIXES if element.endswith(s)), None)
        if suffix is None:
            # Group separators (",") also stray inside a group (task 40 of the seed):
            # unlabelled names wait for the next role word instead of being guessed.
            for name in names(element):
                marked = _MARKED_RE.match(name)
                if marked:
                    labelled = True
                    marked_lead = marked_lead or _SUFFIXES[marked.group(2)] == LEAD
                    (lead if _SUFFIXES[marked.group(2)] == LEAD else co).append(marked.group(1))
                else:
                    pending.append(name)
            continue
        labelled = True
        pending.extend(names(element[: -len(suffix)]))
        if not pending:
            raise ValueError(f"'{suffix}' without a unit")
        (lead if _SUFFIXES[suffix] == LEAD else co).extend(pending)
        pending = []
    if pending and labelled:
        if marked_lead:
            # X(牵头)、Y、Z: those not marked work alongside the one marked as lead.
            return lead, co + pending, False
        raise ValueError(f"units without a role (主办/协办): {'、'.join(pending)}")
    if not labelled:
        return pending, co, True  # the responsible units lead when no role is written at all
    return lead, co, False

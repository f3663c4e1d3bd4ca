"""Everyday unit names: people and plans say 发改委 for 市发改委 and 江宁区 for 江宁区政府.

A written name is read as a unit when, without the city's prefix (市, 南京市) and the
government's suffix (政府, 人民政府), it is that unit's name, or the start of exactly one
unit's name (玄武 → 玄武区政府). When it fits several (江宁: 江宁区政府, 江宁开发区管委会,
江宁高新区管委会) it is not guessed: the candidates are given instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_SUFFIXES = ("人民政府", "政府")
_MIN_START = 2  # characters a start must have to pick a unit (发改 yes, 市 or 区 no)
MAX_CANDIDATES = 8


@dataclass(frozen=True)
class Lookup:
    """What a written name means: a unit's own name, or candidates when it is ambiguous
    (neither when it is unknown)."""

    name: str | None = None
    candidates: tuple[str, ...] = ()


def _forms(name: str, city: str) -> set[str]:
    """The ways a name is said: as written, without the city's prefix, without 政府."""
    bare = {name}
    for prefix in (city, city.removesuffix("市"), "市"):
        if prefix and name.startswith(prefix) and len(name) > len(prefix):
            bare.add(name[len(prefix) :])
    out = set(bare)
    for form in bare:
        for suffix in _SUFFIXES:
            if form.endswith(suffix) and len(form) > len(suffix):
                out.add(form[: -len(suffix)])
    return {form for form in out if len(form) >= _MIN_START}


class UnitNames:
    """The units' names (and aliases) indexed by their everyday forms."""

    def __init__(self, names: Iterable[str], aliases: Mapping[str, str], city: str = "") -> None:
        self.city = city
        self.names = list(dict.fromkeys(names))
        self.aliases = dict(aliases)
        self._known = set(self.names)
        self._by_form: dict[str, list[str]] = {}
        for name in self.names:
            for form in _forms(name, city):
                self._by_form.setdefault(form, []).append(name)

    def lookup(self, written: str) -> Lookup:
        """The unit a written name means, or the candidates when it could be several."""
        name = written.strip()
        if name in self._known:
            return Lookup(name)
        if name in self.aliases:
            return Lookup(self.aliases[name])
        forms = _forms(name, self.city)
        exact = list(dict.fromkeys(n for f in forms for n in self._by_form.get(f, [])))
        if len(exact) == 1:
            return Lookup(exact[0])
        if exact:
            return Lookup(None, tuple(exact[:MAX_CANDIDATES]))
        starting = list(
            dict.fromkeys(
                unit
                for form, units in self._by_form.items()
                if any(form.startswith(f) for f in forms)
                for unit in units
            )
        )
        if len(starting) == 1:
            return Lookup(starting[0])
        ordered = [n for n in self.names if n in starting]  # in the directory's order
        return Lookup(None, tuple(ordered[:MAX_CANDIDATES]))

"""The unit directory (data/seed/units.yaml): units, their aliases and collectives."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, model_validator

import data
from bot.plan.unit_names import Lookup, UnitNames

DEFAULT_DIRECTORY = Path(data.__file__).resolve().parent / "seed" / "units.yaml"
DEFAULT_PLAN = Path(data.__file__).resolve().parent / "seed" / "nanjing-2021.txt"

Category = Literal["department", "district", "park", "enterprise", "other"]


class DirectoryError(ValueError):
    """The directory file is missing or inconsistent."""


class Collective(BaseModel):
    """A named group of units (各区政府); 'relevant' ones are picked per task."""

    relevant: bool = False
    members: list[str] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)


class Directory(BaseModel):
    """The whole directory, validated: every member and alias target is a known unit."""

    city: str = ""
    units: dict[Category, list[str]] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)
    collectives: dict[str, Collective] = Field(default_factory=dict)
    _names: UnitNames | None = PrivateAttr(default=None)
    _looked_up: dict[str, Lookup] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Directory:
        known = self.unit_names()
        seen: set[str] = set()
        for names in self.units.values():
            for name in names:
                if name in seen:
                    raise ValueError(f"unit {name!r} is listed twice")
                seen.add(name)
        for name, collective in self.collectives.items():
            if name in known:
                raise ValueError(f"{name!r} is both a unit and a collective")
            unknown = [m for m in collective.members if m not in known]
            if unknown:
                raise ValueError(f"collective {name!r} has unknown members: {', '.join(unknown)}")
        for alias, target in self.aliases.items():
            if alias in known or alias in self.collectives:
                raise ValueError(f"alias {alias!r} is also a unit's own name")
            if target not in known and target not in self.collectives:
                raise ValueError(f"alias {alias!r} points at unknown unit {target!r}")
        return self

    def unit_names(self) -> set[str]:
        """Names of all ordinary units."""
        return {name for names in self.units.values() for name in names}

    def category_of(self, name: str) -> str:
        """The category of an ordinary unit, or '' when it is not listed."""
        for category, names in self.units.items():
            if name in names:
                return category
        return ""

    def members_of(self, collective: str) -> list[str]:
        """The members of a collective, explicit ones first, without repeats."""
        spec = self.collectives[collective]
        out = list(spec.members)
        for category in spec.categories:
            out.extend(n for n in self.units.get(category, []) if n not in out)
        return out

    def resolve(self, name: str) -> str:
        """The directory's own name for a name as written (aliases and everyday names
        followed); the name as written when it is unknown or ambiguous."""
        return self.lookup(name).name or name

    def lookup(self, name: str) -> Lookup:
        """What a name as written means: a unit or collective of the directory (发改委 →
        市发改委), the candidates when it is ambiguous, or nothing."""
        found = self._looked_up.get(name)
        if found is None:
            if self._names is None:
                every = [n for names in self.units.values() for n in names]
                self._names = UnitNames([*every, *self.collectives], self.aliases, self.city)
            found = self._looked_up[name] = self._names.lookup(name)
        return found

    def is_known(self, name: str) -> bool:
        """Whether a resolved name is a unit or collective of the directory."""
        return name in self.collectives or name in self.unit_names()


def load_directory(path: Path = DEFAULT_DIRECTORY) -> Directory:
    """Read and validate a directory file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DirectoryError(f"unit directory not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise DirectoryError(f"unit directory {path} is not valid YAML: {exc}") from exc
    try:
        return Directory.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DirectoryError(f"unit directory {path}: {where}: {first['msg']}") from exc

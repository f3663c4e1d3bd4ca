"""Units, aliases and collective membership."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import CollectiveMember, Task, TaskUnit, Unit, UnitAlias
from data.repo.tasks import duties_of_units


@dataclass(frozen=True)
class UnitSpec:
    """A unit as the directory describes it."""

    name: str
    kind: str = "ordinary"
    category: str = ""
    relevant: bool = False
    members: tuple[str, ...] = ()


@dataclass
class UnitLoad:
    """The units of a plan import, by name, and which names the directory did not know."""

    by_name: dict[str, Unit] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


async def sync_directory(
    session: AsyncSession, *, specs: Iterable[UnitSpec], aliases: Mapping[str, str]
) -> dict[str, Unit]:
    """Insert or update the directory's units, aliases and memberships; return units by name."""
    specs = list(specs)
    existing = {u.name: u for u in (await session.scalars(select(Unit))).all()}
    changed = False
    for spec in specs:
        unit = existing.get(spec.name)
        if unit is None:
            unit = Unit(name=spec.name)
            session.add(unit)
            existing[spec.name] = unit
        wanted = (spec.kind, spec.category, spec.relevant, True)
        if (unit.kind, unit.category, unit.relevant, unit.in_directory) != wanted:
            unit.kind, unit.category, unit.relevant, unit.in_directory = wanted
            changed = True
    if changed or session.new:
        await session.flush()

    members_now = {
        (c, m)
        for c, m in (
            await session.execute(
                select(CollectiveMember.collective_id, CollectiveMember.member_id)
            )
        ).all()
    }
    members_wanted = {
        (existing[spec.name].id, existing[m].id) for spec in specs for m in spec.members
    }
    collective_ids = [existing[s.name].id for s in specs if s.kind == "collective"]
    stale = {pair for pair in members_now - members_wanted if pair[0] in collective_ids}
    for collective_id, member_id in stale:
        await session.execute(
            delete(CollectiveMember).where(
                CollectiveMember.collective_id == collective_id,
                CollectiveMember.member_id == member_id,
            )
        )
    session.add_all(
        CollectiveMember(collective_id=c, member_id=m) for c, m in members_wanted - members_now
    )

    aliases_now = {a.alias: a for a in (await session.scalars(select(UnitAlias))).all()}
    for alias, target in aliases.items():
        target_id = existing[target].id
        row = aliases_now.get(alias)
        if row is None:
            session.add(UnitAlias(alias=alias, unit_id=target_id))
        elif row.unit_id != target_id:
            row.unit_id = target_id
    await session.flush()
    return existing


async def ensure_units(
    session: AsyncSession, *, names: Iterable[str], known: dict[str, Unit]
) -> UnitLoad:
    """Units for the given names, creating (and flagging) those the directory lacks."""
    wanted = list(dict.fromkeys(names))
    load = UnitLoad(by_name=dict(known))
    missing = [name for name in wanted if name not in load.by_name]
    for name in missing:
        load.by_name[name] = Unit(name=name, kind="ordinary", in_directory=False)
        session.add(load.by_name[name])
    if missing:
        await session.flush()
    load.unknown = [name for name in wanted if not load.by_name[name].in_directory]
    return load


@dataclass(frozen=True)
class UnitRow:
    """A unit with the number of tasks it leads and co-works on, and its members."""

    name: str
    kind: str
    category: str
    relevant: bool
    in_directory: bool
    lead: int
    co: int
    members: tuple[str, ...]
    # Of those tasks, how many are the unit's as a member of a collective (各区政府 …).
    through_collectives: int = 0


async def list_units(session: AsyncSession, *, plan_id: int | None = None) -> list[UnitRow]:
    """Every unit with its lead/co task counts (of one plan, or all) and collective members.

    A unit counts every task it holds, as /mytasks shows them: named itself, or as a member
    of a collective (江宁区政府 through 各区政府, or assigned to 相关区政府); a collective counts
    the tasks that name it."""
    counts_q = (
        select(TaskUnit.unit_id, TaskUnit.role, func.count())
        .join(Task, Task.id == TaskUnit.task_id)
        .join(Unit, and_(Unit.id == TaskUnit.unit_id, Unit.kind == "collective"))
        .where(Task.retired.is_(False))
        .group_by(TaskUnit.unit_id, TaskUnit.role)
    )
    if plan_id is not None:
        counts_q = counts_q.where(Task.plan_id == plan_id)
    counts: Counter[tuple[int, str]] = Counter(
        {(unit_id, role): n for unit_id, role, n in (await session.execute(counts_q)).all()}
    )
    through: Counter[int] = Counter()
    for duty in await duties_of_units(session, plan_id=plan_id, unit_ids=None):
        counts[(duty.unit_id, duty.role)] += 1
        through[duty.unit_id] += duty.via is not None
    units = (await session.scalars(select(Unit).order_by(Unit.kind.desc(), Unit.id))).all()
    names = {u.id: u.name for u in units}
    members: dict[int, list[str]] = {}
    for collective_id, member_id in (
        await session.execute(
            select(CollectiveMember.collective_id, CollectiveMember.member_id).order_by(
                CollectiveMember.collective_id, CollectiveMember.member_id
            )
        )
    ).all():
        members.setdefault(collective_id, []).append(names[member_id])
    return [
        UnitRow(
            name=u.name,
            kind=u.kind,
            category=u.category,
            relevant=u.relevant,
            in_directory=u.in_directory,
            lead=counts.get((u.id, "lead"), 0),
            co=counts.get((u.id, "co"), 0),
            members=tuple(members.get(u.id, ())),
            through_collectives=through[u.id],
        )
        for u in units
    ]


async def resolve_unit(session: AsyncSession, *, name: str) -> Unit | None:
    """A unit by its own name or an alias."""
    unit = await session.scalar(select(Unit).where(Unit.name == name))
    if unit is not None:
        return unit
    return await session.scalar(
        select(Unit).join(UnitAlias, UnitAlias.unit_id == Unit.id).where(UnitAlias.alias == name)
    )


async def units_by_ids(session: AsyncSession, *, ids: Iterable[int]) -> dict[int, Unit]:
    """Units by id."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {u.id: u for u in await session.scalars(select(Unit).where(Unit.id.in_(wanted)))}


async def unit_names(session: AsyncSession, *, ids: Iterable[int]) -> dict[int, str]:
    """Units' names by id, as plain rows (a city's tick names 2,000 of them)."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))
    return {unit_id: name for unit_id, name in rows.all()}


async def member_ids(session: AsyncSession, *, collective_id: int) -> set[int]:
    """The ids of a collective's members."""
    rows = await session.scalars(
        select(CollectiveMember.member_id).where(CollectiveMember.collective_id == collective_id)
    )
    return set(rows.all())


async def known_unit_names(session: AsyncSession) -> set[str]:
    """The names of every unit and collective the database has."""
    return set((await session.scalars(select(Unit.name))).all())

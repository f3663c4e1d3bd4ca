"""The people of each unit (liaisons and leaders) as a roster, and taking someone off a unit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import (
    Contact,
    ContactUnit,
    OutboxMessage,
    ReportDraft,
    Unit,
    UnitLeader,
)

# What the outbox sends a person because of their unit (not as a coordinator): cancelled when
# they are taken off their last unit.
UNIT_KINDS = ("nudge", "contribution", "deadline", "chase", "broadcast", "returned", "leader")


@dataclass(frozen=True)
class Person:
    """One person on a unit's roster."""

    contact_id: int
    telegram_id: int
    name: str
    username: str | None
    role: str  # 'liaison' or 'leader'
    since: datetime
    last_seen: datetime | None
    reachable: bool
    language: str | None


@dataclass
class UnitRoster:
    """A unit and its people; `reachable` when some liaison can be written to."""

    unit_id: int
    name: str
    people: list[Person] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return any(p.reachable and p.role == "liaison" for p in self.people)


async def roster(session: AsyncSession, *, unit_ids: Collection[int]) -> list[UnitRoster]:
    """The liaisons and leaders of these units (two queries), units nobody can be reached at
    first, then in the directory's order."""
    ids = sorted(set(unit_ids))
    if not ids:
        return []
    units = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))
    out = {unit_id: UnitRoster(unit_id, name) for unit_id, name in units.all()}
    for link, role in ((ContactUnit, "liaison"), (UnitLeader, "leader")):
        rows = await session.execute(
            select(link.unit_id, link.created_at, Contact)
            .join(Contact, Contact.id == link.contact_id)
            .where(link.unit_id.in_(ids))
            .order_by(link.created_at, Contact.id)
        )
        for unit_id, since, contact in rows.all():
            out[unit_id].people.append(
                Person(
                    contact_id=contact.id,
                    telegram_id=contact.telegram_id,
                    name=contact.full_name,
                    username=contact.username,
                    role=role,
                    since=since,
                    last_seen=contact.last_seen_at,
                    reachable=contact.unreachable_at is None,
                    language=contact.language,
                )
            )
    return sorted(out.values(), key=lambda u: (u.reachable, u.unit_id))


async def units_of(session: AsyncSession, *, contact_id: int) -> dict[int, str]:
    """The units a person serves or leads, id -> 'liaison' or 'leader'."""
    held: dict[int, str] = {}
    for link, role in ((UnitLeader, "leader"), (ContactUnit, "liaison")):
        rows = await session.scalars(select(link.unit_id).where(link.contact_id == contact_id))
        held.update(dict.fromkeys(rows.all(), role))
    return held


async def drop_links(
    session: AsyncSession, *, contact_id: int, unit_id: int | None = None
) -> list[int]:
    """Take a person off one unit (or every unit), as liaison and as leader; returns the units
    they were taken off."""
    dropped: list[int] = []
    for link in (ContactUnit, UnitLeader):
        query = delete(link).where(link.contact_id == contact_id)
        if unit_id is not None:
            query = query.where(link.unit_id == unit_id)
        result = await session.execute(
            query.returning(link.unit_id).execution_options(synchronize_session=False)
        )
        dropped += result.scalars().all()
    return sorted(set(dropped))


async def discard_unit_drafts(
    session: AsyncSession, *, contact_id: int, unit_id: int | None = None
) -> int:
    """Discard the person's report in progress (for one unit, or whichever it is)."""
    query = delete(ReportDraft).where(
        ReportDraft.contact_id == contact_id, ReportDraft.kind == "report"
    )
    if unit_id is not None:
        query = query.where(ReportDraft.unit_id == unit_id)
    result = await session.execute(query.execution_options(synchronize_session=False))
    return result.rowcount if isinstance(result, CursorResult) else 0


async def cancel_unit_messages(session: AsyncSession, *, contact_id: int, now: datetime) -> int:
    """Cancel what is still queued for the person because of their units (nudges, chases,
    broadcasts…): marked failed, 'cancelled', never sent."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.state == "queued",
            OutboxMessage.kind.in_(UNIT_KINDS),
        )
        .values(state="failed", last_error=f"cancelled: taken off their unit at {now:%F %T}")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0


async def leaders_by_unit(
    session: AsyncSession, *, unit_ids: Collection[int]
) -> dict[int, list[Contact]]:
    """The reachable leaders of each unit."""
    if not unit_ids:
        return {}
    rows = await session.execute(
        select(UnitLeader.unit_id, Contact)
        .join(Contact, Contact.id == UnitLeader.contact_id)
        .where(UnitLeader.unit_id.in_(list(unit_ids)), Contact.unreachable_at.is_(None))
        .order_by(Contact.id)
    )
    out: dict[int, list[Contact]] = {}
    for unit_id, contact in rows.all():
        out.setdefault(unit_id, []).append(contact)
    return out


def make_leader(session: AsyncSession, *, contact: Contact, unit_id: int, now: datetime) -> bool:
    """Make a contact a leader of a unit; False when they already were."""
    if any(lead.unit_id == unit_id for lead in contact.leads):
        return False
    contact.leads.append(UnitLeader(unit_id=unit_id, created_at=now))
    return True

"""People over the year: taking someone off a unit (by a coordinator, the CLI, or themselves),
handing a unit over to a successor, and who is on each unit's roster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Contact, Plan
from data.repo import audit
from data.repo.coordinators import revoke_grants
from data.repo.people import (
    UnitRoster,
    cancel_unit_messages,
    discard_unit_drafts,
    drop_links,
    roster,
    units_of,
)
from data.repo.tasks import duties_of_units
from data.repo.units import units_by_ids


@dataclass(frozen=True)
class Unlinked:
    """What taking someone off did: the units they left, and what was cleared behind them."""

    units: list[str]
    drafts: int
    cancelled: int


async def unlink(
    session: AsyncSession,
    *,
    person: Contact,
    unit_id: int | None,
    by: Contact | None,
    now: datetime,
    reason: str,
) -> Unlinked:
    """Take a person off one unit (or all of them): their access goes with the link at their
    next update, their report in progress on it is discarded, and when no unit is left their
    queued unit messages are cancelled; audited as done by `by` (None: the command line; the
    caller commits)."""
    dropped = await drop_links(session, contact_id=person.id, unit_id=unit_id)
    if not dropped:
        return Unlinked([], 0, 0)
    drafts = await discard_unit_drafts(session, contact_id=person.id, unit_id=unit_id)
    left = await units_of(session, contact_id=person.id)
    cancelled = 0 if left else await cancel_unit_messages(session, contact_id=person.id, now=now)
    names = [u.name for u in (await units_by_ids(session, ids=dropped)).values()]
    detail = {"units": names, "drafts": drafts, "cancelled": cancelled, "reason": reason}
    _audit(session, by, "contact.unlink", person, now=now, detail=detail)
    # The loaded person must not keep the links just deleted in SQL.
    await session.refresh(person, ["units", "leads"])
    return Unlinked(sorted(names), drafts, cancelled)


async def units_in_play(session: AsyncSession, *, plans: Sequence[Plan]) -> set[int]:
    """The units that owe something in these plans (directly or through a collective)."""
    return {
        duty.unit_id
        for plan in plans
        for duty in await duties_of_units(session, plan_id=plan.id, unit_ids=None)
    }


async def plan_roster(
    session: AsyncSession, *, plans: Sequence[Plan], unit_id: int | None = None
) -> list[UnitRoster]:
    """The roster of one unit, or of every unit owing something in the plans, units nobody
    can be reached at first."""
    ids = {unit_id} if unit_id is not None else await units_in_play(session, plans=plans)
    return await roster(session, unit_ids=ids)


async def revoke_coordinator(
    session: AsyncSession, *, person: Contact, by: Contact | None, now: datetime
) -> int:
    """Take away the coordinator rights a person got from invites (the setting's people are
    changed in the setting); audited. Returns how many grants there were."""
    count = await revoke_grants(session, contact_id=person.id, by=by.id if by else None, now=now)
    if count:
        _audit(session, by, "coordinator.revoke", person, now=now, detail={"grants": count})
    return count


def _audit(
    session: AsyncSession,
    by: Contact | None,
    action: str,
    person: Contact,
    *,
    now: datetime,
    detail: dict[str, object],
) -> None:
    """Audit a change to a person, made by someone in chat or (None) from the command line."""
    if by is None:
        audit.record(session, "cli", action, ("contact", person.id), at=now, detail=detail)
    else:
        audit.by_person(session, by, action, ("contact", person.id), at=now, detail=detail)

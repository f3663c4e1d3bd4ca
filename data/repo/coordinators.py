"""Who coordinates: grants from coordinator invites (every plan, or one), and their revocation.

Those named in DUBAN_COORDINATORS have no grant: the setting is read at every update and never
copied into the database, so taking someone out of it takes their rights away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Contact, CoordinatorGrant, Plan


@dataclass(frozen=True)
class Scope:
    """The plans a person coordinates: every plan, or these (none at all: not a coordinator)."""

    every_plan: bool
    plan_ids: frozenset[int] = frozenset()

    @property
    def any(self) -> bool:
        """Whether the person coordinates anything."""
        return self.every_plan or bool(self.plan_ids)

    def covers(self, plan_id: int) -> bool:
        """Whether the person coordinates this plan."""
        return self.every_plan or plan_id in self.plan_ids


EVERY_PLAN = Scope(every_plan=True)
NO_PLAN = Scope(every_plan=False)


def _active() -> ColumnElement[bool]:
    return CoordinatorGrant.revoked_at.is_(None)


async def scope_of(session: AsyncSession, *, contact_id: int) -> Scope:
    """What a person's grants let them coordinate."""
    rows = await session.scalars(
        select(CoordinatorGrant.plan_id).where(
            CoordinatorGrant.contact_id == contact_id, _active()
        )
    )
    plan_ids = list(rows.all())
    if any(plan_id is None for plan_id in plan_ids):
        return EVERY_PLAN
    return Scope(every_plan=False, plan_ids=frozenset(p for p in plan_ids if p is not None))


def grant(
    session: AsyncSession,
    *,
    contact_id: int,
    plan_id: int | None,
    by: int | None,
    now: datetime,
) -> None:
    """Let a person coordinate every plan (plan_id None) or one plan."""
    session.add(
        CoordinatorGrant(contact_id=contact_id, plan_id=plan_id, granted_at=now, granted_by=by)
    )


async def revoke_grants(
    session: AsyncSession, *, contact_id: int, by: int | None, now: datetime
) -> int:
    """Take every grant of a person away; returns how many there were."""
    result = await session.execute(
        update(CoordinatorGrant)
        .where(CoordinatorGrant.contact_id == contact_id, _active())
        .values(revoked_at=now, revoked_by=by)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0


async def coordinators(
    session: AsyncSession, *, extra_ids: Sequence[int] = (), plan_id: int | None = None
) -> list[Contact]:
    """Every coordinator the bot knows (granted, or configured by Telegram id): of every plan,
    or those who coordinate `plan_id` (global ones included)."""
    covers: ColumnElement[bool] = CoordinatorGrant.plan_id.is_(None)
    if plan_id is not None:
        covers = or_(covers, CoordinatorGrant.plan_id == plan_id)
    granted = select(CoordinatorGrant.contact_id).where(_active(), covers)
    query = select(Contact).where(
        or_(Contact.id.in_(granted), Contact.telegram_id.in_(list(extra_ids)))
    )
    return list((await session.scalars(query.order_by(Contact.id))).all())


async def former_coordinators(
    session: AsyncSession, *, extra_ids: Sequence[int] = ()
) -> list[Contact]:
    """People whose grants were all revoked (and who are not configured coordinators)."""
    active = select(CoordinatorGrant.contact_id).where(_active())
    revoked = select(CoordinatorGrant.contact_id).where(CoordinatorGrant.revoked_at.is_not(None))
    query = select(Contact).where(
        Contact.id.in_(revoked),
        Contact.id.not_in(active),
        Contact.telegram_id.not_in(list(extra_ids)),
    )
    return list((await session.scalars(query.order_by(Contact.id))).all())


@dataclass(frozen=True)
class GrantRow:
    """A granted coordinator as `duban coordinators` lists them."""

    contact_id: int
    telegram_id: int
    name: str
    plan: str | None  # the plan's short name, None for every plan
    granted_at: datetime


async def grant_rows(session: AsyncSession) -> list[GrantRow]:
    """Every active grant with its person and plan, oldest first."""
    rows = await session.execute(
        select(
            Contact.id,
            Contact.telegram_id,
            Contact.full_name,
            Plan.short_name,
            CoordinatorGrant.granted_at,
        )
        .join(Contact, Contact.id == CoordinatorGrant.contact_id)
        .outerjoin(Plan, Plan.id == CoordinatorGrant.plan_id)
        .where(_active())
        .order_by(CoordinatorGrant.granted_at, CoordinatorGrant.id)
    )
    return [GrantRow(*row) for row in rows.all()]

"""Linking people to units: one-time invite codes (hashed, expiring, revocable, throttled)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import unlink
from data.models import Contact, Invite, Unit
from data.repo import audit
from data.repo.contacts import contact_with_units, link_unit
from data.repo.coordinators import grant
from data.repo.invites import (
    add_failure,
    add_invite,
    claim_invite,
    count_failures,
    find_invite,
    revoke_invites,
)
from data.repo.people import make_leader

# 24 random bytes = 192 bits, 32 URL-safe characters: fits Telegram's 64-character
# deep-link payload and is far beyond guessing, even before throttling.
CODE_BYTES = 24


class Outcome(StrEnum):
    """What happened to a /start code."""

    LINKED_UNIT = "linked_unit"
    LINKED_LEADER = "linked_leader"
    LINKED_COORDINATOR = "linked_coordinator"
    ALREADY_LINKED = "already_linked"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Redemption:
    """The outcome of redeeming a code and, when linked, the unit's name."""

    outcome: Outcome
    unit: str | None = None


def hash_code(code: str) -> str:
    """The stored form of a code."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def deep_link(bot_username: str, code: str) -> str:
    """The t.me link that opens the bot with /start CODE."""
    return f"https://t.me/{bot_username}?start={code}"


async def create_invite(
    session: AsyncSession,
    *,
    unit: Unit | None,
    now: datetime,
    ttl_days: int,
    created_by: Contact | None = None,
    actor: str = "cli",
    plan_id: int | None = None,
    role: str = "liaison",
    replaces: Contact | None = None,
) -> str:
    """A new code for a unit's liaison (taking over from `replaces` when given) or leader, or
    for a coordinator when unit is None (of every plan, or only of `plan_id`); returns the
    code."""
    if unit is not None and unit.kind == "collective":
        raise ValueError("invites go to ordinary units, not collectives")
    if (role != "liaison" or replaces is not None) and unit is None:
        raise ValueError("leaders and successors are invited to a unit")
    code = secrets.token_urlsafe(CODE_BYTES)
    invite = Invite(
        code_hash=hash_code(code),
        unit_id=unit.id if unit else None,
        for_coordinator=unit is None,
        plan_id=plan_id if unit is None else None,
        role=role,
        replaces_id=replaces.id if replaces else None,
        created_by=created_by.id if created_by else None,
        created_at=now,
        expires_at=now + timedelta(days=ttl_days),
    )
    await add_invite(session, invite=invite)
    audit.record(
        session,
        actor,
        "invite.create",
        ("invite", invite.id),
        at=now,
        contact_id=created_by.id if created_by else None,
        detail={
            "unit": unit.name if unit else None,
            "coordinator": unit is None,
            "role": role,
            "replaces": replaces.telegram_id if replaces else None,
        },
    )
    return code


async def revoke(
    session: AsyncSession,
    *,
    now: datetime,
    actor: str = "cli",
    code: str | None = None,
    unit: Unit | None = None,
) -> int:
    """Revoke an open invite by its code, or all open invites of a unit."""
    count = await revoke_invites(
        session,
        now=now,
        code_hash=hash_code(code) if code else None,
        unit_id=unit.id if unit else None,
    )
    if count:
        detail = {"unit": unit.name if unit else None, "count": count}
        audit.record(session, actor, "invite.revoke", ("invite", None), at=now, detail=detail)
    return count


async def redeem(
    session: AsyncSession,
    *,
    code: str,
    contact: Contact,
    now: datetime,
    max_failures_per_hour: int,
) -> Redemption:
    """Redeem a code for a contact; wrong codes count towards a per-user hourly limit."""
    since = now - timedelta(hours=1)
    if await count_failures(session, telegram_id=contact.telegram_id, since=since) >= (
        max_failures_per_hour
    ):
        return Redemption(Outcome.THROTTLED)
    invite = await find_invite(session, code_hash=hash_code(code))
    if invite is None:
        add_failure(session, telegram_id=contact.telegram_id, now=now)
        return Redemption(Outcome.UNKNOWN)
    unit = await session.get(Unit, invite.unit_id) if invite.unit_id else None
    name = unit.name if unit else None
    if invite.revoked_at is not None:
        return Redemption(Outcome.REVOKED, name)
    if invite.used_at is not None:
        if invite.used_by == contact.id:
            return Redemption(Outcome.ALREADY_LINKED, name)
        return Redemption(Outcome.USED, name)
    if _aware(invite.expires_at) <= now:
        return Redemption(Outcome.EXPIRED, name)
    if not await claim_invite(session, invite_id=invite.id, contact_id=contact.id, now=now):
        return Redemption(Outcome.USED, name)
    if unit is None:
        grant(
            session, contact_id=contact.id, plan_id=invite.plan_id, by=invite.created_by, now=now
        )
        outcome = Outcome.LINKED_COORDINATOR
    elif invite.role == "leader":
        linked = make_leader(session, contact=contact, unit_id=unit.id, now=now)
        outcome = Outcome.LINKED_LEADER if linked else Outcome.ALREADY_LINKED
    else:
        linked = link_unit(session, contact=contact, unit_id=unit.id, now=now)
        outcome = Outcome.LINKED_UNIT if linked else Outcome.ALREADY_LINKED
        if invite.replaces_id is not None and invite.replaces_id != contact.id:
            await _hand_over(session, invite=invite, unit=unit, successor=contact, now=now)
    detail = {"unit": name, "coordinator": unit is None, "role": invite.role}
    audit.by_person(
        session, contact, "invite.redeem", ("contact", contact.id), at=now, detail=detail
    )
    return Redemption(outcome, name)


async def _hand_over(
    session: AsyncSession, *, invite: Invite, unit: Unit, successor: Contact, now: datetime
) -> None:
    """The successor linked: their predecessor is taken off the unit (drafts are theirs and go
    with them; the unit's history stays with the unit)."""
    predecessor = await contact_with_units(session, contact_id=invite.replaces_id or 0)
    if predecessor is None:
        return
    inviter = await session.get(Contact, invite.created_by) if invite.created_by else None
    await unlink(
        session,
        person=predecessor,
        unit_id=unit.id,
        by=inviter,
        now=now,
        reason=f"handed over to {successor.telegram_id}",
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone=True columns; we store UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

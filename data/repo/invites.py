"""Invite codes (stored as hashes) and the record of wrong attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Invite, InviteFailure


async def add_invite(session: AsyncSession, *, invite: Invite) -> Invite:
    """Store a new invite (its id is known afterwards)."""
    session.add(invite)
    await session.flush()
    return invite


async def find_invite(session: AsyncSession, *, code_hash: str) -> Invite | None:
    """An invite by the hash of its code."""
    return await session.scalar(select(Invite).where(Invite.code_hash == code_hash))


async def claim_invite(
    session: AsyncSession, *, invite_id: int, contact_id: int, now: datetime
) -> bool:
    """Mark an invite used, only if nobody else did first (two taps, two people)."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(used_at=now, used_by=contact_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke_invites(
    session: AsyncSession,
    *,
    now: datetime,
    code_hash: str | None = None,
    unit_id: int | None = None,
) -> int:
    """Revoke one invite (by code hash) or every open invite of a unit; returns how many."""
    query = update(Invite).where(Invite.used_at.is_(None), Invite.revoked_at.is_(None))
    if code_hash is not None:
        query = query.where(Invite.code_hash == code_hash)
    elif unit_id is not None:
        query = query.where(Invite.unit_id == unit_id)
    else:
        raise ValueError("revoke by code or by unit")
    result = await session.execute(query.values(revoked_at=now))
    return int(getattr(result, "rowcount", 0))


async def count_failures(session: AsyncSession, *, telegram_id: int, since: datetime) -> int:
    """Wrong codes tried by a user since a moment."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(InviteFailure)
            .where(InviteFailure.telegram_id == telegram_id, InviteFailure.at >= since)
        )
        or 0
    )


def add_failure(session: AsyncSession, *, telegram_id: int, now: datetime) -> None:
    """Record a wrong code."""
    session.add(InviteFailure(telegram_id=telegram_id, at=now))

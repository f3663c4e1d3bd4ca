"""Nudge claims: a unique key per nudge, inserted in the transaction that queues it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import NudgeClaim


async def claim(session: AsyncSession, *, key: str, kind: str, now: datetime) -> bool:
    """Take a nudge key; False when it was taken before (by this or another worker)."""
    if await session.get(NudgeClaim, key) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(NudgeClaim(key=key, kind=kind, created_at=now))
    except IntegrityError:
        return False
    return True


async def count_prefix(session: AsyncSession, *, prefix: str) -> int:
    """How many claims start with a prefix (e.g. every unit of one step)."""
    return int(
        await session.scalar(
            select(func.count()).select_from(NudgeClaim).where(NudgeClaim.key.startswith(prefix))
        )
        or 0
    )


async def is_claimed(session: AsyncSession, *, key: str) -> bool:
    """Whether a key was claimed."""
    return await session.get(NudgeClaim, key) is not None

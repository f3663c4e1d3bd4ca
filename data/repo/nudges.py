"""Nudge claims: a unique key per nudge, inserted in the transaction that queues it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import NudgeClaim
from data.repo.bulk import insert_new


async def claim_keys(session: AsyncSession, *, keys: Mapping[str, str], now: datetime) -> set[str]:
    """Take the nudge keys (key -> kind) nobody took before, by this or another worker, in
    one statement; returns the keys this call took."""
    rows = [{"key": key, "kind": kind, "created_at": now} for key, kind in keys.items()]
    return await insert_new(session, NudgeClaim, rows, key=NudgeClaim.key)


async def take(
    session: AsyncSession, *, keys: Mapping[str, str], now: datetime, dry_run: bool
) -> set[str]:
    """Claim keys (key -> kind) as claim_keys does; a dry run claims nothing and only says
    which are still free."""
    if dry_run:
        return set(keys) - await claimed(session, keys=keys)
    return await claim_keys(session, keys=keys, now=now)


async def claimed(session: AsyncSession, *, keys: Collection[str]) -> set[str]:
    """Which of the keys were claimed already."""
    if not keys:
        return set()
    rows = await session.scalars(select(NudgeClaim.key).where(NudgeClaim.key.in_(list(keys))))
    return set(rows.all())


async def count_prefix(session: AsyncSession, *, prefix: str) -> int:
    """How many claims start with a prefix (e.g. every unit of one step)."""
    return int(
        await session.scalar(
            select(func.count()).select_from(NudgeClaim).where(NudgeClaim.key.startswith(prefix))
        )
        or 0
    )

"""Bulletins (通报) the clock wrote: stored once per period and language, read when sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Bulletin


async def store_bulletin(
    session: AsyncSession,
    *,
    plan_id: int,
    period_id: int,
    lang: str,
    filename: str,
    data: bytes,
    now: datetime,
) -> int:
    """Keep a written bulletin (in the caller's transaction); returns its id."""
    row = Bulletin(
        plan_id=plan_id,
        period_id=period_id,
        lang=lang,
        filename=filename,
        data=data,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def bulletin_file(session: AsyncSession, *, bulletin_id: int) -> tuple[str, bytes] | None:
    """A stored bulletin's file name and bytes."""
    row = (
        await session.execute(
            select(Bulletin.filename, Bulletin.data).where(Bulletin.id == bulletin_id)
        )
    ).first()
    return (row[0], row[1]) if row else None

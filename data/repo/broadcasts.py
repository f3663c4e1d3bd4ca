"""Broadcasts: the coordinator's draft, those sending now, and why their messages failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import Broadcast, Contact, OutboxMessage


async def active_draft(session: AsyncSession, *, contact_id: int) -> Broadcast | None:
    """The coordinator's broadcast being written, if any."""
    return await session.scalar(
        select(Broadcast)
        .where(Broadcast.created_by == contact_id, Broadcast.state == "draft")
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


async def live_broadcasts(
    session: AsyncSession, *, now: datetime
) -> Sequence[tuple[Broadcast, str | None]]:
    """Broadcasts whose sending has started (scheduled ones once their time has come), each
    with its author's language."""
    rows = await session.execute(
        select(Broadcast, Contact.language)
        .outerjoin(Contact, Contact.id == Broadcast.created_by)
        .where(
            (Broadcast.state == "sending")
            | ((Broadcast.state == "scheduled") & (Broadcast.scheduled_at <= now))
        )
        .order_by(Broadcast.id)
    )
    return [(broadcast, language) for broadcast, language in rows.all()]


async def failure_reasons(session: AsyncSession, *, batch: str) -> list[str]:
    """The recorded error of each failed message of an outbox batch."""
    rows = await session.scalars(
        select(OutboxMessage.last_error).where(
            OutboxMessage.batch == batch, OutboxMessage.state == "failed"
        )
    )
    return [error or "" for error in rows.all()]

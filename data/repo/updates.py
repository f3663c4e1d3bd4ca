"""Telegram updates received by webhook workers: arrival, per-chat order, handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import ProcessedUpdate
from data.repo.bulk import insert_ignoring


async def record_arrival(
    session: AsyncSession, *, update_id: int, chat_id: int | None, now: datetime
) -> bool:
    """Note that the update arrived (once, whoever receives it first); whether it was handled
    already (a redelivery)."""
    await insert_ignoring(
        session,
        ProcessedUpdate,
        [{"update_id": update_id, "chat_id": chat_id, "received_at": now}],
        key=ProcessedUpdate.update_id,
    )
    return await was_handled(session, update_id=update_id)


async def was_handled(session: AsyncSession, *, update_id: int) -> bool:
    """Whether the update's handling was committed."""
    handled = await session.scalar(
        select(ProcessedUpdate.handled_at).where(ProcessedUpdate.update_id == update_id)
    )
    return handled is not None


async def earlier_waiting(
    session: AsyncSession, *, update_id: int, chat_id: int, since: datetime
) -> bool:
    """Whether an earlier update of the chat arrived after `since` and is not handled yet."""
    found = await session.scalar(
        select(ProcessedUpdate.update_id)
        .where(
            ProcessedUpdate.chat_id == chat_id,
            ProcessedUpdate.update_id < update_id,
            ProcessedUpdate.handled_at.is_(None),
            ProcessedUpdate.received_at > since,
        )
        .limit(1)
    )
    return found is not None


async def mark_handled(session: AsyncSession, *, update_id: int, now: datetime) -> None:
    """The update is handled (in the transaction that holds its chat's lock)."""
    await session.execute(
        update(ProcessedUpdate)
        .where(ProcessedUpdate.update_id == update_id)
        .values(handled_at=now)
    )


async def lock_chat(session: AsyncSession, *, chat_id: int) -> None:
    """Hold the chat's lock until this transaction ends (PostgreSQL only): the chat's updates
    never run at once on two workers. A worker that dies lets go with its connection."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": chat_id})


async def prune(session: AsyncSession, *, before: datetime) -> int:
    """Forget updates received before a moment; how many went."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.received_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)

"""The outbox table: queue, claim (leased), and record the fate of each message."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Result, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import OutboxMessage
from data.repo.bulk import insert_ignoring, insert_new


async def enqueue(session: AsyncSession, *, rows: Sequence[Mapping[str, Any]]) -> int:
    """Queue messages (each a dict of OutboxMessage columns); a row whose dedupe key is already
    queued is skipped. Returns how many were queued (for a batch, how many were offered: one
    compiled statement for many rows is what keeps a due day's 20,000 nudges quick)."""
    if len(rows) == 1:
        key = OutboxMessage.dedupe_key
        return len(
            await insert_new(session, OutboxMessage, rows, key=key, conflict=("dedupe_key",))
        )
    await insert_ignoring(session, OutboxMessage, rows, key=OutboxMessage.dedupe_key)
    return len(rows)


async def claim(
    session: AsyncSession,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    exclude: Collection[int] = (),
    chats_from: int | None = None,
) -> Sequence[OutboxMessage]:
    """Take up to `limit` due messages for sending; a lapsed lease (a crashed sender) is retaken.

    `exclude` names rows the caller still holds, so that a sender never retakes its own;
    `chats_from` takes only rows for chats with ids from that one up (the console's people). On
    PostgreSQL the candidate rows are locked with SKIP LOCKED, so workers never take the same
    row; SQLite serialises writers, which gives the same guarantee.
    """
    due = or_(
        (OutboxMessage.state == "queued") & (OutboxMessage.not_before <= now),
        (OutboxMessage.state == "sending") & (OutboxMessage.claimed_until < now),
    )
    ids = select(OutboxMessage.id).where(due)
    if exclude:
        ids = ids.where(OutboxMessage.id.not_in(list(exclude)))
    if chats_from is not None:
        ids = ids.where(OutboxMessage.chat_id >= chats_from)
    ids = (
        ids.order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    chosen = list((await session.scalars(ids)).all())
    if not chosen:
        return []
    rows = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen), due)
        .values(state="sending", claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(rows.all(), key=lambda m: (m.not_before, m.id))


def _held(message_id: int, lease: datetime | None) -> ColumnElement[bool]:
    """The row, and (with `lease`) only while it is still ours: 'sending' under that lease."""
    mine = OutboxMessage.id == message_id
    if lease is None:
        return mine
    return mine & (OutboxMessage.state == "sending") & (OutboxMessage.claimed_until == lease)


async def mark_sent(
    session: AsyncSession,
    *,
    message_id: int,
    telegram_message_id: int | None,
    now: datetime,
    lease: datetime | None = None,
) -> bool:
    """Telegram accepted the message; False when the row was no longer ours (see `_held`)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(_held(message_id, lease))
        .values(
            state="sent",
            sent_at=now,
            telegram_message_id=telegram_message_id,
            claimed_until=None,
            last_error=None,
        )
    )
    return _changed(result)


async def mark_retry(
    session: AsyncSession,
    *,
    message_id: int,
    not_before: datetime,
    error: str,
    count_attempt: bool = True,
    chat_id: int | None = None,
    lease: datetime | None = None,
) -> bool:
    """Put a message back in the queue for later (to a new chat id if the group migrated);
    False when the row was no longer ours."""
    values: dict[str, Any] = {
        "state": "queued",
        "not_before": not_before,
        "claimed_until": None,
        "last_error": error[:500],
    }
    if chat_id is not None:
        values["chat_id"] = chat_id
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    result = await session.execute(
        update(OutboxMessage).where(_held(message_id, lease)).values(**values)
    )
    return _changed(result)


async def mark_failed(
    session: AsyncSession, *, message_id: int, error: str, lease: datetime | None = None
) -> bool:
    """A permanent failure: kept, with its reason, never retried; False when no longer ours."""
    result = await session.execute(
        update(OutboxMessage)
        .where(_held(message_id, lease))
        .values(state="failed", claimed_until=None, last_error=error[:500])
    )
    return _changed(result)


def _changed(result: Result[Any]) -> bool:
    return isinstance(result, CursorResult) and result.rowcount > 0


async def counts(session: AsyncSession, *, batch: str | None = None) -> dict[str, int]:
    """How many messages are in each state (of one batch, or all)."""
    query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    if batch is not None:
        query = query.where(OutboxMessage.batch == batch)
    return {state: n for state, n in (await session.execute(query)).all()}


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest queued message becomes due."""
    return await session.scalar(
        select(func.min(OutboxMessage.not_before)).where(OutboxMessage.state == "queued")
    )


async def backlog(session: AsyncSession, *, now: datetime) -> tuple[int, datetime | None]:
    """How many messages are due and not sent yet, and since when the oldest has been due."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.not_before)).where(
                OutboxMessage.state.in_(("queued", "sending")), OutboxMessage.not_before <= now
            )
        )
    ).one()
    return int(count), oldest


async def was_sent_to(
    session: AsyncSession,
    *,
    contact_id: int,
    chat_id: int,
    message_id: int,
    kinds: Collection[str],
) -> bool:
    """Whether the outbox sent this message (by its Telegram id) to this person, as one of
    these kinds: a button under it was meant for them."""
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.telegram_message_id == message_id,
            OutboxMessage.kind.in_(list(kinds)),
        )
        .limit(1)
    )
    return found is not None

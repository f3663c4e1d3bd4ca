"""The outbox table: queue, claim (leased), and record the fate of each message."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    ColumnElement,
    CursorResult,
    Dialect,
    Result,
    TypeDecorator,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from data.models import OutboxBody, OutboxMessage
from data.repo.bulk import dialect_insert, insert_ignoring


class _EncodedJSON(TypeDecorator[str]):
    """A JSON column's value handed over as JSON text already (encoded once by the caller,
    however many rows share it)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


class NewMessage(NamedTuple):
    """A message to queue: its payload as JSON text already (bot/delivery/queue.py writes it),
    or the key of the body it shares with others (`add_bodies`)."""

    chat_id: int
    kind: str
    contact_id: int | None
    dedupe_key: str | None
    batch: str | None
    payload: str | None
    body_key: str | None
    not_before: datetime  # last: the bulk insert converts it in place


# The columns a queued row is given: the message's, then when, its state and no attempts.
_COLUMNS = (*NewMessage._fields, "created_at", "state", "attempts")


def _statement(session: AsyncSession) -> Any:
    table = OutboxMessage.__table__
    binds = {
        name: bindparam(name, type_=_EncodedJSON() if name == "payload" else table.c[name].type)
        for name in _COLUMNS
    }
    return (
        dialect_insert(session, table)
        .values(binds)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


async def add_bodies(
    session: AsyncSession, *, payloads: Sequence[str], now: datetime
) -> list[str]:
    """Store payloads (JSON text) that messages share as bodies, each under the SHA-256 of its
    text; a body stored before (the same words) is kept as it is. Returns their keys, in
    order."""
    keys = [hashlib.sha256(p.encode("utf-8")).hexdigest() for p in payloads]
    # In key order: two transactions storing some of the same bodies wait for each other
    # instead of deadlocking.
    rows = [
        {"key": key, "payload": payload, "created_at": now}
        for key, payload in sorted(zip(keys, payloads, strict=True))
    ]
    await insert_ignoring(
        session, OutboxBody, rows, key=OutboxBody.key, types={"payload": _EncodedJSON()}
    )
    return keys


async def drop_unused_bodies(session: AsyncSession, *, keys: Collection[str]) -> int:
    """Delete those of the bodies no message names (every message sharing one was queued
    already, under its dedupe key); how many went."""
    if not keys:
        return 0
    used = select(OutboxMessage.id).where(OutboxMessage.body_key == OutboxBody.key).exists()
    result = await session.execute(
        delete(OutboxBody).where(OutboxBody.key.in_(list(keys)), ~used),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount if isinstance(result, CursorResult) else 0


def _as_is(value: Any) -> Any:
    return value


async def enqueue(session: AsyncSession, *, rows: Sequence[NewMessage], now: datetime) -> int:
    """Queue messages; a row whose dedupe key is already queued is skipped. Returns how many
    were queued (for several rows, how many were offered)."""
    if not rows:
        return 0
    # What the caller added, such as the contact a message goes to, is written first, as the
    # ORM would before its own insert.
    await session.flush()
    statement = _statement(session)
    if len(rows) == 1:
        values = {**rows[0]._asdict(), "created_at": now, "state": "queued", "attempts": 0}
        inserted = await session.scalars(statement.returning(OutboxMessage.id), [values])
        return len(inserted.all())
    # Many rows (a due day's 20,000 nudges) go to the driver as plain values: SQLAlchemy would
    # otherwise convert each row's values one by one, and only the times need converting (the
    # same one or two for every row).
    connection = await session.connection()
    dialect = connection.dialect
    time_type = OutboxMessage.__table__.c.not_before.type.dialect_impl(dialect)
    convert: Callable[[Any], Any] = time_type.bind_processor(dialect) or _as_is
    times: dict[datetime, Any] = {}

    def stored(moment: datetime) -> Any:
        if moment not in times:
            times[moment] = convert(moment)
        return times[moment]

    constant = (stored(now), "queued", 0)
    full = [(*row[:-1], stored(row.not_before), *constant) for row in rows]
    if dialect.name == "postgresql":
        # One statement taking a column of values per array: a third quicker than as many
        # executions as rows (20,000 at city scale), foreign key checks included.
        await connection.exec_driver_sql(
            _unnest(dialect), tuple(map(list, zip(*full, strict=True)))
        )
    else:
        compiled = statement.compile(dialect=dialect)
        order = itemgetter(*(_COLUMNS.index(name) for name in compiled.positiontup or ()))
        await connection.exec_driver_sql(compiled.string, [order(row) for row in full])
    return len(rows)


def _unnest(dialect: Dialect) -> str:
    """PostgreSQL's insert of many rows from one array per column, skipping taken keys."""
    table = OutboxMessage.__table__
    arrays = ", ".join(
        f"${n}::{table.c[name].type.compile(dialect)}[]" for n, name in enumerate(_COLUMNS, 1)
    )
    # Built from the table's own column names and types, nothing a caller gave.
    return (
        f"INSERT INTO outbox ({', '.join(_COLUMNS)}) SELECT * FROM unnest({arrays}) "  # noqa: S608
        "ON CONFLICT (dedupe_key) DO NOTHING"
    )


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
    taken = sorted(rows.all(), key=lambda m: (m.not_before, m.id))
    await load_bodies(session, taken)
    return taken


def content(message: OutboxMessage) -> dict[str, Any]:
    """What a claimed message says: its own payload or its body's (`load_bodies` gave it)."""
    if message.payload is None:
        raise LookupError(f"outbox message {message.id}: its body was not loaded")
    return message.payload


async def load_bodies(session: AsyncSession, messages: Sequence[OutboxMessage]) -> None:
    """Give each message sharing a body that body's payload, as if it were its own (loaded,
    not a change to write back); `claim` does it for what it takes."""
    wanted = {m.body_key for m in messages if m.body_key is not None}
    if not wanted:
        return
    rows = await session.execute(
        select(OutboxBody.key, OutboxBody.payload).where(OutboxBody.key.in_(list(wanted)))
    )
    bodies: dict[str, dict[str, Any]] = {key: payload for key, payload in rows.all()}
    for message in messages:
        if message.body_key is not None:
            set_committed_value(message, "payload", bodies[message.body_key])


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

"""Set-based writes that skip rows whose unique key is taken, on SQLite and PostgreSQL alike.

`INSERT … ON CONFLICT DO NOTHING` instead of a savepoint per row: one statement for many rows,
and no SAVEPOINT at all, which SQLite's Python driver would otherwise let commit the outer
transaction part-way (a crash could then leave claims without their messages).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute

# SQLite allows 32,766 bound parameters a statement; stay well below with any row width.
CHUNK_ROWS = 500


def _insert(session: AsyncSession, model: type[DeclarativeBase]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _chunks(rows: Sequence[Mapping[str, Any]]) -> Iterator[Sequence[Mapping[str, Any]]]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start : start + CHUNK_ROWS]


async def insert_new(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    *,
    key: InstrumentedAttribute[Any],
    conflict: Sequence[str] = (),
) -> set[Any]:
    """Insert the rows whose unique `conflict` columns (default: `key`) are not taken yet;
    returns the `key` of each row this call inserted."""
    inserted: set[Any] = set()
    for chunk in _chunks(rows):
        statement: Insert = (
            _insert(session, model)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=list(conflict or [key.key]))
            .returning(key)
        )
        inserted.update((await session.scalars(statement)).all())
    return inserted


async def insert_ignoring(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    *,
    key: InstrumentedAttribute[Any],
) -> None:
    """Insert many rows in batches, skipping those whose `key` is taken."""
    for chunk in _chunks(rows):
        statement = _insert(session, model).on_conflict_do_nothing(index_elements=[key.key])
        await session.execute(statement, list(chunk))


async def upsert(
    session: AsyncSession,
    model: type[DeclarativeBase],
    *,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
) -> None:
    """Insert a row, or update the one with the same unique `key` columns."""
    statement = (
        _insert(session, model)
        .values({**key, **values})
        .on_conflict_do_update(index_elements=list(key), set_=dict(values))
    )
    await session.execute(statement)

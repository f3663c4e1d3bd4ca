"""Set-based writes that skip rows whose unique key is taken, on SQLite and PostgreSQL alike.

`INSERT … ON CONFLICT DO NOTHING` instead of a savepoint per row: one statement for many rows,
and no SAVEPOINT at all, which SQLite's Python driver would otherwise let commit the outer
transaction part-way (a crash could then leave claims without their messages).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute

# SQLite allows 32,766 bound parameters a statement; stay well below with any row width.
CHUNK_ROWS = 500


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT of the session's dialect, which knows ON CONFLICT."""
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
    if not rows:
        return set()
    # A Core statement given every row at once: SQLAlchemy writes them as multi-row VALUES
    # pages without compiling a statement per page size (a tick's 2,000 claims), and no ORM
    # bookkeeping per row. Anything the caller added is written first, as the ORM would.
    await session.flush()
    statement = (
        dialect_insert(session, model.__table__)
        .on_conflict_do_nothing(index_elements=list(conflict or [key.key]))
        .returning(model.__table__.c[key.key])
    )
    return set((await session.scalars(statement, list(rows))).all())


async def insert_ignoring(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    *,
    key: InstrumentedAttribute[Any],
    types: Mapping[str, Any] | None = None,
) -> None:
    """Insert many rows in batches, skipping those whose `key` is taken; `types` names columns
    whose values are bound as another type than the column's (JSON encoded already, say)."""
    if not rows:
        return
    statement = dialect_insert(session, model).on_conflict_do_nothing(index_elements=[key.key])
    if types:
        columns = model.__table__.c
        statement = statement.values(
            {name: bindparam(name, type_=types.get(name, columns[name].type)) for name in rows[0]}
        )
    for chunk in _chunks(rows):
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
        dialect_insert(session, model)
        .values({**key, **values})
        .on_conflict_do_update(index_elements=list(key), set_=dict(values))
    )
    await session.execute(statement)

"""Engine and session setup for SQLite (embedded default) and PostgreSQL, plus migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseUrlError(ValueError):
    """The database URL cannot be used."""


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while the bot writes; the busy timeout rides out short write
    # locks instead of failing; SQLite leaves foreign keys off unless asked on every connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine for a URL, with SQLite's pragmas set on every connection."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"cannot parse database URL {url!r}") from exc
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise DatabaseUrlError(
            f"unsupported database driver {parsed.drivername!r}: "
            "use sqlite+aiosqlite:// or postgresql+asyncpg://"
        )
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            parent = Path(parsed.database).expanduser().resolve().parent
            if not parent.is_dir():
                raise DatabaseUrlError(f"folder {parent} for the SQLite database does not exist")
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One factory per engine; open one session per update or job tick."""
    return async_sessionmaker(engine, expire_on_commit=False)


def sessions_within(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions inside a transaction already begun on `connection`: each session works in a
    savepoint, its commit releases the savepoint, and only the connection's own commit makes
    anything durable (a webhook update's handlers, bot/web/updates.py)."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


def alembic_config(url: str) -> Config:
    """An Alembic configuration for our migrations, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def migrate_sync(url: str, revision: str = "head") -> None:
    """Bring the schema to a revision from synchronous code (no event loop running)."""
    command.upgrade(alembic_config(url), revision)


async def migrate(url: str, revision: str = "head") -> None:
    """Bring the database schema to a revision (head by default)."""
    # Alembic's env.py runs its own event loop for the async engine: keep it off ours.
    await asyncio.to_thread(migrate_sync, url, revision)

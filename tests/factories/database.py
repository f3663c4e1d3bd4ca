"""A fresh database for tests and benchmarks: a throwaway SQLite file or an emptied PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from data.db import is_sqlite, make_engine, migrate_sync


async def reset_postgres(url: str) -> None:
    """Drop and recreate schema public: everything in that database is gone."""
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def fresh_database(url: str) -> None:
    """Empty (PostgreSQL) and migrate to head; call with no event loop running."""
    if not is_sqlite(url):
        asyncio.run(reset_postgres(url))
    migrate_sync(url)

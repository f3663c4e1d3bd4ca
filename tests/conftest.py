"""Shared fixtures: a migrated database per test, on SQLite always and PostgreSQL when asked.

Set DUBAN_TEST_DATABASE_URL (postgresql+asyncpg://...) to run every database test on
PostgreSQL as well; .ci/run sets it when 127.0.0.1:5432 answers.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from data.db import make_engine, make_sessionmaker, migrate_sync
from data.models import Base
from tests.factories.database import fresh_database

PG_URL = os.environ.get("DUBAN_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> Iterator[str]:
    """The PostgreSQL test database, emptied and migrated once per session."""
    assert PG_URL, "DUBAN_TEST_DATABASE_URL is not set"

    # Requested lazily from inside an async fixture: run outside its event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fresh_database, PG_URL).result()
    yield PG_URL


async def _truncate(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """A migrated, empty database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "duban.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_ready")
        await _truncate(url)
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The engine of the test database."""
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory, as the bot uses: one session per unit of work."""
    return make_sessionmaker(engine)

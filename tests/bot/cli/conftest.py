"""The CLI's tests run `duban` against the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from tests.factories.plans import load_seed


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the test database (already migrated)."""
    monkeypatch.setenv("DUBAN_DATABASE_URL", database_url)
    monkeypatch.chdir(Path(__file__).parent)  # no stray .env is read from the repo root
    return database_url


@pytest.fixture
async def settings(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> Settings:
    """Settings for a database holding the Nanjing plan; the console saves files in tmp_path."""
    await load_seed(sessions, year=2026)
    return Settings(
        _env_file=None, database_url=database_url, console_files=tmp_path / "console-files"
    )

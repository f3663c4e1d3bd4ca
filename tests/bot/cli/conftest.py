"""The CLI's tests run `duban` against the test database."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the test database (already migrated)."""
    monkeypatch.setenv("DUBAN_DATABASE_URL", database_url)
    monkeypatch.chdir(Path(__file__).parent)  # no stray .env is read from the repo root
    return database_url

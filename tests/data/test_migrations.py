"""Data migrations, run from an older schema on a real SQLite file."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from alembic import command

from data.db import alembic_config, migrate_sync

CONSOLE_LIAISON, CONSOLE_COORDINATOR = 2**52 + 1, 2**52 + 2


def test_console_people_move_beyond_real_telegram_ids_and_back(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate_sync(url, "0005")
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executemany(
            "INSERT INTO contacts (id, telegram_id, chat_id, full_name, username, is_coordinator)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, 10_000_001, 10_000_001, "Console user", None, 0),  # the old console liaison
                (2, 10_000_002, 10_000_002, "王五", "wangwu", 0),  # a real person with that id
            ],
        )
        db.execute(
            "INSERT INTO outbox (kind, contact_id, chat_id, payload, state, attempts,"
            " not_before, created_at) VALUES ('nudge', 1, 10000001, '{}', 'queued', 0,"
            " '2026-06-10 01:00:00', '2026-06-10 01:00:00')"
        )
        db.commit()

    migrate_sync(url)
    with contextlib.closing(sqlite3.connect(path)) as db:
        contacts = db.execute(
            "SELECT id, telegram_id, chat_id FROM contacts ORDER BY id"
        ).fetchall()
        outbox = db.execute("SELECT chat_id FROM outbox").fetchall()
    assert contacts == [(1, CONSOLE_LIAISON, CONSOLE_LIAISON), (2, 10_000_002, 10_000_002)]
    assert outbox == [(CONSOLE_LIAISON,)]

    command.downgrade(alembic_config(url), "0005")
    with contextlib.closing(sqlite3.connect(path)) as db:
        contacts = db.execute("SELECT id, telegram_id FROM contacts ORDER BY id").fetchall()
        outbox = db.execute("SELECT chat_id FROM outbox").fetchall()
    assert contacts == [(1, 10_000_001), (2, 10_000_002)]
    assert outbox == [(10_000_001,)]

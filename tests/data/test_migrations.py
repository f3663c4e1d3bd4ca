"""Data migrations, run from an older schema on a real SQLite file."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from data.db import alembic_config, migrate_sync

CONSOLE_LIAISON = 2**52 + 1
OLD_CONSOLE_LIAISON = 10_000_001


def _read(path: Path) -> tuple[list[tuple[int, int, int]], list[tuple[int]], list[tuple[int]]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        contacts = db.execute("SELECT id, telegram_id, chat_id FROM contacts ORDER BY id")
        outbox = db.execute("SELECT chat_id FROM outbox")
        drafts = db.execute("SELECT chat_id FROM report_drafts")
        return contacts.fetchall(), outbox.fetchall(), drafts.fetchall()


def test_0006_moves_console_people_beyond_telegram_ids_and_chats_out_of_groups(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate_sync(url, "0005")
    old = OLD_CONSOLE_LIAISON
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executemany(
            "INSERT INTO contacts (id, telegram_id, chat_id, full_name, username, is_coordinator)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, old, old, "Console user", None, 0),  # the old console liaison
                (2, 10_000_002, 10_000_002, "王五", "wangwu", 0),  # a real person with that id
                (3, 555, -100123, "李四", None, 0),  # wrote in a group once: chat moved there
            ],
        )
        db.execute(
            "INSERT INTO outbox (kind, contact_id, chat_id, payload, state, attempts,"
            " not_before, created_at) VALUES ('nudge', 1, ?, '{}', 'queued', 0,"
            " '2026-06-10 01:00:00', '2026-06-10 01:00:00')",
            (old,),
        )
        db.execute(
            "INSERT INTO report_drafts (contact_id, kind, step, attachments, chat_id, page,"
            " created_at, updated_at) VALUES (1, 'report', 'text', '[]', ?, 1,"
            " '2026-06-10 01:00:00', '2026-06-10 01:00:00')",
            (old,),
        )
        db.commit()

    migrate_sync(url)
    contacts, outbox, drafts = _read(path)
    assert contacts == [
        (1, CONSOLE_LIAISON, CONSOLE_LIAISON),
        (2, 10_000_002, 10_000_002),
        (3, 555, 555),
    ]
    assert outbox == drafts == [(CONSOLE_LIAISON,)]

    command.downgrade(alembic_config(url), "0005")
    contacts, outbox, drafts = _read(path)
    assert contacts == [(1, old, old), (2, 10_000_002, 10_000_002), (3, 555, 555)]
    assert outbox == drafts == [(old,)]


def test_0008_names_existing_plans_and_keeps_closed_ones_closed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate_sync(url, "0007")
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executemany(
            "INSERT INTO plans (id, document, title, year, period_kind, due_day, source_sha256,"
            " closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'month', 25, '', ?,"
            " '2021-01-01 00:00:00', '2021-01-01 00:00:00')",
            [
                (
                    1,
                    "宁政发〔2021〕16号",
                    "2021年市政府主要工作目标任务分解落实方案",
                    2021,
                    "2022-01-01 00:00:00",
                ),
                (2, "宁政发〔2022〕3号", "2022年市政府主要工作目标任务分解落实方案", 2022, None),
            ],
        )
        db.commit()
    migrate_sync(url)
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT short_name, state, due_month_offset FROM plans ORDER BY id"
        ).fetchall()
    assert rows == [("政府工作报告", "closed", 0), ("政府工作报告2022", "open", 0)]
    command.downgrade(alembic_config(url), "0007")


def test_0009_keeps_invited_coordinators_and_drops_flags_copied_from_the_setting(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate_sync(url, "0008")
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executemany(
            "INSERT INTO contacts (id, telegram_id, chat_id, full_name, is_coordinator)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (1, 501, 501, "邀请来的", 1),
                (2, 502, 502, "配置里的", 1),
                (3, 503, 503, "联络员", 0),
            ],
        )
        db.execute(
            "INSERT INTO invites (code_hash, for_coordinator, created_at, expires_at, used_at,"
            " used_by) VALUES ('h', 1, '2026-01-01 00:00:00', '2026-01-08 00:00:00',"
            " '2026-01-02 00:00:00', 1)"
        )
        db.commit()
    migrate_sync(url)
    with contextlib.closing(sqlite3.connect(path)) as db:
        grants = db.execute(
            "SELECT contact_id, plan_id, revoked_at FROM coordinator_grants"
        ).fetchall()
        columns = [row[1] for row in db.execute("PRAGMA table_info(contacts)")]
    assert grants == [(1, None, None)]
    assert "is_coordinator" not in columns
    command.downgrade(alembic_config(url), "0008")
    with contextlib.closing(sqlite3.connect(path)) as db:
        flags = db.execute("SELECT id, is_coordinator FROM contacts ORDER BY id").fetchall()
    assert flags == [(1, 1), (2, 0), (3, 0)]


def test_0014_keeps_queued_messages_and_gives_shared_bodies_back_on_downgrade(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate_sync(url, "0013")
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(
            "INSERT INTO outbox (kind, chat_id, payload, state, attempts, not_before, created_at)"
            " VALUES ('nudge', 7, '{\"text\": \"旧\"}', 'queued', 0, '2026-06-10 01:00:00',"
            " '2026-06-10 01:00:00')"
        )
        db.commit()
    migrate_sync(url)
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(
            "INSERT INTO outbox_bodies (key, payload, created_at)"
            " VALUES ('k', '{\"text\": \"共\"}', '2026-06-10 01:00:00')"
        )
        db.executemany(
            "INSERT INTO outbox (kind, chat_id, body_key, state, attempts, not_before,"
            " created_at) VALUES ('nudge', ?, 'k', 'queued', 0, '2026-06-10 01:00:00',"
            " '2026-06-10 01:00:00')",
            [(8,), (9,)],
        )
        # A message must say something, and only one way: its own payload or a body.
        for payload, body in ((None, None), ("{}", "k")):
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(
                    "INSERT INTO outbox (kind, chat_id, payload, body_key, state, attempts,"
                    " not_before, created_at) VALUES ('t', 1, ?, ?, 'queued', 0,"
                    " '2026-06-10 01:00:00', '2026-06-10 01:00:00')",
                    (payload, body),
                )
        db.commit()
    command.downgrade(alembic_config(url), "0013")
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT chat_id, payload FROM outbox ORDER BY chat_id").fetchall()
    assert [(chat, json.loads(text)) for chat, text in rows] == [
        (7, {"text": "旧"}),
        (8, {"text": "共"}),
        (9, {"text": "共"}),
    ]

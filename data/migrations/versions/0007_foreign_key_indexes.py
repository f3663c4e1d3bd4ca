"""An index for every foreign key a delete or a lookup walks.

Deleting a report on PostgreSQL scanned every report for versions superseding it
(reports.supersedes_id had no index); the same held for the other foreign keys below, each
checked on delete of the row it points at or used to find rows by their owner.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("audit_log", "contact_id"),
    ("broadcasts", "created_by"),
    ("chases", "contact_id"),
    ("chases", "sent_by"),
    ("chases", "unit_id"),
    ("invites", "created_by"),
    ("invites", "used_by"),
    ("message_refs", "task_id"),
    ("message_refs", "unit_id"),
    ("report_drafts", "report_id"),
    ("report_drafts", "task_id"),
    ("report_drafts", "unit_id"),
    ("reports", "contact_id"),
    ("reports", "reviewed_by"),
    ("reports", "supersedes_id"),
    ("task_assignments", "collective_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(f"ix_{table}_{column}", table_name=table)

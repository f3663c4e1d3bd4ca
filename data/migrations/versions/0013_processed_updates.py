"""Webhook workers: the updates received and handled, so that each is handled once and one
chat's updates in order across workers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        "ix_processed_updates_chat_update", "processed_updates", ["chat_id", "update_id"]
    )
    op.create_index("ix_processed_updates_received_at", "processed_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_updates_received_at", table_name="processed_updates")
    op.drop_index("ix_processed_updates_chat_update", table_name="processed_updates")
    op.drop_table("processed_updates")

"""Nudge claims: one row per nudge sent, so each goes out exactly once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:14:25.198664
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nudge_claims",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_nudge_claims")),
    )


def downgrade() -> None:
    op.drop_table("nudge_claims")

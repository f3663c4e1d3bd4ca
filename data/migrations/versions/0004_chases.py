"""Chases (催办) and their acknowledgements (收到).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:29:53.136479
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_chases_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_chases_period_id_periods")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"], ["contacts.id"], name=op.f("fk_chases_sent_by_contacts")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_chases_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chases")),
    )
    with op.batch_alter_table("chases", schema=None) as batch_op:
        batch_op.create_index("ix_chases_period_unit", ["period_id", "unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chases", schema=None) as batch_op:
        batch_op.drop_index("ix_chases_period_unit")

    op.drop_table("chases")

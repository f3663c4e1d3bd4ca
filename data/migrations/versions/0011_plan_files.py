"""Plans from Word and Excel files: each task's deadline as written and its responsible leader
(责任领导); a coordinator's import through the bot (/import, then the file, then 确认).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("deadline_text", sa.String(length=100), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("leader", sa.String(length=100), server_default="", nullable=False)
        )
    op.create_table(
        "plan_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('waiting', 'preview', 'done', 'cancelled')",
            name=op.f("ck_plan_imports_state"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_plan_imports_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_imports")),
    )
    op.create_index("ix_plan_imports_contact_id", "plan_imports", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_imports_contact_id", table_name="plan_imports")
    op.drop_table("plan_imports")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("leader")
        batch.drop_column("deadline_text")

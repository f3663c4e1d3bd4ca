"""Outbox bodies: what many queued messages say alike is stored once, and each message names
its body instead of carrying its own copy (a due day's 20,000 nudges share 2,000 bodies), keyed by the SHA-256 of their JSON
text.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-17 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_bodies",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_outbox_bodies")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=True)
        batch.add_column(sa.Column("body_key", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_body_key_outbox_bodies"), "outbox_bodies", ["body_key"], ["key"]
        )
        batch.create_index(op.f("ix_outbox_body_key"), ["body_key"])
        batch.create_check_constraint(
            op.f("ck_outbox_content"), "(payload IS NULL) <> (body_key IS NULL)"
        )


def downgrade() -> None:
    # Each message gets its body's copy back before the bodies go.
    op.execute(
        "UPDATE outbox SET body_key = NULL, payload = (SELECT b.payload FROM outbox_bodies b"
        " WHERE b.key = outbox.body_key) WHERE body_key IS NOT NULL"
    )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_content"), type_="check")
        batch.drop_index(op.f("ix_outbox_body_key"))
        batch.drop_constraint(op.f("fk_outbox_body_key_outbox_bodies"), type_="foreignkey")
        batch.drop_column("body_key")
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
    op.drop_table("outbox_bodies")

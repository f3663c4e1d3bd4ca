"""People over the year: when a contact was last seen, unit leaders, and invites that name a
leader or the liaison being replaced.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("invites") as batch:
        batch.add_column(
            sa.Column("role", sa.String(10), server_default="liaison", nullable=False)
        )
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_invites_replaces_id_contacts", "contacts", ["replaces_id"], ["id"]
        )
        batch.create_index("ix_invites_replaces_id", ["replaces_id"])
    op.create_table(
        "unit_leaders",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_unit_leaders_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_leaders_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("contact_id", "unit_id", name=op.f("pk_unit_leaders")),
    )
    op.create_index("ix_unit_leaders_unit_id", "unit_leaders", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_unit_leaders_unit_id", table_name="unit_leaders")
    op.drop_table("unit_leaders")
    with op.batch_alter_table("invites") as batch:
        batch.drop_index("ix_invites_replaces_id")
        batch.drop_constraint("fk_invites_replaces_id_contacts", type_="foreignkey")
        batch.drop_column("replaces_id")
        batch.drop_column("role")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("last_seen_at")

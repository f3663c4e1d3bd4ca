"""Coordinators' rights in one place: grants from coordinator invites, optionally per plan.

Until now a contact's is_coordinator flag was set the first time a coordinator from
DUBAN_COORDINATORS wrote, and nothing cleared it: removing someone from the setting did not
remove their rights. The setting is now read at every update and never copied; those who
became coordinators by an invite get a grant (for every plan), which can be revoked. A flag
without such an invite came from the setting and is dropped with the column.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

contacts = sa.table(
    "contacts", sa.column("id", sa.Integer), sa.column("is_coordinator", sa.Boolean)
)
invites = sa.table(
    "invites",
    sa.column("for_coordinator", sa.Boolean),
    sa.column("used_by", sa.Integer),
    sa.column("used_at", sa.DateTime),
    sa.column("created_by", sa.Integer),
)
grants = sa.table(
    "coordinator_grants",
    sa.column("contact_id", sa.Integer),
    sa.column("plan_id", sa.Integer),
    sa.column("granted_at", sa.DateTime),
    sa.column("granted_by", sa.Integer),
)


def upgrade() -> None:
    op.create_table(
        "coordinator_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_coordinator_grants_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["contacts.id"], name=op.f("fk_coordinator_grants_granted_by_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_coordinator_grants_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["contacts.id"], name=op.f("fk_coordinator_grants_revoked_by_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinator_grants")),
    )
    for column in ("contact_id", "plan_id", "granted_by", "revoked_by"):
        op.create_index(f"ix_coordinator_grants_{column}", "coordinator_grants", [column])
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_invites_plan_id_plans", "plans", ["plan_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_invites_plan_id", ["plan_id"])
    connection = op.get_bind()
    invited = connection.execute(
        sa.select(invites.c.used_by, invites.c.used_at, invites.c.created_by)
        .select_from(invites.join(contacts, contacts.c.id == invites.c.used_by))
        .where(invites.c.for_coordinator.is_(True), contacts.c.is_coordinator.is_(True))
    ).all()
    seen: set[int] = set()
    for contact_id, used_at, created_by in invited:
        if contact_id not in seen:
            seen.add(contact_id)
            connection.execute(
                grants.insert().values(
                    contact_id=contact_id, plan_id=None, granted_at=used_at, granted_by=created_by
                )
            )
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("is_coordinator")


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(
            sa.Column("is_coordinator", sa.Boolean(), server_default="0", nullable=False)
        )
    connection = op.get_bind()
    holders = sa.select(grants.c.contact_id).where(sa.column("revoked_at").is_(None))
    connection.execute(
        contacts.update().where(contacts.c.id.in_(holders)).values(is_coordinator=True)
    )
    with op.batch_alter_table("invites") as batch:
        batch.drop_index("ix_invites_plan_id")
        batch.drop_constraint("fk_invites_plan_id_plans", type_="foreignkey")
        batch.drop_column("plan_id")
    for column in ("contact_id", "plan_id", "granted_by", "revoked_by"):
        op.drop_index(f"ix_coordinator_grants_{column}", table_name="coordinator_grants")
    op.drop_table("coordinator_grants")

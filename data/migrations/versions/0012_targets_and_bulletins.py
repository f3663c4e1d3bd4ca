"""Targets tracked against time and the bulletin: a target's kind, a range's upper end and its
retirement; when a task's targets were reviewed; each report version's target values; the
report draft's target steps; the bulletins the clock wrote.

Targets stored with comparator 'eq' (no word after the number) become 'ge': a plan's figure is
a floor to reach, and 'eq' is no longer one of the comparators.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE task_targets SET comparator = 'ge' WHERE comparator NOT IN ('ge', 'le', 'approx')"
    )
    with op.batch_alter_table("task_targets") as batch:
        batch.add_column(sa.Column("value_max", sa.String(40), nullable=True))
        batch.add_column(
            sa.Column("kind", sa.String(10), server_default="cumulative", nullable=False)
        )
        batch.add_column(sa.Column("retired", sa.Boolean(), server_default="0", nullable=False))
        batch.create_check_constraint(
            "comparator", "comparator IN ('ge', 'le', 'approx', 'range')"
        )
        batch.create_check_constraint("kind", "kind IN ('cumulative', 'rate')")
    # Rates as the old importer found them (a percent) are rates.
    op.execute("UPDATE task_targets SET kind = 'rate' WHERE unit = '%'")
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("targets_reviewed_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("report_drafts") as batch:
        batch.add_column(sa.Column("targets", sa.JSON(), nullable=True))
    op.create_table(
        "report_target_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_target_values_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["task_targets.id"],
            name=op.f("fk_report_target_values_target_id_task_targets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_target_values")),
        sa.UniqueConstraint(
            "report_id", "target_id", name=op.f("uq_report_target_values_report_id")
        ),
    )
    op.create_index("ix_report_target_values_report_id", "report_target_values", ["report_id"])
    op.create_index("ix_report_target_values_target_id", "report_target_values", ["target_id"])
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_bulletins_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_bulletins_period_id_periods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
        sa.UniqueConstraint("period_id", "lang", name=op.f("uq_bulletins_period_id")),
    )
    op.create_index("ix_bulletins_plan_id", "bulletins", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_bulletins_plan_id", table_name="bulletins")
    op.drop_table("bulletins")
    op.drop_index("ix_report_target_values_target_id", table_name="report_target_values")
    op.drop_index("ix_report_target_values_report_id", table_name="report_target_values")
    op.drop_table("report_target_values")
    with op.batch_alter_table("report_drafts") as batch:
        batch.drop_column("targets")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("targets_reviewed_at")
    with op.batch_alter_table("task_targets") as batch:
        batch.drop_constraint("kind", type_="check")
        batch.drop_constraint("comparator", type_="check")
        batch.drop_column("retired")
        batch.drop_column("kind")
        batch.drop_column("value_max")

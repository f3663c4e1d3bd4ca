"""Plans side by side: a short name (简称), a state, and when a period's reports fall due.

Every plan gets a short name from its title (the Nanjing plan's "2021年市政府主要工作目标任务
分解落实方案" is 政府工作报告), unique among plans; a plan already closed is 'closed', the rest
'open'. due_month_offset 0 keeps the due day in the period's own month, as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

plans = sa.table(
    "plans",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("year", sa.Integer),
    sa.column("closed_at", sa.DateTime),
    sa.column("short_name", sa.String),
    sa.column("state", sa.String),
)
# The rule as bot/plan/names.py had it when this migration was written (kept here as it was).
KNOWN = (
    ("民生实事", "民生实事"),
    ("为民办实事", "民生实事"),
    ("重点项目", "重点项目"),
    ("政府工作报告", "政府工作报告"),
    ("主要工作目标", "政府工作报告"),
    ("批示", "领导批示"),
)


def _short(title: str) -> str:
    for needle, name in KNOWN:
        if needle in title:
            return name
    core = re.sub(r"(?:19|20)\d{2}年度?", "", title.strip())
    core = re.sub(r"^(?:关于印发|关于|全市|市政府|市)+", "", core)
    core = re.sub(
        r"(?:的通知|分解落实方案|任务分解表|分解表|实施方案|工作方案|方案|清单|计划|分解)+$",
        "",
        core,
    )
    return core[:20] or title.strip()[:20] or "工作计划"


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("short_name", sa.String(20), nullable=True))
        batch.add_column(sa.Column("state", sa.String(10), server_default="open", nullable=False))
        batch.add_column(
            sa.Column("due_month_offset", sa.Integer(), server_default="0", nullable=False)
        )
    connection = op.get_bind()
    taken: set[str] = set()
    for plan_id, title, year, closed_at in connection.execute(
        sa.select(plans.c.id, plans.c.title, plans.c.year, plans.c.closed_at).order_by(plans.c.id)
    ).all():
        name = _short(title or "")
        for candidate in (name, f"{name}{year}"[:20], f"{name[:14]}{plan_id}"):
            if candidate not in taken:
                name = candidate
                break
        taken.add(name)
        connection.execute(
            plans.update()
            .where(plans.c.id == plan_id)
            .values(short_name=name, state="closed" if closed_at is not None else "open")
        )
    with op.batch_alter_table("plans") as batch:
        batch.alter_column("short_name", existing_type=sa.String(20), nullable=False)
        batch.create_unique_constraint("uq_plans_short_name", ["short_name"])
        batch.create_check_constraint("state", "state IN ('open', 'closed', 'archived')")


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_constraint("state", type_="check")
        batch.drop_constraint("uq_plans_short_name", type_="unique")
        batch.drop_column("due_month_offset")
        batch.drop_column("state")
        batch.drop_column("short_name")

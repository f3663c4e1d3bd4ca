"""Units, their aliases and collectives, and who holds which role on a task."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base

if TYPE_CHECKING:  # for annotations; the mapper resolves the names by its registry
    from data.models.plans import Task


class Unit(Base):
    """A responsible unit; collectives (各区政府) name groups of other units."""

    __tablename__ = "units"
    __table_args__ = (sa.CheckConstraint("kind IN ('ordinary', 'collective')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12), default="ordinary")
    category: Mapped[str] = mapped_column(sa.String(20), default="")
    # A "relevant" collective (相关区政府) applies only to members a coordinator assigns per task.
    relevant: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default="0")
    # False for names found in a plan but missing from the directory.
    in_directory: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default="1")

    members: Mapped[list[Unit]] = relationship(
        secondary="collective_members",
        primaryjoin="Unit.id == CollectiveMember.collective_id",
        secondaryjoin="Unit.id == CollectiveMember.member_id",
        order_by="Unit.id",
        viewonly=True,
    )


class UnitAlias(Base):
    """Another name of a unit, as plans and people write it."""

    __tablename__ = "unit_aliases"

    alias: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)


class CollectiveMember(Base):
    """Membership of an ordinary unit in a collective."""

    __tablename__ = "collective_members"

    collective_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskUnit(Base):
    """A unit's role (lead or co) on a task, in document order."""

    __tablename__ = "task_units"
    __table_args__ = (
        sa.CheckConstraint("role IN ('lead', 'co')", name="role"),
        sa.Index("ix_task_units_unit_role", "unit_id", "role"),
    )

    task_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(4))
    position: Mapped[int] = mapped_column(sa.Integer)

    task: Mapped[Task] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class TaskAssignment(Base):
    """A member a coordinator picked for a "relevant" collective on one task (/assign)."""

    __tablename__ = "task_assignments"

    task_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    collective_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id"), primary_key=True, index=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True, index=True)

"""People (Telegram contacts), the units they serve, and the invites that link them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, UTCDateTime, _now

if TYPE_CHECKING:  # for annotations; the mapper resolves the names by its registry
    from data.models.units import Unit


class Contact(Base):
    """A Telegram user known to the bot: a liaison, a coordinator, or both."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    username: Mapped[str | None] = mapped_column(sa.String(64))
    language: Mapped[str | None] = mapped_column(sa.String(8))
    # Set when Telegram says the user blocked the bot; cleared when they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When they last wrote to the bot (kept to the hour: not a write per update).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())

    units: Mapped[list[ContactUnit]] = relationship(
        back_populates="contact", cascade="all, delete-orphan"
    )
    # The units they lead (分管领导): read-only, and told of escalations.
    leads: Mapped[list[UnitLeader]] = relationship(cascade="all, delete-orphan")


class ContactUnit(Base):
    """A contact linked to a unit as its liaison."""

    __tablename__ = "contact_units"

    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())

    contact: Mapped[Contact] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class Invite(Base):
    """A one-time, expiring invite code; only its SHA-256 is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # NULL unit with for_coordinator=True is a coordinator invite: for every plan, or for one
    # (plan_id: a coordinator scoped to that plan, such as a district office's own plan).
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    for_coordinator: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default="0")
    plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    # A unit's invite links a liaison, or its leader (分管领导: sees the unit's tasks, hears
    # when they go wrong); a liaison's invite may hand the unit over from a predecessor.
    role: Mapped[str] = mapped_column(sa.String(10), default="liaison", server_default="liaison")
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InviteFailure(Base):
    """A wrong invite code tried by a Telegram user, kept to throttle guessing."""

    __tablename__ = "invite_failures"
    __table_args__ = (sa.Index("ix_invite_failures_user_at", "telegram_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(sa.BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CoordinatorGrant(Base):
    """A person's right to coordinate, given by a coordinator invite: every plan (plan_id NULL)
    or one plan. Those in DUBAN_COORDINATORS have none: the setting is read at every update."""

    __tablename__ = "coordinator_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)


class UnitLeader(Base):
    """A unit's leader (分管领导 or its head): reads the unit's tasks, hears of escalations."""

    __tablename__ = "unit_leaders"

    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

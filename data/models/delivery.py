"""What the bot sends on its own (outbox, nudge claims, chases, broadcasts) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, UTCDateTime


class OutboxBody(Base):
    """What many queued messages say alike (a unit's nudge to each of its liaisons, one
    broadcast to everyone), stored once: a due day queues 20,000 nudges but 2,000 bodies."""

    __tablename__ = "outbox_bodies"

    # The SHA-256 of the payload's JSON text: the same words are one body, however many
    # messages and ticks say them, and a body is written without asking back for its id.
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A message the bot sends on its own, queued until Telegram has accepted it; what it says
    is its own `payload` or, shared with others, its `body`'s (never both)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed')", name="state"),
        sa.CheckConstraint("(payload IS NULL) <> (body_key IS NULL)", name="content"),
        sa.Index("ix_outbox_state_not_before", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A unique key makes queueing idempotent (one nudge per unit, step and period).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    body_key: Mapped[str | None] = mapped_column(sa.ForeignKey("outbox_bodies.key"), index=True)
    batch: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    state: Mapped[str] = mapped_column(sa.String(10), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    telegram_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NudgeClaim(Base):
    """A nudge (or digest) claimed for sending: its unique key makes it happen once.

    Keys: ``p{period}:{step}:u{unit}`` for period steps, ``d{task}:{days}:u{unit}`` for deadline
    reminders, ``p{period}:{step}:digest`` for the coordinators' digest. Claimed in the same
    transaction that queues the messages, so a crash leaves neither.
    """

    __tablename__ = "nudge_claims"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Chase(Base):
    """A 催办 sent to a unit's liaison, and when they acknowledged it (收到)."""

    __tablename__ = "chases"
    __table_args__ = (sa.Index("ix_chases_period_unit", "period_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("periods.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    sent_by: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Broadcast(Base):
    """A coordinator's broadcast: being written (its conversation state), scheduled, or sent."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')", name="state"
        ),
        sa.Index("ix_broadcasts_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(sa.String(10), default="draft")
    step: Mapped[str] = mapped_column(sa.String(12), default="audience")
    audience: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    text: Mapped[str | None] = mapped_column(sa.Text)
    recipients: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    progress_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who changed what, when: every change a person or the system makes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    actor: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(50))
    entity: Mapped[str] = mapped_column(sa.String(50))
    entity_id: Mapped[str | None] = mapped_column(sa.String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class ProcessedUpdate(Base):
    """A Telegram update received by a webhook worker, and when it was handled.

    Telegram redelivers an update whose webhook answer failed or timed out, possibly to another
    worker: the row keyed by ``update_id`` makes it handled once, and ``chat_id`` with the
    update ids orders one chat's updates across workers (bot/web/updates.py). Rows are pruned
    after a few days.
    """

    __tablename__ = "processed_updates"
    __table_args__ = (sa.Index("ix_processed_updates_chat_update", "chat_id", "update_id"),)

    update_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

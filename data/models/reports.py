"""Reporting periods, report versions with their evidence and target values, drafts, message
refs and the bulletins (通报) written for a period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import LEAD, Base, UTCDateTime


class Period(Base):
    """A reporting period of a plan (a month or a quarter) and its due day."""

    __tablename__ = "periods"
    __table_args__ = (sa.UniqueConstraint("plan_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    start: Mapped[date] = mapped_column(sa.Date)
    end: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date] = mapped_column(sa.Date)


class Report(Base):
    """One submitted version of a unit's progress on a task in a period; never deleted."""

    __tablename__ = "reports"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('on_track', 'at_risk', 'blocked', 'needs_coordination', 'done')",
            name="status",
        ),
        sa.CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent"),
        sa.CheckConstraint("review IN ('pending', 'accepted', 'returned')", name="review"),
        sa.Index("ix_reports_task_unit_period", "task_id", "unit_id", "period_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("periods.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(4), default=LEAD)
    status: Mapped[str] = mapped_column(sa.String(20))
    percent: Mapped[int | None] = mapped_column(sa.Integer)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # An edit is a new row pointing at the version it replaces.
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"), index=True)
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default="1")
    review: Mapped[str] = mapped_column(sa.String(10), default="pending", server_default="pending")
    reviewed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
    # When the first version of this period's report arrived (on-time accounting).
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    values: Mapped[list[TargetValue]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )


class TargetValue(Base):
    """A target's value so far this year as one report version gives it (in the target's unit,
    a decimal as text); every version keeps its own, so the history has them all."""

    __tablename__ = "report_target_values"
    __table_args__ = (sa.UniqueConstraint("report_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("task_targets.id"), index=True)
    value: Mapped[str] = mapped_column(sa.String(40))

    report: Mapped[Report] = relationship(back_populates="values")


class Attachment(Base):
    """A photo or document sent as evidence with a report (Telegram keeps the bytes)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    file_id: Mapped[str] = mapped_column(sa.String(200))
    file_unique_id: Mapped[str] = mapped_column(sa.String(100))
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    mime_type: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int | None] = mapped_column(sa.Integer)

    report: Mapped[Report] = relationship(back_populates="attachments")


class ReportDraft(Base):
    """A conversation in progress (a report being written, or a return reason), one per person.

    Kept in the database rather than in PTB's in-memory conversation state: every step is
    committed, so a restart or a second worker continues exactly where the person was.
    """

    __tablename__ = "report_drafts"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('report', 'return')", name="kind"),
        sa.Index("ix_report_drafts_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10), default="report")
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # The report being edited (kind 'report') or returned (kind 'return').
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"), index=True)
    step: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str | None] = mapped_column(sa.String(20))
    percent: Mapped[int | None] = mapped_column(sa.Integer)
    text: Mapped[str | None] = mapped_column(sa.Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # The target steps: {"values": {target id: value or None (skipped)}, "asked": [target ids]}.
    targets: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    page: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageRef(Base):
    """Which task (and unit) a message the bot sent is about, so a reply can be filed."""

    __tablename__ = "message_refs"

    chat_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Bulletin(Base):
    """A period's bulletin (通报) as the clock wrote it, one per language, kept so the outbox
    can send the document and the office can find what was circulated."""

    __tablename__ = "bulletins"
    __table_args__ = (sa.UniqueConstraint("period_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("periods.id"))
    lang: Mapped[str] = mapped_column(sa.String(5))
    filename: Mapped[str] = mapped_column(sa.String(200))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

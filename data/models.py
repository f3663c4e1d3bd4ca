"""SQLAlchemy 2 models: the plan, units and contacts, reports, the outbox and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Roles a unit holds on a task.
LEAD = "lead"
CO = "co"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC and read back aware, on SQLite as on PostgreSQL.

    SQLite keeps no zone: without this, a local time would be stored as written and later
    read back as if it were UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


def _now() -> Any:
    return func.now()


class Plan(Base):
    """One work-plan document, e.g. 宁政发〔2021〕16号; several run side by side."""

    __tablename__ = "plans"
    __table_args__ = (CheckConstraint("state IN ('open', 'closed', 'archived')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(100), unique=True)
    # What people call it (简称): 政府工作报告, 民生实事; typed in /task 民生实事 2.
    short_name: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int] = mapped_column(Integer)
    # open: reported on and nudged; closed: its year and last period are over (kept, read
    # only); archived: put away by the operator (hidden from people).
    state: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    period_kind: Mapped[str] = mapped_column(String(10), default="month")
    due_day: Mapped[int] = mapped_column(Integer, default=25)
    # Months after a period's first month in which its due day falls: 0 for "by the 25th of
    # the month", 1 for "by the 10th of the following month" (a December report due in
    # January keeps last year's plan open until then).
    due_month_offset: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())

    sections: Mapped[list[Section]] = relationship(
        back_populates="plan", order_by="Section.number", cascade="all, delete-orphan"
    )


class Section(Base):
    """A numbered section of a plan (一、关于…)."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="sections")
    tasks: Mapped[list[Task]] = relationship(back_populates="section", order_by="Task.number")


class Task(Base):
    """A numbered task of a plan; its units hang off it through TaskUnit rows."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # The whole line as published, to show the document's own wording on demand.
    source_line: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[date | None] = mapped_column(Date)
    # A task dropped by a corrected plan is retired, never deleted: its reports stay.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    section: Mapped[Section] = relationship(back_populates="tasks")
    units: Mapped[list[TaskUnit]] = relationship(
        back_populates="task", order_by="TaskUnit.position", cascade="all, delete-orphan"
    )
    targets: Mapped[list[TaskTarget]] = relationship(
        back_populates="task", order_by="TaskTarget.position", cascade="all, delete-orphan"
    )


class TaskTarget(Base):
    """A quantitative target found in a task's text (地区生产总值增长7%)."""

    __tablename__ = "task_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(40), default="")
    comparator: Mapped[str] = mapped_column(String(10), default="eq")
    phrase: Mapped[str] = mapped_column(String(300), default="")

    task: Mapped[Task] = relationship(back_populates="targets")


class Unit(Base):
    """A responsible unit; collectives (各区政府) name groups of other units."""

    __tablename__ = "units"
    __table_args__ = (CheckConstraint("kind IN ('ordinary', 'collective')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="ordinary")
    category: Mapped[str] = mapped_column(String(20), default="")
    # A "relevant" collective (相关区政府) applies only to members a coordinator assigns per task.
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # False for names found in a plan but missing from the directory.
    in_directory: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

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

    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)


class CollectiveMember(Base):
    """Membership of an ordinary unit in a collective."""

    __tablename__ = "collective_members"

    collective_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskUnit(Base):
    """A unit's role (lead or co) on a task, in document order."""

    __tablename__ = "task_units"
    __table_args__ = (
        CheckConstraint("role IN ('lead', 'co')", name="role"),
        Index("ix_task_units_unit_role", "unit_id", "role"),
    )

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(4))
    position: Mapped[int] = mapped_column(Integer)

    task: Mapped[Task] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class TaskAssignment(Base):
    """A member a coordinator picked for a "relevant" collective on one task (/assign)."""

    __tablename__ = "task_assignments"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("units.id"), primary_key=True, index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)


class Contact(Base):
    """A Telegram user known to the bot: a liaison, a coordinator, or both."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Set when Telegram says the user blocked the bot; cleared when they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())

    units: Mapped[list[ContactUnit]] = relationship(
        back_populates="contact", cascade="all, delete-orphan"
    )


class ContactUnit(Base):
    """A contact linked to a unit as its liaison."""

    __tablename__ = "contact_units"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())

    contact: Mapped[Contact] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class Invite(Base):
    """A one-time, expiring invite code; only its SHA-256 is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # NULL unit with for_coordinator=True is a coordinator invite.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    for_coordinator: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InviteFailure(Base):
    """A wrong invite code tried by a Telegram user, kept to throttle guessing."""

    __tablename__ = "invite_failures"
    __table_args__ = (Index("ix_invite_failures_user_at", "telegram_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Period(Base):
    """A reporting period of a plan (a month or a quarter) and its due day."""

    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("plan_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)


class Report(Base):
    """One submitted version of a unit's progress on a task in a period; never deleted."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('on_track', 'at_risk', 'blocked', 'needs_coordination', 'done')",
            name="status",
        ),
        CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent"),
        CheckConstraint("review IN ('pending', 'accepted', 'returned')", name="review"),
        Index("ix_reports_task_unit_period", "task_id", "unit_id", "period_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    role: Mapped[str] = mapped_column(String(4), default=LEAD)
    status: Mapped[str] = mapped_column(String(20))
    percent: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    # An edit is a new row pointing at the version it replaces.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    review: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_reason: Mapped[str | None] = mapped_column(Text)
    # When the first version of this period's report arrived (on-time accounting).
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )


class Attachment(Base):
    """A photo or document sent as evidence with a report (Telegram keeps the bytes)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)

    report: Mapped[Report] = relationship(back_populates="attachments")


class OutboxMessage(Base):
    """A message the bot sends on its own, queued until Telegram has accepted it."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed')", name="state"),
        Index("ix_outbox_state_not_before", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A unique key makes queueing idempotent (one nudge per unit, step and period).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who changed what, when: every change a person or the system makes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReportDraft(Base):
    """A conversation in progress (a report being written, or a return reason), one per person.

    Kept in the database rather than in PTB's in-memory conversation state: every step is
    committed, so a restart or a second worker continues exactly where the person was.
    """

    __tablename__ = "report_drafts"
    __table_args__ = (
        CheckConstraint("kind IN ('report', 'return')", name="kind"),
        Index("ix_report_drafts_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(10), default="report")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # The report being edited (kind 'report') or returned (kind 'return').
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    step: Mapped[str] = mapped_column(String(12))
    status: Mapped[str | None] = mapped_column(String(20))
    percent: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    page: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageRef(Base):
    """Which task (and unit) a message the bot sent is about, so a reply can be filed."""

    __tablename__ = "message_refs"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NudgeClaim(Base):
    """A nudge (or digest) claimed for sending: its unique key makes it happen once.

    Keys: ``p{period}:{step}:u{unit}`` for period steps, ``d{task}:{days}:u{unit}`` for deadline
    reminders, ``p{period}:{step}:digest`` for the coordinators' digest. Claimed in the same
    transaction that queues the messages, so a crash leaves neither.
    """

    __tablename__ = "nudge_claims"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Chase(Base):
    """A 催办 sent to a unit's liaison, and when they acknowledged it (收到)."""

    __tablename__ = "chases"
    __table_args__ = (Index("ix_chases_period_unit", "period_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Broadcast(Base):
    """A coordinator's broadcast: being written (its conversation state), scheduled, or sent."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')", name="state"
        ),
        Index("ix_broadcasts_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    step: Mapped[str] = mapped_column(String(12), default="audience")
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

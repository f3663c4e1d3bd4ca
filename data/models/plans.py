"""Plans, their sections and tasks, and the targets found in a task."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Base, UTCDateTime, _now

if TYPE_CHECKING:  # for annotations; the mapper resolves the names by its registry
    from data.models.units import TaskUnit


class Plan(Base):
    """One work-plan document, e.g. 宁政发〔2021〕16号; several run side by side."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # What people call it (简称): 政府工作报告, 民生实事; typed in /task 民生实事 2.
    short_name: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    year: Mapped[int] = mapped_column(sa.Integer)
    # open: reported on and nudged; closed: its year and last period are over (kept, read
    # only); archived: put away by the operator (hidden from people).
    state: Mapped[str] = mapped_column(sa.String(10), default="open", server_default="open")
    period_kind: Mapped[str] = mapped_column(sa.String(10), default="month")
    due_day: Mapped[int] = mapped_column(sa.Integer, default=25)
    # Months after a period's first month in which its due day falls: 0 for "by the 25th of
    # the month", 1 for "by the 10th of the following month" (a December report due in
    # January keeps last year's plan open until then).
    due_month_offset: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    __table_args__ = (sa.CheckConstraint("state IN ('open', 'closed', 'archived')", name="state"),)
    source_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=_now())

    sections: Mapped[list[Section]] = relationship(
        back_populates="plan", order_by="Section.number", cascade="all, delete-orphan"
    )


class Section(Base):
    """A numbered section of a plan (一、关于…)."""

    __tablename__ = "sections"
    __table_args__ = (sa.UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.Text)

    plan: Mapped[Plan] = relationship(back_populates="sections")
    tasks: Mapped[list[Task]] = relationship(back_populates="section", order_by="Task.number")


class Task(Base):
    """A numbered task of a plan; its units hang off it through TaskUnit rows."""

    __tablename__ = "tasks"
    __table_args__ = (sa.UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("sections.id"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    text: Mapped[str] = mapped_column(sa.Text)
    # The whole line as published, to show the document's own wording on demand.
    source_line: Mapped[int] = mapped_column(sa.Integer, default=0)
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    # The deadline as the document writes it (6月底前, 长期坚持; '' when none): a re-import
    # sets the deadline again only when this changes, so a coordinator's /deadline stays.
    deadline_text: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    # 责任领导 as the document names them ('' when none).
    leader: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    # A task dropped by a corrected plan is retired, never deleted: its reports stay.
    retired: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default="0")
    # When a coordinator confirmed or changed the task's targets: from then on a re-import
    # leaves them as the coordinator set them.
    targets_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    section: Mapped[Section] = relationship(back_populates="tasks")
    units: Mapped[list[TaskUnit]] = relationship(
        back_populates="task", order_by="TaskUnit.position", cascade="all, delete-orphan"
    )
    targets: Mapped[list[TaskTarget]] = relationship(
        back_populates="task", order_by="TaskTarget.position", cascade="all, delete-orphan"
    )


class TaskTarget(Base):
    """A quantitative target of a task (地区生产总值增长7%): found in its text by the importer,
    reviewed by coordinators; retired (never deleted) when removed, so reported values stay."""

    __tablename__ = "task_targets"
    __table_args__ = (
        sa.CheckConstraint("comparator IN ('ge', 'le', 'approx', 'range')", name="comparator"),
        sa.CheckConstraint("kind IN ('cumulative', 'rate')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    metric: Mapped[str] = mapped_column(sa.String(200))
    # Decimal numbers as text (exact on both databases): the target, and a range's upper end.
    value: Mapped[str] = mapped_column(sa.String(40))
    value_max: Mapped[str | None] = mapped_column(sa.String(40))
    unit: Mapped[str] = mapped_column(sa.String(40), default="")
    # ge: at least (以上, the default), le: at most (以内), approx: about (左右), range.
    comparator: Mapped[str] = mapped_column(sa.String(10), default="ge")
    # cumulative: done so far this year against the time elapsed (序时进度); rate: a rate or a
    # level (增长7%, 总数达…), its value against the target directly.
    kind: Mapped[str] = mapped_column(
        sa.String(10), default="cumulative", server_default="cumulative"
    )
    phrase: Mapped[str] = mapped_column(sa.String(300), default="")
    retired: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default="0")

    task: Mapped[Task] = relationship(back_populates="targets")


class PlanImport(Base):
    """A coordinator's import through the bot, in progress: /import asked for the file
    (waiting), its preview was shown (preview), then confirmed (done) or cancelled.

    The conversation's state lives here, not in memory, like a report draft; the file itself
    stays on Telegram's servers (its file_id) and is fetched again on 确认, checked against the
    fingerprint the preview showed.
    """

    __tablename__ = "plan_imports"
    __table_args__ = (
        sa.CheckConstraint("state IN ('waiting', 'preview', 'done', 'cancelled')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(sa.String(10), default="waiting")
    file_id: Mapped[str | None] = mapped_column(sa.String(255))
    file_name: Mapped[str] = mapped_column(sa.String(255), default="")
    fingerprint: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

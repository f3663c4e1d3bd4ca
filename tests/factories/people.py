"""Builders for people and reports, straight into the database (no Telegram needed)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Contact, Task, Unit
from data.repo.contacts import link_unit, upsert_contact
from data.repo.coordinators import grant
from data.repo.people import make_leader
from data.repo.periods import ensure_period
from data.repo.reports import add_report_version

Sessions = async_sessionmaker[AsyncSession]


async def liaison(
    sessions: Sessions,
    telegram_id: int,
    *units: str,
    now: datetime,
    name: str = "",
    coordinator: bool = False,
) -> int:
    """A contact linked to the named units; returns its id."""
    async with sessions() as session:
        contact = await upsert_contact(
            session,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            full_name=name or f"联络员{telegram_id}",
            username=None,
        )
        if coordinator:  # as a coordinator invite would: every plan
            grant(session, contact_id=contact.id, plan_id=None, by=None, now=now)
        for unit_name in units:
            unit = await session.scalar(select(Unit).where(Unit.name == unit_name))
            assert unit is not None, unit_name
            link_unit(session, contact=contact, unit_id=unit.id, now=now)
        await session.commit()
        return contact.id


async def report_all(
    sessions: Sessions,
    unit_name: str,
    *,
    numbers: list[int],
    period_start: date,
    period_end: date,
    due: date,
    now: datetime,
    status: str = "on_track",
    text: str = "按计划推进",
    contact_id: int | None = None,
) -> None:
    """The unit reports on the given tasks in a period."""
    async with sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.name == unit_name))
        assert unit is not None
        tasks = (await session.scalars(select(Task).where(Task.number.in_(numbers)))).all()
        plan_id = tasks[0].plan_id
        period = await ensure_period(
            session, plan_id=plan_id, kind="month", start=period_start, end=period_end, due=due
        )
        for task in tasks:
            columns = {
                "task_id": task.id,
                "unit_id": unit.id,
                "period_id": period.id,
                "contact_id": contact_id,
                "role": "lead",
                "status": status,
                "percent": 50,
                "text": text,
            }
            await add_report_version(session, columns=columns, attachments=[], now=now)
        await session.commit()


async def contact_ids(sessions: Sessions) -> dict[int, int]:
    """Telegram id -> contact id."""
    async with sessions() as session:
        return {c.telegram_id: c.id for c in (await session.scalars(select(Contact))).all()}


async def leader(sessions: Sessions, telegram_id: int, unit_name: str, *, now: datetime) -> int:
    """A contact linked as a unit's leader (as a leader invite links them); returns its id."""
    async with sessions() as session:
        contact = await upsert_contact(
            session,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            full_name=f"领导{telegram_id}",
            username=None,
        )
        unit = await session.scalar(select(Unit).where(Unit.name == unit_name))
        assert unit is not None, unit_name
        make_leader(session, contact=contact, unit_id=unit.id, now=now)
        await session.commit()
        return contact.id

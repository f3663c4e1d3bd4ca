"""Contacts (Telegram users) and the units they serve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, CursorResult, Exists, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from data.models import Contact, ContactUnit

# Telegram's user ids have at most 52 significant bits, so no real user has an id from 2**52 up:
# the terminal console's people live there and can never be mistaken for someone on Telegram.
CONSOLE_IDS_FROM: Final = 2**52


async def set_aside_console_people(session: AsyncSession, *, now: datetime) -> int:
    """Before serving Telegram: the console's people cannot be reached there, so mark them
    unreachable (nudges and broadcasts skip them; their units show as having no reachable
    liaison). The console makes its person reachable again when it next opens. Returns how
    many were set aside."""
    result = await session.execute(
        update(Contact)
        .where(Contact.telegram_id >= CONSOLE_IDS_FROM, Contact.unreachable_at.is_(None))
        .values(unreachable_at=now)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0


async def console_contacts(session: AsyncSession) -> list[Contact]:
    """The terminal console's people (ids from CONSOLE_IDS_FROM up), with their units."""
    rows = await session.scalars(
        select(Contact)
        .where(Contact.telegram_id >= CONSOLE_IDS_FROM)
        .options(selectinload(Contact.units))
        .order_by(Contact.telegram_id)
    )
    return list(rows.all())


async def get_contact(session: AsyncSession, *, telegram_id: int) -> Contact | None:
    """A contact by Telegram user id, with the units they serve and lead loaded."""
    return await session.scalar(
        select(Contact)
        .where(Contact.telegram_id == telegram_id)
        .options(selectinload(Contact.units), selectinload(Contact.leads))
    )


async def upsert_contact(
    session: AsyncSession,
    *,
    telegram_id: int,
    chat_id: int,
    full_name: str,
    username: str | None,
    known: Contact | None = None,
) -> Contact:
    """The contact for a Telegram user, created or refreshed (name, chat, reachability).

    Pass `known` when the caller already loaded it, to save a query on every update.
    """
    contact = known or await get_contact(session, telegram_id=telegram_id)
    if contact is None:
        contact = Contact(
            telegram_id=telegram_id,
            chat_id=chat_id,
            full_name=full_name[:200],
            username=username,
            units=[],
            leads=[],
        )
        session.add(contact)
        await session.flush()
        return contact
    if (contact.chat_id, contact.full_name, contact.username) != (chat_id, full_name, username):
        contact.chat_id, contact.full_name, contact.username = chat_id, full_name[:200], username
    # Writing to us again means they have unblocked the bot.
    if contact.unreachable_at is not None:
        contact.unreachable_at = None
    return contact


# Last seen is kept to this precision: a roster needs the day, not a write on every update.
SEEN_EVERY = timedelta(hours=1)


def seen_long_ago(last: datetime | None, *, now: datetime) -> bool:
    """Whether a last-seen moment is old enough to be noted again (or was never noted)."""
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return last is None or now - last >= SEEN_EVERY


async def mark_seen(session: AsyncSession, *, seen: Mapping[int, datetime]) -> None:
    """Write when each of these contacts was last seen, in one statement (rows gone meanwhile
    are skipped)."""
    if not seen:
        return
    # Core's executemany (one statement, many parameter sets), not the ORM's bulk update.
    connection = await session.connection()
    await connection.execute(
        update(Contact)
        .where(Contact.id == bindparam("contact_id"))
        .values(last_seen_at=bindparam("seen_at")),
        [{"contact_id": cid, "seen_at": at} for cid, at in seen.items()],
    )


def link_unit(session: AsyncSession, *, contact: Contact, unit_id: int, now: datetime) -> bool:
    """Make a contact a liaison of a unit; False when it already was."""
    if any(cu.unit_id == unit_id for cu in contact.units):
        return False
    contact.units.append(ContactUnit(unit_id=unit_id, created_at=now))
    return True


async def liaisons_by_unit(
    session: AsyncSession, *, unit_ids: Iterable[int] | None = None, reachable: bool = True
) -> dict[int, list[Contact]]:
    """Liaisons of each unit (all units when None), reachable ones only by default."""
    query = select(ContactUnit.unit_id, Contact).join(
        Contact, Contact.id == ContactUnit.contact_id
    )
    wanted = _unit_filter(unit_ids)
    if wanted is not None and len(wanted) <= LONG_LIST:
        query = query.where(ContactUnit.unit_id.in_(wanted))
    if reachable:
        query = query.where(Contact.unreachable_at.is_(None))
    out: dict[int, list[Contact]] = {}
    for unit_id, contact in (await session.execute(query.order_by(Contact.id))).all():
        if wanted is None or unit_id in wanted:
            out.setdefault(unit_id, []).append(contact)
    return out


# Above this many units, every link is read and the wanted ones kept: for a long IN list,
# SQLite's planner probes the links contact by contact (1.5 s for 2,000 of a city's units)
# where reading all 20,000 links takes 10 ms.
LONG_LIST = 200


def _unit_filter(unit_ids: Iterable[int] | None) -> set[int] | None:
    return None if unit_ids is None else set(unit_ids)


async def reachable_liaisons(session: AsyncSession) -> list[Contact]:
    """Every reachable contact linked to some unit, each once."""
    rows = await session.scalars(
        select(Contact)
        .join(ContactUnit, ContactUnit.contact_id == Contact.id)
        .where(Contact.unreachable_at.is_(None))
        .distinct()
        .order_by(Contact.id)
    )
    return list(rows.all())


async def linked_unit_count(session: AsyncSession) -> int:
    """How many units have at least one liaison."""
    rows = await session.scalars(select(ContactUnit.unit_id).distinct())
    return len(rows.all())


async def liaisons_of(session: AsyncSession, *, unit_id: int) -> list[Contact]:
    """The reachable liaisons of one unit."""
    return (await liaisons_by_unit(session, unit_ids=[unit_id])).get(unit_id, [])


async def mark_unreachable(session: AsyncSession, *, contact_id: int, now: datetime) -> None:
    """Telegram said the person blocked the bot."""
    await session.execute(
        update(Contact).where(Contact.id == contact_id).values(unreachable_at=now)
    )


async def contact_with_units(session: AsyncSession, *, contact_id: int) -> Contact | None:
    """A contact by id, with the units they serve and lead loaded."""
    return await session.get(
        Contact, contact_id, options=[selectinload(Contact.units), selectinload(Contact.leads)]
    )


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to, as plain data (no ORM object per person)."""

    id: int
    telegram_id: int
    chat_id: int
    full_name: str
    language: str | None


def has_reachable_liaison(unit_id: ColumnElement[int] | InstrumentedAttribute[int]) -> Exists:
    """Whether the unit `unit_id` names has a liaison who can be reached (a correlated
    EXISTS, for counting units in SQL)."""
    return exists().where(
        ContactUnit.unit_id == unit_id,
        ContactUnit.contact_id == Contact.id,
        Contact.unreachable_at.is_(None),
    )


async def reachable_units(session: AsyncSession, *, unit_ids: Iterable[int]) -> set[int]:
    """Which of the units have a reachable liaison, in one query (not their liaisons' rows)."""
    wanted = _unit_filter(unit_ids) or set()
    if not wanted:
        return set()
    query = (
        select(ContactUnit.unit_id)
        .join(Contact, Contact.id == ContactUnit.contact_id)
        .where(Contact.unreachable_at.is_(None))
        .distinct()
    )
    if len(wanted) <= LONG_LIST:
        query = query.where(ContactUnit.unit_id.in_(wanted))
    return set((await session.scalars(query)).all()) & wanted


async def recipients_by_unit(
    session: AsyncSession, *, unit_ids: Iterable[int]
) -> dict[int, list[Recipient]]:
    """The reachable liaisons of each unit, as plain rows, in one query."""
    wanted = _unit_filter(unit_ids) or set()
    if not wanted:
        return {}
    query = (
        select(
            ContactUnit.unit_id,
            Contact.id,
            Contact.telegram_id,
            Contact.chat_id,
            Contact.full_name,
            Contact.language,
        )
        .join(Contact, Contact.id == ContactUnit.contact_id)
        .where(Contact.unreachable_at.is_(None))
        .order_by(Contact.id)
    )
    if len(wanted) <= LONG_LIST:
        query = query.where(ContactUnit.unit_id.in_(wanted))
    rows = await session.execute(query)
    out: dict[int, list[Recipient]] = {}
    for unit_id, contact_id, telegram_id, chat_id, full_name, language in rows.all():
        if unit_id not in wanted:
            continue
        person = Recipient(contact_id, telegram_id, chat_id, full_name, language)
        out.setdefault(unit_id, []).append(person)
    return out

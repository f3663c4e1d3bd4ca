"""When people last wrote to the bot: noted in memory on the interactive path, written by a job.

A liaison's read-only command must not write. On SQLite an update that first reads and then
writes fails at once ("database is locked", no busy wait) when another connection committed in
between, as the tick and the outbox do all day; on any database it would be a write per
command. Last seen is kept to the hour, so it is noted here and written for everyone at once,
in one statement a minute, outside anyone's update. A roster overlays what is not written yet.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Contact
from data.repo.contacts import mark_seen, seen_long_ago
from data.repo.people import UnitRoster

log = logging.getLogger("duban.presence")


class Presence:
    """Last-seen moments waiting to be written, by contact id."""

    def __init__(self) -> None:
        self._pending: dict[int, datetime] = {}

    def note(self, contact: Contact, *, now: datetime) -> None:
        """The person wrote now; remembered when what is stored is an hour old or more."""
        if contact.id in self._pending or seen_long_ago(contact.last_seen_at, now=now):
            self._pending[contact.id] = now

    def overlay(self, units: list[UnitRoster]) -> list[UnitRoster]:
        """Rosters with the moments not written yet in place of the stored ones."""
        for unit in units:
            unit.people = [
                replace(p, last_seen=self._pending[p.contact_id])
                if p.contact_id in self._pending
                else p
                for p in unit.people
            ]
        return units

    async def flush(self, sessions: async_sessionmaker[AsyncSession]) -> int:
        """Write what was noted; kept for the next try when the database refuses. Returns how
        many people were written."""
        if not self._pending:
            return 0
        batch, self._pending = self._pending, {}
        try:
            async with sessions() as session:
                await mark_seen(session, seen=batch)
                await session.commit()
        except SQLAlchemyError as error:
            log.warning("last seen of %d people not written yet (%s)", len(batch), error)
            for contact_id, moment in batch.items():
                self._pending.setdefault(contact_id, moment)
            return 0
        return len(batch)

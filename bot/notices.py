"""Notices the bot sends coordinators on its own (through the outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.queue import Outgoing, queue_message
from bot.i18n import h, lang_of, t
from data.repo.contacts import contact_with_units
from data.repo.coordinators import coordinators
from data.repo.units import units_by_ids


async def notify_blocked(
    session: AsyncSession,
    *,
    contact_id: int | None,
    now: datetime,
    extra_coordinators: Sequence[int] = (),
) -> int:
    """Queue a note to every coordinator that a liaison blocked the bot; returns how many."""
    if contact_id is None:
        return 0
    contact = await contact_with_units(session, contact_id=contact_id)
    if contact is None:
        return 0
    units = await units_by_ids(session, ids=[cu.unit_id for cu in contact.units])
    names = "、".join(u.name for u in units.values()) or "-"
    count = 0
    for coordinator in await coordinators(session, extra_ids=extra_coordinators):
        if coordinator.id == contact.id:
            continue
        lang = lang_of(coordinator.language)
        notice = Outgoing(
            chat_id=coordinator.chat_id,
            kind="system",
            contact_id=coordinator.id,
            text=t(lang, "outbox.blocked", name=h(contact.full_name), units=h(names)),
            dedupe_key=f"blocked:{contact.id}:{now:%Y%m%d}:c{coordinator.id}",
        )
        await queue_message(session, notice, now=now)
        count += 1
    return count

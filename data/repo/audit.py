"""The audit log: one row per change, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from data.models import AuditEntry

# What a change was made to: ("report", 42), ("period", 7), ("plan", None).
Target = tuple[str, object]


class Person(Protocol):
    """Someone known by Telegram who changed something (a stored Contact)."""

    id: int
    telegram_id: int


def record(
    session: AsyncSession,
    actor: str,
    action: str,
    target: Target,
    /,
    *,
    at: datetime,
    contact_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to the session (committed with the change it describes); `actor` is
    who did it ("cli", "clock", "tg:<user id>")."""
    entity, entity_id = target
    session.add(
        AuditEntry(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            contact_id=contact_id,
            detail=detail or {},
        )
    )


def by_person(
    session: AsyncSession,
    person: Person,
    action: str,
    target: Target,
    /,
    *,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a change a Telegram user made."""
    actor = f"tg:{person.telegram_id}"
    record(session, actor, action, target, at=at, contact_id=person.id, detail=detail)

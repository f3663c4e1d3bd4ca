"""The audit log: one row per change, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from data.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    contact_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to the session (committed with the change it describes)."""
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


def by(contact: Any) -> dict[str, Any]:
    """The actor fields for a change a Telegram user made: `audit.record(..., **audit.by(c))`."""
    return {"actor": f"tg:{contact.telegram_id}", "contact_id": contact.id}

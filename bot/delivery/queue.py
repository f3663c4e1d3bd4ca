"""Queueing a message in the outbox, in the caller's transaction, with plain button data.

Services and the scheduler describe buttons as plain (text, callback data) pairs; only the
sender turns them into Telegram objects, so nothing outside bot/delivery/ and handlers/ needs
python-telegram-bot to say what a message offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from data.repo import outbox as repo


@dataclass(frozen=True)
class Button:
    """An inline button: its label and the callback data it sends back."""

    text: str
    data: str


ButtonRows = Sequence[Sequence[Button]]


def message_payload(text: str, buttons: ButtonRows | None = None) -> dict[str, Any]:
    """What the outbox stores for an HTML message with optional buttons (Bot API JSON)."""
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    rows = [[{"text": b.text, "callback_data": b.data} for b in row] for row in buttons or ()]
    if any(rows):
        payload["reply_markup"] = {"inline_keyboard": [row for row in rows if row]}
    return payload


async def queue_message(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    kind: str,
    now: datetime,
    buttons: ButtonRows | None = None,
    contact_id: int | None = None,
    dedupe_key: str | None = None,
    batch: str | None = None,
    not_before: datetime | None = None,
    ref: dict[str, int] | None = None,
) -> bool:
    """Queue one message in the caller's transaction; False when its dedupe key was taken.

    `ref` names the one task (and unit) the message is about, so a reply to it is filed.
    """
    payload = message_payload(text, buttons)
    if ref is not None:
        payload["ref"] = ref
    queued = await repo.enqueue(
        session,
        chat_id=chat_id,
        payload=payload,
        kind=kind,
        now=now,
        contact_id=contact_id,
        dedupe_key=dedupe_key,
        batch=batch,
        not_before=not_before,
    )
    return queued is not None

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

# Messages made into rows and written per statement.
BATCH = 500


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


@dataclass(frozen=True)
class Outgoing:
    """One message to queue: to whom, what, and the key that makes queueing it idempotent."""

    chat_id: int
    text: str
    kind: str
    buttons: ButtonRows | None = None
    contact_id: int | None = None
    dedupe_key: str | None = None
    batch: str | None = None
    not_before: datetime | None = None
    # The one task (and unit) the message is about, so a reply to it is filed.
    ref: dict[str, int] | None = None
    # A stored bulletin sent as a document, the text its caption (bot/delivery/documents.py).
    document: int | None = None

    def row(self, now: datetime) -> dict[str, Any]:
        """The outbox row (every column, so that rows batch into one statement)."""
        payload = message_payload(self.text, self.buttons)
        if self.ref is not None:
            payload["ref"] = self.ref
        if self.document is not None:
            payload["document"] = self.document
        return {
            "chat_id": self.chat_id,
            "payload": payload,
            "kind": self.kind,
            "contact_id": self.contact_id,
            "dedupe_key": self.dedupe_key,
            "batch": self.batch,
            "state": "queued",
            "attempts": 0,
            "not_before": self.not_before or now,
            "created_at": now,
        }


async def queue_messages(
    session: AsyncSession, messages: Sequence[Outgoing], *, now: datetime
) -> int:
    """Queue many messages in the caller's transaction, in a few statements; a message whose
    dedupe key was taken is skipped. Returns how many were queued. Rows are made a batch at a
    time, between the batches' writes, so a due day's 20,000 nudges never hold the loop."""
    queued = 0
    for start in range(0, len(messages), BATCH):
        batch = messages[start : start + BATCH]
        queued += await repo.enqueue(session, rows=[m.row(now) for m in batch])
    return queued


async def queue_message(session: AsyncSession, message: Outgoing, *, now: datetime) -> bool:
    """Queue one message in the caller's transaction; False when its dedupe key was taken."""
    return await queue_messages(session, [message], now=now) == 1

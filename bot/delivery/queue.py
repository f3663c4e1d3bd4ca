"""Queueing a message in the outbox, in the caller's transaction, with plain button data.

Services and the scheduler describe buttons as plain (text, callback data) pairs; only the
sender turns them into Telegram objects, so nothing outside bot/delivery/ and handlers/ needs
python-telegram-bot to say what a message offers.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from data.repo import outbox as repo

# Messages made into rows and written per statement.
BATCH = 2_000


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


# What a message says, as far as sharing it goes: its text, the identities of its button and
# ref objects, and its document (`Outgoing.content_key`).
Content = tuple[str, int, int, int | None]


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

    def payload(self) -> dict[str, Any]:
        """What the outbox stores: the Bot API message, its ref and document."""
        payload = message_payload(self.text, self.buttons)
        if self.ref is not None:
            payload["ref"] = self.ref
        if self.document is not None:
            payload["document"] = self.document
        return payload

    def row(self, payload: str | None, body_key: str | None, *, now: datetime) -> repo.NewMessage:
        """The outbox row: its own payload, encoded already, or the body it shares."""
        return repo.NewMessage(
            chat_id=self.chat_id,
            kind=self.kind,
            contact_id=self.contact_id,
            dedupe_key=self.dedupe_key,
            batch=self.batch,
            payload=payload,
            body_key=body_key,
            not_before=self.not_before or now,
        )

    @property
    def content_key(self) -> Content:
        """Messages with the same key say the same: the same text, and the same button and ref
        objects (a unit's nudge to each of its liaisons, a broadcast to everyone)."""
        return (self.text, id(self.buttons), id(self.ref), self.document)


def encode(payload: dict[str, Any]) -> str:
    """A payload as the outbox keeps it: JSON with Chinese left as is (escaped, a nudge's
    text takes half as many bytes again)."""
    return json.dumps(payload, ensure_ascii=False)


async def queue_messages(
    session: AsyncSession, messages: Sequence[Outgoing], *, now: datetime
) -> int:
    """Queue many messages in the caller's transaction, in a few statements; a message whose
    dedupe key was taken is skipped. Returns how many were queued. Rows are made a batch at a
    time, between the batches' writes, so a due day's 20,000 nudges never hold the loop.

    What several messages say alike (`Outgoing.content_key`) is stored once, as a body they
    name; a message of its own carries its payload."""
    contents = [m.content_key for m in messages]
    uses = Counter(contents)
    said: dict[Content, Outgoing] = {}
    for message, content in zip(messages, contents, strict=True):
        if uses[content] > 1:
            said.setdefault(content, message)
    payloads = [encode(m.payload()) for m in said.values()]
    keys = await repo.add_bodies(session, payloads=payloads, now=now)
    bodies = dict(zip(said, keys, strict=True))  # content -> its body's key

    def row(message: Outgoing, content: Content) -> repo.NewMessage:
        key = bodies.get(content)
        if key is not None:
            return message.row(None, key, now=now)
        return message.row(encode(message.payload()), None, now=now)

    queued = 0
    for start in range(0, len(messages), BATCH):
        batch = zip(messages[start : start + BATCH], contents[start : start + BATCH], strict=True)
        queued += await repo.enqueue(session, rows=[row(m, c) for m, c in batch], now=now)
    # A body all of whose messages were queued before (their dedupe keys taken) is not kept.
    await repo.drop_unused_bodies(session, keys=bodies.values())
    return queued


async def queue_message(session: AsyncSession, message: Outgoing, *, now: datetime) -> bool:
    """Queue one message in the caller's transaction; False when its dedupe key was taken."""
    return await queue_messages(session, [message], now=now) == 1

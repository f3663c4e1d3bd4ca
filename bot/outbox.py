"""Delivery: every message the bot sends on its own goes through the persistent outbox.

Delivery policy (PRODUCT §5):
- A message is queued in the database first (in the transaction that decided to send it).
- The sender claims due rows with a lease (state 'sending', claimed_until), sends them under
  Telegram's limits (a global rate, about 30/s, and 1 message a second per chat), and records
  the outcome at once: 'sent'; back to 'queued' for later on 429 (after its retry_after,
  pausing all sending), on 5xx and network errors (exponential backoff, capped, at most
  `max_attempts` tries); 'failed' with the reason on a permanent error (400); and on 403 (the
  user blocked the bot) 'failed' plus the contact marked unreachable and coordinators told.
- Guarantee: at least once. A crash before Telegram answers leaves the row 'sending'; when its
  lease lapses the next sender retakes it. A message can be sent twice only when Telegram
  accepted it but we never learned so: a crash between its answer and our commit, or a
  connection dropped after the request reached Telegram (the Bot API has no idempotency key,
  so such an ambiguous failure is retried rather than risk losing the message).
- Interactive replies never wait behind the outbox: it sends through its own Bot and HTTP
  connection pool, as a separate asyncio task, while updates are handled as usual. Both share
  one RateGate: replies are counted in it (never delayed by it), and the outbox keeps below
  Telegram's 30/s by default (27/s) so that replies fit in the same budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload
from telegram import Bot, InlineKeyboardMarkup
from telegram._utils.types import JSONDict
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.i18n import Lang, h, t
from bot.plan_clock import Clock
from data.models import Contact, OutboxMessage
from data.repo import outbox as repo
from data.repo.reports import coordinators, mark_unreachable, remember_message
from data.repo.units import units_by_ids

log = logging.getLogger("duban.outbox")

BlockedHook = Callable[[OutboxMessage], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """Sending limits and retry policy."""

    rate_per_s: float = 30.0
    per_chat_interval_s: float = 1.0
    concurrency: int = 8
    batch: int = 100
    lease: timedelta = timedelta(seconds=120)
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 300.0


class RateGate:
    """Paces sends to a rate over a sliding second, with a pause for Telegram's retry_after.

    Interactive replies call `note()` so the outbox leaves room for them; they never wait.
    """

    def __init__(
        self,
        rate_per_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate_per_s
        self.per_second = max(1, int(rate_per_s))
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = monotonic()
        self._paused_until = 0.0
        self._recent: deque[float] = deque()
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Stop everyone for a while (Telegram's flood control applies to the whole bot)."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def note(self) -> None:
        """Count a send made elsewhere (an interactive reply) against the same second."""
        self._recent.append(self._monotonic())

    async def wait(self) -> None:
        """Return when the next message may go: spaced, under the per-second cap, not paused."""
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._recent and self._recent[0] <= now - 1.0:
                    self._recent.popleft()
                ready = max(self._next, self._paused_until)
                if len(self._recent) >= self.per_second:
                    ready = max(ready, self._recent[0] + 1.0)
                if ready <= now:
                    break
                # Re-check after sleeping: a 429 may have paused everyone meanwhile.
                await self._sleep(ready - now)
            self._next = now + self.interval
            self._recent.append(now)


class SharedLimiter(BaseRateLimiter[None]):
    """PTB rate limiter for interactive replies: counted in the outbox's gate, never delayed;
    a 429 is honoured once (wait, then retry) so a user's answer is not dropped."""

    def __init__(self, gate: RateGate) -> None:
        self.gate = gate

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send now; after a 429, pause the outbox too, wait, and try once more."""
        self.gate.note()
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                seconds = _seconds(exc.retry_after)
            self.gate.pause(seconds)
            await asyncio.sleep(seconds)
            self.gate.note()
            return await callback(*args, **kwargs)


@dataclass
class DrainStats:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    deferred: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class OutboxSender:
    """Claims due outbox rows and sends them under the limits; one per process is enough."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        limits: Limits | None = None,
        on_blocked: BlockedHook | None = None,
        gate: RateGate | None = None,
    ) -> None:
        self.sessions = sessions
        self.bot = bot
        self.clock = clock
        self.limits = limits or Limits()
        self.on_blocked = on_blocked
        self.gate = gate or RateGate(self.limits.rate_per_s)
        self._last_by_chat: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the messages in hand, then return from run()."""
        self._stopping.set()
        self._wake.set()

    async def run(self, *, idle_poll_s: float = 1.0) -> None:
        """Drain forever (until stop()), sleeping while nothing is due."""
        while not self._stopping.is_set():
            try:
                stats = await self.drain_once()
            except Exception:
                log.exception("outbox drain failed; retrying shortly")
                stats = DrainStats()
            if stats.sent or stats.retried or stats.failed or stats.blocked:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle_poll_s)

    async def drain_once(self) -> DrainStats:
        """Claim one batch of due messages and send them all."""
        async with self.sessions() as session:
            claimed = await repo.claim(
                session, now=self.clock(), lease=self.limits.lease, limit=self.limits.batch
            )
            await session.commit()
        stats = DrainStats()
        if not claimed:
            return stats
        semaphore = asyncio.Semaphore(self.limits.concurrency)

        async def one(message: OutboxMessage) -> None:
            async with semaphore:
                await self._deliver(message, stats)

        await asyncio.gather(*(one(m) for m in claimed))
        return stats

    async def _deliver(self, message: OutboxMessage, stats: DrainStats) -> None:
        # 1 message a second per chat: a second message for the same chat waits its turn in
        # the queue instead of holding a sending slot.
        last = self._last_by_chat.get(message.chat_id)
        now_m = time.monotonic()
        if last is not None and now_m - last < self.limits.per_chat_interval_s:
            wait = self.limits.per_chat_interval_s - (now_m - last)
            async with self.sessions() as session:
                await repo.mark_retry(
                    session,
                    message_id=message.id,
                    not_before=self.clock() + timedelta(seconds=wait),
                    error="per-chat pacing",
                    count_attempt=False,
                )
                await session.commit()
            stats.deferred += 1
            return
        self._last_by_chat[message.chat_id] = now_m
        if len(self._last_by_chat) > 10_000:
            # Only the last second matters: forget older chats so the map stays small.
            cutoff = now_m - self.limits.per_chat_interval_s
            self._last_by_chat = {c: ts for c, ts in self._last_by_chat.items() if ts > cutoff}
        await self.gate.wait()
        outcome: tuple[str, Any] = ("sent", None)
        try:
            sent = await self._send(message)
            outcome = ("sent", sent.message_id)
        except RetryAfter as exc:
            with warnings.catch_warnings():
                # PTB 22.2+ warns that retry_after will become a timedelta: we accept both.
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                seconds = _seconds(exc.retry_after)
            self.gate.pause(seconds)
            outcome = ("retry_after", seconds)
        except Forbidden as exc:
            outcome = ("blocked", exc.message)
        except ChatMigrated as exc:
            outcome = ("migrated", exc.new_chat_id)
        except InvalidToken:
            raise
        except BadRequest as exc:
            outcome = ("failed", exc.message)
        except (NetworkError, TelegramError) as exc:
            # PTB reports 5xx answers and dropped connections as NetworkError.
            outcome = ("transient", f"{type(exc).__name__}: {exc.message}")
        await self._record(message, outcome, stats)

    async def _send(self, message: OutboxMessage) -> Any:
        payload = message.payload
        markup = payload.get("reply_markup")
        return await self.bot.send_message(
            message.chat_id,
            payload["text"],
            parse_mode=payload.get("parse_mode"),
            reply_markup=InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None,
            disable_web_page_preview=True,
        )

    async def _record(
        self, message: OutboxMessage, outcome: tuple[str, Any], stats: DrainStats
    ) -> None:
        kind, detail = outcome
        now = self.clock()
        async with self.sessions() as session:
            if kind == "sent":
                await repo.mark_sent(
                    session, message_id=message.id, telegram_message_id=detail, now=now
                )
                ref = message.payload.get("ref")
                if ref and detail is not None:
                    await remember_message(
                        session,
                        chat_id=message.chat_id,
                        message_id=detail,
                        task_id=ref["task_id"],
                        unit_id=ref.get("unit_id"),
                        kind=message.kind,
                        now=now,
                    )
                stats.sent += 1
            elif kind == "retry_after":
                await repo.mark_retry(
                    session,
                    message_id=message.id,
                    not_before=now + timedelta(seconds=detail),
                    error=f"429 retry after {detail}s",
                    count_attempt=False,
                )
                stats.retried += 1
            elif kind == "blocked":
                await repo.mark_failed(session, message_id=message.id, error=f"blocked: {detail}")
                if message.contact_id is not None:
                    await mark_unreachable(session, contact_id=message.contact_id, now=now)
                stats.blocked += 1
            elif kind == "migrated":
                await repo.mark_retry(
                    session,
                    message_id=message.id,
                    not_before=now,
                    error="chat migrated",
                    count_attempt=False,
                    chat_id=int(detail),
                )
                stats.retried += 1
            elif kind == "failed" or message.attempts >= self.limits.max_attempts:
                await repo.mark_failed(session, message_id=message.id, error=str(detail))
                stats.failed += 1
            else:
                delay = min(
                    self.limits.backoff_cap_s,
                    self.limits.backoff_base_s * 2 ** (message.attempts - 1),
                )
                delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
                await repo.mark_retry(
                    session,
                    message_id=message.id,
                    not_before=now + timedelta(seconds=delay),
                    error=str(detail),
                )
                stats.retried += 1
            await session.commit()
        if kind == "blocked":
            log.info("contact %s blocked the bot; marked unreachable", message.contact_id)
            if self.on_blocked is not None:
                await self.on_blocked(message)


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if isinstance(value, timedelta) else float(value)


def message_payload(text: str, markup: InlineKeyboardMarkup | None = None) -> dict[str, Any]:
    """What the outbox stores for an HTML message with optional buttons."""
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if markup is not None:
        payload["reply_markup"] = markup.to_dict()
    return payload


async def queue_message(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    kind: str,
    now: datetime,
    markup: InlineKeyboardMarkup | None = None,
    contact_id: int | None = None,
    dedupe_key: str | None = None,
    batch: str | None = None,
    not_before: datetime | None = None,
    ref: dict[str, int] | None = None,
) -> bool:
    """Queue one message in the caller's transaction; False when its dedupe key was taken.

    `ref` names the one task (and unit) the message is about, so a reply to it is filed.
    """
    payload = message_payload(text, markup)
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
    contact = await session.get(Contact, contact_id, options=[selectinload(Contact.units)])
    if contact is None:
        return 0
    units = await units_by_ids(session, ids=[cu.unit_id for cu in contact.units])
    names = "、".join(u.name for u in units.values()) or "-"
    count = 0
    for coordinator in await coordinators(session, extra_ids=extra_coordinators):
        if coordinator.id == contact.id:
            continue
        lang: Lang = "en" if coordinator.language == "en" else "zh"
        await queue_message(
            session,
            chat_id=coordinator.chat_id,
            kind="system",
            now=now,
            contact_id=coordinator.id,
            text=t(lang, "outbox.blocked", name=h(contact.full_name), units=h(names)),
            dedupe_key=f"blocked:{contact.id}:{now:%Y%m%d}:c{coordinator.id}",
        )
        count += 1
    return count

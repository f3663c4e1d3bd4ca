"""The outbox sender: every message the bot sends on its own goes out through it.

Delivery policy (PRODUCT §5):
- A message is queued in the database first (in the transaction that decided to send it).
- The sender claims due rows with a lease (state 'sending', claimed_until), sends them under
  Telegram's limits (about 30/s overall; 1 a second per chat, 20 a minute per group), and
  records the outcome at once: 'sent'; back to 'queued' for later on 429 (after its
  retry_after, pausing all sending), on 5xx and network errors (exponential backoff, capped,
  at most `max_attempts` tries); 'failed' with the reason on a permanent error (400); and on
  403 (the user blocked the bot) 'failed' plus the contact marked unreachable and coordinators
  told.
- Guarantee: at least once. A crash before Telegram answers leaves the row 'sending'; when its
  lease lapses the next sender retakes it. A message can be sent twice only when Telegram
  accepted it but we never learned so: a crash between its answer and our commit, or a
  connection dropped after the request reached Telegram (the Bot API has no idempotency key,
  so such an ambiguous failure is retried rather than risk losing the message).
- Interactive replies never wait behind the outbox: it sends through its own Bot and HTTP
  connection pool, as a separate asyncio task, while updates are handled as usual. Both share
  one RateGate (Telegram's 30/s): replies take their place at once and are never delayed; the
  outbox uses what is left, less a reserve kept free for replies (1 a second by default).
- Throughput: the sender claims the next rows while the last are in flight, keeps
  `concurrency` requests going, and paces them so that no second holds more than the limit
  at Telegram's end (RateGate explains how); a retry goes out after 1 s, 2 s, 4 s...
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from asyncio import FIRST_COMPLETED
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.calendar.clock import Clock
from bot.delivery.documents import send_document
from bot.delivery.gate import Limits, RateGate, _Place, retry_after_s
from data.models import OutboxMessage
from data.repo import outbox as repo
from data.repo.contacts import mark_unreachable
from data.repo.reports import remember_message

log = logging.getLogger("duban.outbox")

BlockedHook = Callable[[OutboxMessage], Awaitable[None]]

# A row whose lease ends sooner than this is not sent: it goes back to the queue instead, so
# that no other sender can retake it while our request is under way.
LEASE_MARGIN = timedelta(seconds=30)


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
        # Only chats from this id up: the console sends to its own people, no one else's.
        self.chats_from: int | None = None
        self.bot = bot
        self.clock = clock
        self.limits = limits or Limits()
        self.on_blocked = on_blocked
        self.gate = gate or RateGate(
            self.limits.rate_per_s, reply_reserve_per_s=self.limits.reply_reserve_per_s
        )
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
        """Send until stop(), keeping `concurrency` messages in flight.

        The next rows are claimed while the last ones are still being sent, so sending never
        stops to wait for the database; with nothing due it sleeps until the next row is due
        (at most `idle_poll_s`) or until wake(). On stop, the messages in flight finish, and
        the rows claimed but not sent (waiting in hand, or for a place in the gate) go back to
        the queue at once.
        """
        pending: deque[OutboxMessage] = deque()
        held: set[int] = set()  # claimed and not yet finished: never claimed again by us
        sending: set[asyncio.Task[None]] = set()
        slots = asyncio.Semaphore(self.limits.concurrency)
        stats = DrainStats()
        drained = False  # the last claim found fewer rows than asked for

        async def one(message: OutboxMessage) -> None:
            try:
                await self._deliver(message, stats)
            except Exception:
                # The row stays leased: a sender retakes it when the lease lapses.
                log.exception("outbox message %s could not be sent", message.id)
            finally:
                held.discard(message.id)
                slots.release()

        try:
            while not self._stopping.is_set():
                low = len(pending) <= self.limits.batch // 2
                if low and (not drained or not pending or self._wake.is_set()):
                    self._wake.clear()
                    want = self.limits.batch - len(pending)
                    try:
                        claimed = await self._claim(want, exclude=held)
                    except Exception:
                        log.exception("outbox claim failed; retrying shortly")
                        await self._idle(idle_poll_s, set())
                        continue
                    drained = len(claimed) < want
                    pending.extend(claimed)
                    held.update(m.id for m in claimed)
                if not pending:
                    await self._idle(idle_poll_s, sending)
                    continue
                await slots.acquire()
                task = asyncio.create_task(one(pending.popleft()))
                sending.add(task)
                task.add_done_callback(sending.discard)
        finally:
            if sending:
                await asyncio.gather(*sending, return_exceptions=True)
            if pending:
                try:
                    await self._give_back(pending)
                except Exception:
                    log.exception(
                        "outbox could not put back %d unsent rows; their lease will lapse",
                        len(pending),
                    )

    async def _idle(self, longest_s: float, sending: set[asyncio.Task[None]]) -> None:
        """Wait for wake(), for a send in flight to finish (its outcome may queue a retry), or
        for the next queued row to fall due; at most `longest_s`."""
        delay = longest_s
        if not sending:
            try:
                async with self.sessions() as session:
                    due = await repo.next_due(session)
            except Exception:
                log.exception("outbox could not read the next due time")
                due = None
            if due is not None:
                delay = min(delay, max(0.0, (due - self.clock()).total_seconds()))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({woken, *sending}, timeout=delay, return_when=FIRST_COMPLETED)
        finally:
            woken.cancel()

    async def _claim(self, limit: int, exclude: Collection[int] = ()) -> Sequence[OutboxMessage]:
        async with self.sessions() as session:
            claimed = await repo.claim(
                session,
                now=self.clock(),
                lease=self.limits.lease,
                limit=limit,
                exclude=exclude,
                chats_from=self.chats_from,
            )
            await session.commit()
        return claimed

    async def _give_back(self, messages: Iterable[OutboxMessage]) -> None:
        async with self.sessions() as session:
            for message in messages:
                await self._put_back(session, message, not_before=self.clock(), why="stopped")
            await session.commit()

    async def _put_back(
        self, session: AsyncSession, message: OutboxMessage, *, not_before: datetime, why: str
    ) -> None:
        """Back to the queue, unsent, with no attempt used (if the row is still ours)."""
        await repo.mark_retry(
            session,
            message_id=message.id,
            not_before=not_before,
            error=f"not sent: {why}",
            count_attempt=False,
            lease=message.claimed_until,
        )

    async def drain_once(self) -> DrainStats:
        """Claim one batch of due messages and send them all (tests and one-off runs)."""
        claimed = await self._claim(self.limits.batch)
        stats = DrainStats()
        if not claimed:
            return stats
        semaphore = asyncio.Semaphore(self.limits.concurrency)

        async def one(message: OutboxMessage) -> None:
            async with semaphore:
                await self._deliver(message, stats)

        await asyncio.gather(*(one(m) for m in claimed))
        return stats

    async def drain(self, *, rounds: int = 100) -> DrainStats:
        """Send whatever is due, batch after batch, until a batch finds nothing to do (or after
        `rounds` batches); the sent count is the total (the console and tests use it)."""
        total = DrainStats()
        for _ in range(rounds):
            stats = await self.drain_once()
            total.sent += stats.sent
            if not (
                stats.sent or stats.retried or stats.failed or stats.blocked or stats.deferred
            ):
                break
        return total

    async def _deliver(self, message: OutboxMessage, stats: DrainStats) -> None:
        # 1 message a second per chat (20 a minute in a group: negative ids), counted from
        # Telegram's answer (the message arrived before it): a second message for the same
        # chat waits its turn in the queue instead of holding a sending slot.
        last = self._last_by_chat.get(message.chat_id)
        now_m = time.monotonic()
        wait = 0.0
        if last is not None:
            since = 0.0 if last == math.inf else now_m - last
            wait = self._chat_interval(message.chat_id) - since
        if wait > 0:
            async with self.sessions() as session:
                later = self.clock() + timedelta(seconds=wait)
                await self._put_back(session, message, not_before=later, why="per-chat pacing")
                await session.commit()
            stats.deferred += 1
            return
        # From now until the answer, the chat counts as just served.
        self._last_by_chat[message.chat_id] = math.inf
        if len(self._last_by_chat) > 10_000:
            # Only the last seconds matter: forget older chats so the map stays small.
            longest = max(self.limits.per_chat_interval_s, self.limits.per_group_interval_s)
            cutoff = now_m - longest
            self._last_by_chat = {c: ts for c, ts in self._last_by_chat.items() if ts > cutoff}
        place = await self._place_unless_stopping()
        if place is None or not self._still_ours(message):
            # Stopping, or held so long (a long 429 pause) that the lease is about to lapse
            # and another sender could take the row: leave it to the queue.
            if last is None:
                self._last_by_chat.pop(message.chat_id, None)
            else:
                self._last_by_chat[message.chat_id] = last
            if place is not None:
                self.gate.release(place)
            async with self.sessions() as session:
                why = "stopped" if place is None else "lease about to lapse"
                await self._put_back(session, message, not_before=self.clock(), why=why)
                await session.commit()
            stats.deferred += 1
            return
        outcome: tuple[str, Any] = ("sent", None)
        try:
            sent = await self._send(message)
            outcome = ("sent", sent.message_id)
        except RetryAfter as exc:
            seconds = retry_after_s(exc)
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
        finally:
            self.gate.release(place)
            self._last_by_chat[message.chat_id] = time.monotonic()
        await self._record(message, outcome, stats)

    async def _place_unless_stopping(self) -> _Place | None:
        """A place in the gate, or None when stop() comes first."""
        if self._stopping.is_set():
            return None
        acquiring = asyncio.ensure_future(self.gate.acquire())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({acquiring, stopping}, return_when=FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not acquiring.done():
                acquiring.cancel()
        try:
            return await acquiring
        except asyncio.CancelledError:
            if self._stopping.is_set() and acquiring.cancelled():
                return None
            raise

    def _still_ours(self, message: OutboxMessage) -> bool:
        """Whether the row's lease has time enough left to send it safely."""
        if message.claimed_until is None:
            return True
        margin = min(LEASE_MARGIN, self.limits.lease / 4)
        return message.claimed_until - self.clock() > margin

    def _chat_interval(self, chat_id: int) -> float:
        if chat_id < 0:
            return max(self.limits.per_chat_interval_s, self.limits.per_group_interval_s)
        return self.limits.per_chat_interval_s

    async def _send(self, message: OutboxMessage) -> Any:
        payload = repo.content(message)
        if "document" in payload:  # a bulletin: its bytes wait in the database
            return await send_document(self.bot, self.sessions, message.chat_id, payload)
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
        lease = message.claimed_until  # each update applies only while the row is still ours
        ours = True
        async with self.sessions() as session:
            if kind == "sent":
                ours = await repo.mark_sent(
                    session,
                    message_id=message.id,
                    telegram_message_id=detail,
                    now=now,
                    lease=lease,
                )
                ref = repo.content(message).get("ref")
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
                ours = await repo.mark_retry(
                    session,
                    message_id=message.id,
                    not_before=now + timedelta(seconds=detail),
                    error=f"429 retry after {detail}s",
                    count_attempt=False,
                    lease=lease,
                )
                stats.retried += 1
            elif kind == "blocked":
                ours = await repo.mark_failed(
                    session, message_id=message.id, error=f"blocked: {detail}", lease=lease
                )
                if message.contact_id is not None:
                    await mark_unreachable(session, contact_id=message.contact_id, now=now)
                stats.blocked += 1
            elif kind == "migrated":
                ours = await repo.mark_retry(
                    session,
                    message_id=message.id,
                    not_before=now,
                    error="chat migrated",
                    count_attempt=False,
                    chat_id=int(detail),
                    lease=lease,
                )
                stats.retried += 1
            elif kind == "failed" or message.attempts >= self.limits.max_attempts:
                ours = await repo.mark_failed(
                    session, message_id=message.id, error=str(detail), lease=lease
                )
                stats.failed += 1
            else:
                delay = min(
                    self.limits.backoff_cap_s,
                    self.limits.backoff_base_s * 2 ** (message.attempts - 1),
                )
                # Jitter spreads retries out; never sooner than the nominal delay.
                delay *= random.uniform(1.0, 1.25)  # noqa: S311 - jitter, not security
                ours = await repo.mark_retry(
                    session,
                    message_id=message.id,
                    not_before=now + timedelta(seconds=delay),
                    error=str(detail),
                    lease=lease,
                )
                stats.retried += 1
            await session.commit()
        if not ours:
            # Cannot happen while the lease margin holds; if the process stalled past it, the
            # row's new holder decides its fate (a 'sent' here may be a duplicate there).
            log.warning(
                "outbox message %s: lease lapsed before its outcome (%s)", message.id, kind
            )
        if kind == "blocked":
            log.info("contact %s blocked the bot; marked unreachable", message.contact_id)
            if self.on_blocked is not None:
                await self.on_blocked(message)

"""Each Telegram update handled once, and one chat's updates in order, across webhook workers.

Policy (PRODUCT §8, several workers behind a load balancer):
- Arrival: a worker notes every update it receives in `processed_updates` (keyed by
  `update_id`, committed at once) before anything else. A redelivery of an update already
  handled is answered 200 and not handled again.
- PostgreSQL (several workers): the update is handled in one transaction of its own, on a
  connection from a small pool of the gate's. It first takes the chat's advisory lock
  (`pg_advisory_xact_lock(chat id)`), so two workers never handle one chat at once and a
  redelivery waits for the first delivery to finish; holding it, it checks the update is not
  handled yet and that no earlier update of the chat (a smaller update id) arrived and waits
  — if one does, it lets the lock go and waits its turn, so one chat's updates run in
  update-id order even when two workers receive them at once. The handlers then run with
  sessions inside that transaction (each in a savepoint, bot/context.py UPDATE_SESSIONS), the
  update is marked handled, and the transaction commits: the update's writes and its mark
  are durable together, or not at all. An earlier update that has waited `ORDER_WAIT`
  without being handled is not waited for any longer (its worker died; Telegram's
  redelivery will bring it again). Different chats run side by side, at most `concurrency`
  updates at once per worker.
- SQLite (one worker): the chat's lock is the in-process one of bot/sequencing.py; the mark is
  written after the handlers' own commits.
- Guarantee: on PostgreSQL each update's writes happen once. A worker that dies before the
  commit has written nothing, and the redelivered update runs again from the start: only a
  reply it had sent already can reach the user twice (as a message the outbox sent just
  before a crash can). Handlers must not hand uncommitted rows to another process (the
  outbox is woken again after the commit).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application

from bot.calendar.clock import Clock
from bot.context import UPDATE_SESSIONS
from bot.sequencing import ChatSequencedProcessor, chat_key
from data.db import sessions_within
from data.repo.updates import (
    earlier_waiting,
    lock_chat,
    mark_handled,
    record_arrival,
    was_handled,
)

log = logging.getLogger("duban.updates")

ORDER_WAIT = timedelta(seconds=30)
# How often a later update looks again whether the earlier one of its chat is handled.
ORDER_POLL_S = (0.02, 0.5)
DEFAULT_CONCURRENCY = 8

Process = Callable[[Update], Awaitable[None]]


class UpdateGate:
    """Where every webhook update goes through: noted, ordered in its chat, handled once."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        engine: AsyncEngine | None = None,
        after_commit: Callable[[], None] = lambda: None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        """`engine` (PostgreSQL): the gate's own pool, for several workers; without it the
        updates are ordered in this process only. `after_commit` runs after each update's
        transaction commits (to wake the outbox)."""
        self._process: Process = application.process_update
        self._sessions = sessions
        self._clock = clock
        self._engine = engine
        self._after_commit = after_commit
        self._slots = asyncio.Semaphore(concurrency)
        self._local = ChatSequencedProcessor()
        self._in_hand = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_hand(self) -> int:
        """Updates received and not answered yet."""
        return self._in_hand

    async def wait_idle(self) -> None:
        """Until no update is in hand."""
        await self._idle.wait()

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    async def handle(self, update: Update) -> bool:
        """Handle the update unless it was handled before; whether it ran now.

        The count of updates in hand goes up before the first await, so a caller that checked
        it is not stopping cannot slip past `wait_idle`.
        """
        self._in_hand += 1
        self._idle.clear()
        try:
            chat = chat_key(update)
            async with self._sessions() as session:
                done = await record_arrival(
                    session, update_id=update.update_id, chat_id=chat, now=self._now()
                )
                await session.commit()
            if done:
                log.info("update %s was handled already", update.update_id)
                return False
            if self._engine is not None:
                return await self._across_workers(self._engine, update, chat)
            ran: list[bool] = []
            await self._local.process_update(update, self._in_process(update, ran))
            return bool(ran)
        finally:
            self._in_hand -= 1
            if not self._in_hand:
                self._idle.set()

    async def _in_process(self, update: Update, ran: list[bool]) -> None:
        async with self._sessions() as session:
            if await was_handled(session, update_id=update.update_id):
                return
        await self._process(update)
        async with self._sessions() as session:
            await mark_handled(session, update_id=update.update_id, now=self._now())
            await session.commit()
        ran.append(True)

    async def _across_workers(self, engine: AsyncEngine, update: Update, chat: int | None) -> bool:
        pause = ORDER_POLL_S[0]
        while True:
            async with self._slots, engine.connect() as connection:
                transaction = await connection.begin()
                guard = AsyncSession(bind=connection, expire_on_commit=False)
                if chat is None or await self._chat_is_ours(guard, update, chat):
                    if await was_handled(guard, update_id=update.update_id):
                        return False
                    token = UPDATE_SESSIONS.set(sessions_within(connection))
                    try:
                        await self._process(update)
                    finally:
                        UPDATE_SESSIONS.reset(token)
                    await mark_handled(guard, update_id=update.update_id, now=self._now())
                    await transaction.commit()
                    self._after_commit()
                    return True
                await transaction.rollback()  # lets the chat go to the earlier update
            await asyncio.sleep(pause)
            pause = min(pause * 2, ORDER_POLL_S[1])

    async def _chat_is_ours(self, guard: AsyncSession, update: Update, chat: int) -> bool:
        """Take the chat's lock; False when an earlier update of the chat waits."""
        await lock_chat(guard, chat_id=chat)
        since = self._now() - ORDER_WAIT
        return not await earlier_waiting(
            guard, update_id=update.update_id, chat_id=chat, since=since
        )

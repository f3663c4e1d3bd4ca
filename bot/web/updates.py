"""Each Telegram update handled once, and one chat's updates in order, across webhook workers.

Policy (PRODUCT §8, several workers behind a load balancer):
- Arrival: a worker notes every update it receives in `processed_updates` (keyed by
  `update_id`, committed at once) before anything else. A redelivery of an update already
  handled is answered 200 and not handled again.
- PostgreSQL (several workers): the update is handled inside a transaction of its own that
  first takes the chat's advisory lock (`pg_advisory_xact_lock(chat id)`), so two workers never
  handle one chat at once and a redelivery waits for the first delivery to finish; holding the
  lock, it checks the update is not handled yet and that no earlier update of the chat (a
  smaller update id) arrived and waits — if one does, it lets the lock go and waits its turn,
  so one chat's updates run in update-id order even when two workers receive them at once.
  Then the handlers run (with their own sessions, as in long polling), and the update is
  marked handled in the same transaction, which then commits and lets the chat go. An earlier
  update that has waited `ORDER_WAIT` without being handled is not waited for any longer (its
  worker died; Telegram's redelivery will bring it again). Updates of different chats run side
  by side, at most `concurrency` at once per worker (each holds a connection).
- SQLite (one worker): the chat's lock is the in-process one of bot/sequencing.py.
- Guarantee: once, except when a worker dies after the handlers committed and before the mark
  did (a few milliseconds): Telegram then redelivers the update and it is handled again, as a
  message the outbox sent just before a crash may be sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application

from bot.calendar.clock import Clock
from bot.sequencing import ChatSequencedProcessor, chat_key
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
        several_workers: bool,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._process: Process = application.process_update
        self._sessions = sessions
        self._clock = clock
        self._several = several_workers
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
            if self._several:
                return await self._across_workers(update, chat)
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

    async def _across_workers(self, update: Update, chat: int | None) -> bool:
        pause = ORDER_POLL_S[0]
        while True:
            async with self._slots, self._sessions() as session:
                if chat is None or await self._chat_is_ours(session, update, chat):
                    if await was_handled(session, update_id=update.update_id):
                        return False
                    await self._process(update)
                    await mark_handled(session, update_id=update.update_id, now=self._now())
                    await session.commit()
                    return True
            await asyncio.sleep(pause)
            pause = min(pause * 2, ORDER_POLL_S[1])

    async def _chat_is_ours(self, session: AsyncSession, update: Update, chat: int) -> bool:
        """Take the chat's lock; let it go again (False) when an earlier update waits."""
        await lock_chat(session, chat_id=chat)
        since = self._now() - ORDER_WAIT
        if await earlier_waiting(session, update_id=update.update_id, chat_id=chat, since=since):
            await session.rollback()
            return False
        return True

"""Updates of different chats run side by side; one chat's updates run one at a time, in order.

PTB handles one update at a time by default, so a coordinator's /export held up every liaison's
/mytasks. With `concurrent_updates` it runs them all at once, which would let a liaison's two
quick taps race over one report draft. This processor gives each chat a lock: a chat's updates
queue behind each other in arrival order (asyncio locks wake waiters first come, first served,
and PTB starts an update's task in the order it fetched them), while other chats go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates waiting for their chat hold a place too (PTB counts before handing over): room for
# many chats, and for a burst from one chat not to crowd the others out.
DEFAULT_CONCURRENCY = 256


def chat_key(update: object) -> int | None:
    """Whose updates must not overlap: the chat's (a private chat is its user's)."""
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else None


class ChatSequencedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within a chat."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_CONCURRENCY) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update once every earlier update of its chat has finished."""
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                # Nobody else waits for this chat: forget its lock, so the map stays small.
                del self._holders[key], self._locks[key]

    @property
    def chats_in_hand(self) -> int:
        """How many chats have an update running or waiting (for tests and health checks)."""
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down: the application waits for the updates in hand itself."""

"""Telegram's global limit (about 30 messages a second), shared by replies and the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import BadRequest, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger("duban.gate")

# Telegram's words for a callback query answered already, or too old to answer.
QUERY_GONE = "query is too old"


@dataclass(frozen=True)
class Limits:
    """Sending limits and retry policy."""

    rate_per_s: float = 30.0
    reply_reserve_per_s: int = 1
    per_chat_interval_s: float = 1.0
    per_group_interval_s: float = 3.0  # 20 a minute in a group
    concurrency: int = 8
    batch: int = 100
    lease: timedelta = timedelta(seconds=120)
    max_attempts: int = 8
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 300.0


@dataclass
class _Place:
    """One message's place in the sliding window: held from the request until `end` + 1 s."""

    outbox: bool
    end: float = math.inf  # the answer's time; infinite while the request is in flight


class RateGate:
    """Keeps every message the bot sends under Telegram's global limit (about 30 a second).

    Telegram counts a message when it arrives, at some moment between our request and its
    answer. So a message holds a place in the sliding second from its request until one second
    after its answer (all the while it is in flight): however the network's delay varies, no
    second then holds more than `rate_per_s` arrivals. The price is one round trip per place.

    The outbox waits for a place and uses at most `rate_per_s - reply_reserve_per_s` of them,
    evenly spaced. Interactive replies come first: a reply takes a free place at once, and
    only when every place of the second is taken does it wait, for the first one to free up
    (with the outbox spaced out, a matter of milliseconds) rather than meet Telegram's 429; the
    outbox takes no place while a reply waits. Telegram's 429 pauses the outbox.
    """

    def __init__(
        self,
        rate_per_s: float,
        *,
        reply_reserve_per_s: int = 1,
        window_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.places = max(1, int(rate_per_s * window_s))
        self.outbox_places = max(1, self.places - max(0, reply_reserve_per_s))
        self.window_s = window_s
        self.interval = window_s / self.outbox_places
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = monotonic()
        self._paused_until = 0.0
        self._taken: list[_Place] = []
        self._replies_waiting = 0
        self._released = asyncio.Event()
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Stop the outbox for a while (Telegram's flood control applies to the whole bot)."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def in_window(self) -> tuple[int, int]:
        """Places held now: (all, the outbox's)."""
        self._forget_old(self._monotonic())
        return len(self._taken), sum(p.outbox for p in self._taken)

    @contextlib.asynccontextmanager
    async def reply(self) -> AsyncIterator[None]:
        """Hold a place for an interactive reply while it is sent."""
        self._replies_waiting += 1
        try:
            while True:
                now = self._monotonic()
                self._forget_old(now)
                if len(self._taken) < self.places:
                    break
                await self._until_one_frees(self._taken, now)
        finally:
            self._replies_waiting -= 1
        place = self._take(outbox=False)
        try:
            yield
        finally:
            self.release(place)

    @contextlib.asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        """Wait for a place for an outbox message and hold it while the message is sent."""
        place = await self.acquire()
        try:
            yield
        finally:
            self.release(place)

    async def acquire(self) -> _Place:
        """Wait for a place for an outbox message; release() it when Telegram has answered.
        Cancelled while waiting, it takes no place."""
        async with self._lock:
            while True:
                now = self._monotonic()
                self._forget_old(now)
                outbox = [p for p in self._taken if p.outbox]
                if len(outbox) >= self.outbox_places:
                    await self._until_one_frees(outbox, now)
                elif len(self._taken) + self._replies_waiting >= self.places:
                    await self._until_one_frees(self._taken, now)
                elif (ready := max(self._next, self._paused_until)) > now:
                    # Re-check after sleeping: a 429 may have paused everyone meanwhile.
                    await self._sleep(ready - now)
                else:
                    break
            self._next = now + self.interval
            return self._take(outbox=True)

    def release(self, place: _Place) -> None:
        """The message's answer came (or it was not sent): its place frees a second later."""
        if place.end == math.inf:
            place.end = self._monotonic()
            self._released.set()

    def _take(self, *, outbox: bool) -> _Place:
        place = _Place(outbox=outbox)
        self._taken.append(place)
        return place

    async def _until_one_frees(self, taken: Sequence[_Place], now: float) -> None:
        # The first place to free up is the earliest answered one; when every one is still in
        # flight, wait for an answer.
        answered = [p.end for p in taken if p.end != math.inf]
        if answered:
            # A microsecond more, so that float rounding never leaves the place just held.
            await self._sleep(max(0.0, min(answered) + self.window_s - now) + 1e-6)
        else:
            self._released.clear()
            await self._released.wait()

    def _forget_old(self, now: float) -> None:
        self._taken = [p for p in self._taken if p.end + self.window_s > now]


class SharedLimiter(BaseRateLimiter[None]):
    """PTB rate limiter for interactive replies: they come before the outbox in the shared gate;
    a 429 is honoured once (wait, then retry) so a user's answer is not dropped.

    Every request passes here, so it is also where one of Telegram's refusals is read as done:
    answering a button press Telegram considers answered or expired. A webhook update is
    redelivered when the worker handling it died, possibly after it answered the press; the
    press must still be acted on (bot/web/updates.py), so that refusal does not stop the
    handler.
    """

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
        """Send now, holding a place in the gate; after a 429, pause the outbox too, wait, and
        try once more."""
        async with self.gate.reply():
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_s(exc)
                self.gate.pause(seconds)
            except BadRequest as exc:
                if endpoint == "answerCallbackQuery" and QUERY_GONE in exc.message.lower():
                    log.info("a button press was answered already or expired: going on")
                    return True
                raise
        await asyncio.sleep(seconds)
        async with self.gate.reply():
            return await callback(*args, **kwargs)


def retry_after_s(exc: RetryAfter) -> float:
    """Telegram's retry_after in seconds (PTB gives an int or, from 22.2, a timedelta)."""
    with warnings.catch_warnings():
        # PTB 22.2+ warns that retry_after will become a timedelta: we accept both.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return float(value.total_seconds()) if isinstance(value, timedelta) else float(value)

"""CPU-heavy work (workbooks, charts) in worker processes, off the loop that answers users.

A thread would not do: it holds the interpreter lock, and a liaison's /mytasks waited seconds
behind a coordinator's export. Workers are started with `spawn`, never forked from the bot, so
they share no sockets, database connections or event loop with it. Two people asking for the
same thing at once (the same export) share one job instead of building it twice.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import multiprocessing
from collections.abc import Callable, Coroutine, Hashable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger("duban.offload")

T = TypeVar("T")

# A worker is replaced after this many jobs, so memory a big job left behind is given back.
JOBS_PER_WORKER = 20


def run_job(main: Coroutine[Any, Any, T]) -> T:
    """A worker's job on its own event loop: `asyncio.run` without its Ctrl-C handler. On
    Python 3.11, putting that handler back formats the main task's repr (with its result, a
    whole ledger) into an error message nobody reads: a second of a city's /status spent on it.

    The cyclic garbage collector waits until the job is done. A job makes hundreds of thousands
    of short-lived objects (rows, cells, messages) that reference counting frees as it goes,
    and the collector's passes over them took a third of a due day's tick; what the job left
    in cycles is collected once, after it. (The CLI runs jobs in a thread of its own process:
    there the pause covers the process for as long as the one job runs.)"""
    collecting = gc.isenabled()
    try:
        gc.disable()
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(main)
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
    finally:
        if collecting:
            gc.enable()
            gc.collect()


def _prepare(warm: Callable[[], None]) -> None:
    """A new worker's start: `warm` (imports, fonts, a first chart), then what it loaded is set
    aside from the garbage collector's passes (`gc.freeze`): it lives as long as the worker,
    and the collection after each job then looks only at what the jobs made."""
    warm()
    gc.freeze()


def _started() -> None:
    """Nothing: submitted to start a worker."""


class Offload:
    """A small pool of worker processes, started on first use."""

    def __init__(self, *, workers: int = 2) -> None:
        self.workers = workers
        self._warm: Callable[[], None] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=JOBS_PER_WORKER,
                initializer=None
                if self._warm is None
                else functools.partial(_prepare, self._warm),
            )
        return self._pool

    async def run(self, key: Hashable, job: Callable[..., T], *args: Any) -> T:
        """Run `job(*args)` in a worker; a caller asking for the same `key` while it runs gets
        the same result."""
        running = self._running.get(key)
        if running is None or running.done():  # a finished job is not shared, only one in hand
            loop = asyncio.get_running_loop()
            running = loop.run_in_executor(self._executor(), functools.partial(job, *args))
            self._running[key] = running
            running.add_done_callback(functools.partial(self._forget, key))
        # A caller that gives up (its update cancelled) must not cancel the others' job.
        result: T = await asyncio.shield(running)
        return result

    def _forget(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._running.get(key) is done:
            del self._running[key]

    def warm(self, job: Callable[[], None]) -> None:
        """Start every worker now, each running `job` first (imports, fonts, a first chart), and
        so does each worker that replaces one later: nobody's request waits for them. Called
        before the first job (the pool is made with it)."""
        self._warm = job
        pool = self._executor()
        for _ in range(self.workers):
            pool.submit(_started)

    def shutdown(self) -> None:
        """Stop the workers (jobs in hand are abandoned)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

"""Benchmark: the coordinator's heavy work at city scale, and a liaison's /mytasks meanwhile.

Run: .venv/bin/python benchmarks/city.py [--database-url URL] [--seed N]
Fills a fresh database with benchmarks/handlers.py's synthetic city (10,000 tasks, 2,000
units, 20,000 liaisons, 200,000 reports), settles it as it would stand in service (`settle`),
runs the tick of the working day before (2026-06-24, as in service: what fell due before the
due day, such as the last period's red streaks, is handled by then; its wall time is printed
as tick_eve_s), and runs, one after the other, at 2026-06-25 09:30:
the due day's nudge tick (every lead unit still owing is nudged; the JobQueue's job, which
runs the tick in a worker process as duban run does), the quiet tick a minute later,
/status, /late and /export. While each runs, a liaison sends /mytasks every 100 ms, first
straight to `process_update`, then through the application's update queue as `duban run`
handles updates (the coordinator's command goes through the queue too). Prints one JSON line:
wall times, the bot process's peak RSS growth and RSS after the export, the worker's peak,
and /mytasks p50/p95/max for each operation and path. Talks to nothing but the database.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, func, select, text
from telegram import Update
from telegram.ext import TypeHandler

from benchmarks.handlers import BIG_UNITS, DISTRICTS, build_dataset, figures, fill
from bot.context import DubanContext
from bot.ledger.jobs import warm_up
from data.db import is_sqlite, make_engine, make_sessionmaker
from data.models import NudgeClaim, OutboxBody, OutboxMessage
from scheduler import jobs
from tests.factories.bot import COORDINATOR_ID, MovableClock, running_bot
from tests.factories.database import fresh_database
from tests.harness import BotHarness

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE_DAY = datetime(2026, 6, 25, 9, 30, tzinfo=SHANGHAI)
# The working day before: its tick, as in service, has already handled what fell due before
# the due day (the May period's red streaks, steps that passed while the city was filled).
EVE = datetime(2026, 6, 24, 9, 30, tzinfo=SHANGHAI)
PING_EVERY_S = 0.1
TARGETS = {
    "tick_due_s": 2.0,
    "tick_quiet_s": 0.3,
    "status_s": 2.0,
    "export_s": 10.0,
    "export_rss_growth_mb": 300.0,
    "rss_after_export_mb": 300.0,
    "mytasks_p95_ms": 300.0,
}


def rss_mb() -> float:
    """The bot process's resident memory now."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """The bot process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_peak_mb(bot: BotHarness) -> float:
    """The largest peak resident memory of the offload workers alive now."""
    pool = bot.application.bot_data["services"].offload._pool
    peaks = [0.0]
    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return max(peaks)


class Driver:
    """Sends updates as Telegram would, straight or through the queue, and times them."""

    def __init__(self, bot: BotHarness, liaisons: list[tuple[int, str]], seed: int) -> None:
        self.bot = bot
        self.rng = random.Random(seed)
        self.liaisons = liaisons
        self.done: dict[int, asyncio.Event] = {}
        # Runs after every other handler of an update: the update is fully handled then.
        bot.application.add_handler(TypeHandler(Update, self._stamp), group=99)

    async def _stamp(self, update: Update, _context: Any) -> None:
        event = self.done.get(update.update_id)
        if event is not None:
            event.set()

    async def send(self, update: Update, *, queued: bool) -> None:
        """Handle one update and wait until it is done."""
        if not queued:
            await self.bot.application.process_update(update)
            return
        event = self.done[update.update_id] = asyncio.Event()
        await self.bot.application.update_queue.put(update)
        await event.wait()
        del self.done[update.update_id]

    async def ping(self, stop: asyncio.Event, *, queued: bool) -> list[float]:
        """/mytasks from a random liaison every 100 ms until `stop`; their latencies."""
        samples = []
        while not stop.is_set():
            telegram_id, name = self.rng.choice(self.liaisons)
            update = self.bot.updates.command(self.bot.user(telegram_id, name), "/mytasks")
            start = time.perf_counter()
            await self.send(update, queued=queued)
            elapsed = time.perf_counter() - start
            samples.append(elapsed)
            await asyncio.sleep(max(0.0, PING_EVERY_S - elapsed))
        return samples

    def command(self, text: str) -> Update:
        """A coordinator's command."""
        return self.bot.updates.command(self.bot.user(COORDINATOR_ID, "督查室"), text)


async def measured(
    driver: Driver, work: Callable[[], Awaitable[Any]], *, queued: bool
) -> dict[str, Any]:
    """Run `work` while a liaison pings; its wall time, memory, and the pings' latencies."""
    gc.collect()
    before_peak, before = peak_rss_mb(), rss_mb()
    stop = asyncio.Event()
    pinger = asyncio.create_task(driver.ping(stop, queued=queued))
    await asyncio.sleep(PING_EVERY_S)  # the pinger is under way when the work starts
    start = time.perf_counter()
    await work()
    wall = time.perf_counter() - start
    stop.set()
    samples = await pinger
    return {
        "wall_s": round(wall, 3),
        "rss_before_mb": round(before, 1),
        "rss_peak_growth_mb": round(max(0.0, peak_rss_mb() - max(before_peak, before)), 1),
        "pings": len(samples),
        **figures("mytasks", samples),
    }


async def settle(url: str) -> None:
    """Leave the freshly filled database as it stands in service: SQLite's write-ahead log
    checkpointed (the fill's 200,000 reports would otherwise be copied into the database file
    by the first write, the due day's tick), PostgreSQL's tables vacuumed (autovacuum would do
    it within minutes of a bulk load; until then the first reader sets every row's hint bits)."""
    engine = make_engine(url)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if is_sqlite(url):
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            await conn.execute(text("VACUUM (ANALYZE)"))
    await engine.dispose()


async def _reset_nudges(url: str) -> int:
    """Forget the due day's claims and messages (not the eve's) so the same tick can be timed
    again; returns how many messages the due day queued."""
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        today = OutboxMessage.created_at >= DUE_DAY
        queued = int(
            await session.scalar(select(func.count()).select_from(OutboxMessage).where(today)) or 0
        )
        await session.execute(delete(OutboxMessage).where(today))
        await session.execute(delete(OutboxBody).where(OutboxBody.created_at >= DUE_DAY))
        await session.execute(delete(NudgeClaim).where(NudgeClaim.created_at >= DUE_DAY))
        await session.commit()
    await engine.dispose()
    return queued


async def drive(url: str, liaisons: list[tuple[int, str]], seed: int) -> dict[str, Any]:
    """Every operation on both paths; returns the figures by operation and path."""
    out: dict[str, Any] = {}
    clock = MovableClock(EVE)
    async with running_bot(url, clock) as bot:
        driver = Driver(bot, liaisons, seed)
        services = bot.application.bot_data["services"]
        services.offload.warm(warm_up)  # as duban run does when it starts
        for _ in range(20):  # warm-up: pools, caches, prepared statements
            await driver.send(
                bot.updates.command(bot.user(*liaisons[0]), "/mytasks"), queued=False
            )
        # The workers are up and warm, as they are long before a due day's 09:30 in service:
        # a job holding each worker for a moment runs only once every one has warmed up.
        offload = services.offload
        await asyncio.gather(
            *(offload.run(("ready", n), time.sleep, 0.5) for n in range(offload.workers))
        )

        async def due_tick() -> None:
            # As duban run ticks: the JobQueue's job, which runs the tick in a worker process.
            await jobs.nudge_tick(DubanContext(bot.application))

        async def quiet_tick() -> None:
            clock.advance(minutes=1)
            await jobs.nudge_tick(DubanContext(bot.application))

        def command(text: str, *, queued: bool) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                await driver.send(driver.command(text), queued=queued)

            return run

        await bot.application.start()
        # The benchmark ticks by itself: the JobQueue's own ticks would interleave with it.
        job_queue = bot.application.job_queue
        assert job_queue is not None
        for job in job_queue.jobs():
            job.schedule_removal()
        start = time.perf_counter()
        await jobs.nudge_tick(DubanContext(bot.application))
        out["tick_eve_s"] = round(time.perf_counter() - start, 3)
        clock.now = DUE_DAY
        try:
            for queued in (False, True):
                path = "queue" if queued else "direct"
                out[f"tick_due_{path}"] = await measured(driver, due_tick, queued=queued)
                out[f"tick_quiet_{path}"] = await measured(driver, quiet_tick, queued=queued)
                out["nudges_queued"] = await _reset_nudges(url)
                for name in ("status", "late", "export"):
                    out[f"{name}_{path}"] = await measured(
                        driver, command(f"/{name}", queued=queued), queued=queued
                    )
                    if name == "export":
                        gc.collect()
                        out[f"rss_after_export_{path}_mb"] = round(rss_mb(), 1)
                        out[f"worker_peak_{path}_mb"] = round(worker_peak_mb(bot), 1)
        finally:
            await bot.application.stop()
        documents = bot.api.calls("sendDocument")
        out["export_bytes"] = len(documents[-1].params["document"]["bytes"]) if documents else 0
        if bot.errors:
            raise AssertionError(f"handler errors during the benchmark: {bot.errors[:3]!r}")
    return out


def verdict(figures_: dict[str, Any]) -> dict[str, bool]:
    """Each target, met or not (the worse of the two paths counts)."""

    def worst(key: str) -> float:
        return max(figures_[f"{key}_{p}"]["wall_s"] for p in ("direct", "queue"))

    pings = [v["mytasks_p95_ms"] for k, v in figures_.items() if isinstance(v, dict)]
    growth = max(figures_[f"export_{p}"]["rss_peak_growth_mb"] for p in ("direct", "queue"))
    after = max(figures_[f"rss_after_export_{p}_mb"] for p in ("direct", "queue"))
    return {
        "tick_due": worst("tick_due") < TARGETS["tick_due_s"],
        "tick_quiet": worst("tick_quiet") < TARGETS["tick_quiet_s"],
        "status": worst("status") < TARGETS["status_s"],
        "export": worst("export") < TARGETS["export_s"],
        "export_rss_growth": growth < TARGETS["export_rss_growth_mb"],
        "rss_after_export": after < TARGETS["rss_after_export_mb"],
        "mytasks_p95": max(pings) < TARGETS["mytasks_p95_ms"],
    }


def main() -> None:
    """Fill, run, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.units <= len(DISTRICTS) + BIG_UNITS:
        parser.error("too few units for the recipe")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/city.db"
        fresh_database(url)
        data = build_dataset(
            random.Random(args.seed),
            tasks=args.tasks,
            units=args.units,
            contacts=args.contacts,
            reports=args.reports,
        )
        counts = asyncio.run(fill(url, data, analyze=True))
        asyncio.run(settle(url))
        liaisons = list(data.telegram_ids)
        data.rows.clear()
        gc.collect()
        results = asyncio.run(drive(url, liaisons, args.seed))
    print(
        json.dumps(
            {
                "benchmark": "city",
                "database": "sqlite" if is_sqlite(url) else "postgresql",
                "tasks": counts["tasks"],
                "units": counts["units"],
                "contacts": counts["contacts"],
                "reports": counts["reports"],
                **results,
                "targets": TARGETS,
                "meets": verdict(results),
                "load_1m": round(os.getloadavg()[0], 2),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

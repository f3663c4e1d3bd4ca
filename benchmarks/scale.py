"""Benchmark: webhook workers behind nginx on PostgreSQL, driven the way Telegram drives them.

Run: .venv/bin/python benchmarks/scale.py --database-url postgresql+asyncpg://…/DB
         [--liaisons 500] [--workers 1,3] [--duplicate-share 0.05] [--connections 40]
         [--seed S]
(the database named is emptied first).

For each worker count: a fresh database holding the Nanjing seed (in the current year) and one
invite per liaison; the local Bot API of tests/harness/http_bot_api.py (real HTTP on 127.0.0.1,
the same as benchmarks/broadcast.py's); N `duban run --webhook` processes; nginx in front with
deploy/nginx.conf unchanged (tests/harness/balancer.py). The driver acts as Telegram: each
liaison's updates go one after the other (the next only once the last was answered 2xx), at
most `--connections` requests in flight (setWebhook's max_connections), a failed or timed-out
delivery is sent again, and a share of updates is delivered twice at once. Each liaison:
/start CODE, /mytasks, ▶ (when the list has a second page), /report N, 正常推进, 50%, the text,
✅ 提交. With 3 workers, one is SIGKILLed once half of the updates were answered.

Prints one JSON line per worker count: updates sent and deliveries made; handled (noted as
handled in processed_updates), lost (sent, never handled), handled_twice (updates that drew
more than one reply), out_of_order (chats whose updates were handled out of update-id order);
replies (updates by the number of messages sent or edited for them, counted in the chat from
the update's first delivery to its answer); reports stored vs expected; throughput (updates
answered a second) and p50/p95 latency from the first delivery leaving (once one of the
`--connections` is free: 500 liaisons at once queue for them, as at Telegram) to the 2xx answer,
retries included. `--send-rate` sets each worker's DUBAN_SEND_RATE_PER_S (default: Telegram's
30 a second shared out among the workers; the local Bot API itself has no limit, so a high
value measures what the workers can do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import and_, exists, func, select

from bot.linking import create_invite
from bot.web.webhook import SECRET_HEADER
from data.db import is_sqlite, make_engine, make_sessionmaker
from data.models import LEAD, ProcessedUpdate, Report, Task, TaskTarget, TaskUnit, Unit
from tests.factories.database import fresh_database
from tests.factories.plans import load_seed
from tests.harness.balancer import WorkerProcess, balancer, free_port
from tests.harness.http_bot_api import JSONDict, LocalBotAPIServer

TOKEN: Final = "123456:SCALEBENCH"  # noqa: S105 - the local fake Bot API's
SECRET: Final = "scale-benchmark-secret"  # noqa: S105 - a test value
PUBLIC_URL: Final = "https://duban.example.org/telegram"
FIRST_USER: Final = 800_000
REPLY_METHODS: Final = frozenset({"sendMessage", "editMessageText", "sendPhoto"})
DELIVERY_TIMEOUT_S: Final = 30.0


@dataclass
class Liaison:
    """One person the driver plays: their invite, the task they report on."""

    index: int
    code: str
    task_number: int

    @property
    def user(self) -> JSONDict:
        return LocalBotAPIServer.user(FIRST_USER + self.index, f"联络员{self.index}", "zh-hans")


@dataclass
class Run:
    """What the driver saw."""

    sent: list[int] = field(default_factory=list)
    chat_of: dict[int, int] = field(default_factory=dict)
    deliveries: int = 0
    failed_deliveries: int = 0
    latencies: list[float] = field(default_factory=list)
    replies: dict[int, int] = field(default_factory=dict)
    answered: int = 0
    stuck: list[str] = field(default_factory=list)


async def prepare(url: str, liaisons: int) -> list[Liaison]:
    """The seed plan in the current year and one invite per liaison, spread over the units
    that lead a task without targets (so a report is four steps)."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    await load_seed(sessions, year=now.year)
    async with sessions() as session:
        no_targets = ~exists().where(TaskTarget.task_id == Task.id)
        rows = (
            await session.execute(
                select(Unit, func.min(Task.number))
                .join(TaskUnit, and_(TaskUnit.unit_id == Unit.id, TaskUnit.role == LEAD))
                .join(Task, Task.id == TaskUnit.task_id)
                .where(Unit.kind == "ordinary", no_targets)
                .group_by(Unit.id)
                .order_by(Unit.id)
            )
        ).all()
        people = []
        for i in range(liaisons):
            unit, number = rows[i % len(rows)]
            code = await create_invite(session, unit=unit, now=now, ttl_days=7)
            people.append(Liaison(index=i, code=code, task_number=number))
        await session.commit()
    await engine.dispose()
    return people


class Telegram:
    """The driver: delivers each liaison's updates as Telegram would."""

    def __init__(self, server: LocalBotAPIServer, url: str, args: argparse.Namespace) -> None:
        self.server = server
        self.url = f"{url}/telegram"
        self.args = args
        self.random = random.Random(args.seed)
        self.connections = asyncio.Semaphore(args.connections)
        self.next_update_id = 1
        self.run = Run()
        self.half_answered = asyncio.Event()
        self.expected_updates = 0

    async def _deliver_once(
        self, client: httpx.AsyncClient, update: JSONDict, first_sent: list[float]
    ) -> None:
        """POST until answered 2xx (retrying as Telegram does)."""
        pause = 0.1
        while True:
            async with self.connections:
                if not first_sent:
                    first_sent.append(time.perf_counter())
                self.run.deliveries += 1
                try:
                    answer = await client.post(
                        self.url, json=update, headers={SECRET_HEADER: SECRET}
                    )
                    if 200 <= answer.status_code < 300:
                        return
                except httpx.HTTPError:
                    pass
            self.run.failed_deliveries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def deliver(self, client: httpx.AsyncClient, chat: int, payload: JSONDict) -> None:
        """One update (sometimes twice at once); its replies counted in the chat."""
        update = {**payload, "update_id": self.next_update_id}
        self.next_update_id += 1
        update_id = update["update_id"]
        self.run.sent.append(update_id)
        self.run.chat_of[update_id] = chat
        mark = len(self.server.calls)
        first_sent: list[float] = []
        copies = 2 if self.random.random() < self.args.duplicate_share else 1
        await asyncio.gather(
            *(self._deliver_once(client, update, first_sent) for _ in range(copies))
        )
        # From the first delivery leaving (a connection free) to the 2xx answer, retries
        # included; not the time waiting for one of the `--connections` to be free.
        self.run.latencies.append(time.perf_counter() - first_sent[0])
        self.run.replies[update_id] = sum(
            1
            for call in self.server.calls[mark:]
            if call.method in REPLY_METHODS and call.ok and call.chat_id == chat
        )
        self.run.answered += 1
        if self.run.answered * 2 >= self.expected_updates:
            self.half_answered.set()

    def _last_with(self, chat: int, label: str) -> tuple[JSONDict, str] | None:
        """The latest message in the chat (as it stands now) with a button containing label."""
        for sent in reversed(self.server.sent_messages(chat)):
            message = self.server.current_message(chat, sent["message_id"])
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if label in button["text"] and "callback_data" in button:
                        return message, str(button["callback_data"])
        return None

    async def press(self, client: httpx.AsyncClient, person: Liaison, label: str) -> bool:
        chat = person.user["id"]
        found = self._last_with(chat, label)
        if found is None:
            return False
        message, data = found
        await self.deliver(client, chat, self.server.callback_update(person.user, message, data))
        return True

    async def liaison(self, client: httpx.AsyncClient, person: Liaison) -> None:
        """A liaison's first session: link, look at their tasks, report on one."""
        user, chat = person.user, person.user["id"]
        say = self.server.command_update
        await self.deliver(client, chat, say(user, "start", person.code))
        await self.deliver(client, chat, say(user, "mytasks"))
        await self.press(client, person, "▶")
        await self.deliver(client, chat, say(user, "report", str(person.task_number)))
        for label in ("正常推进", "50%"):
            if not await self.press(client, person, label):
                self.run.stuck.append(f"{person.index}: no {label} button")
                return
        text = f"按计划推进,已完成阶段目标 #{person.index}"
        await self.deliver(client, chat, self.server.text_update(user, text))
        if not await self.press(client, person, "提交"):
            self.run.stuck.append(f"{person.index}: no 提交 button")


async def measure(workers: int, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One run with `workers` workers; its figures."""
    people = await prepare(url, args.liaisons)
    folder = Path(tempfile.mkdtemp(prefix="duban-scale-"))
    async with LocalBotAPIServer(token=TOKEN) as server:
        env = {
            "PATH": "/usr/bin:/bin",
            "DUBAN_DATABASE_URL": url,
            "DUBAN_TELEGRAM_TOKEN": TOKEN,
            "DUBAN_TELEGRAM_API_URL": server.url,
            "DUBAN_WEBHOOK_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
            # Telegram's 30 messages a second are the bot's, not each worker's: shared out.
            "DUBAN_SEND_RATE_PER_S": str(args.send_rate or 30 / workers),
        }
        processes = [WorkerProcess(folder, f"worker{i}", free_port()) for i in range(workers)]
        try:
            await asyncio.gather(*(w.start(env, folder, PUBLIC_URL) for w in processes))
            async with balancer([w.port for w in processes]) as front:
                driver = Telegram(server, front, args)
                driver.expected_updates = 8 * len(people)
                limits = httpx.Limits(max_connections=args.connections)
                timeout = httpx.Timeout(DELIVERY_TIMEOUT_S)
                async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
                    started = time.perf_counter()
                    killer = asyncio.create_task(_kill_one(driver, processes, workers))
                    await asyncio.gather(*(driver.liaison(client, p) for p in people))
                    elapsed = time.perf_counter() - started
                    killer.cancel()
            for process in processes:
                await process.stop()
        finally:
            for process in processes:
                process.kill()
    return await _figures(url, workers, driver.run, elapsed, len(people))


async def _kill_one(driver: Telegram, processes: list[WorkerProcess], workers: int) -> None:
    if workers < 3:
        return
    await driver.half_answered.wait()
    processes[0].kill()


async def _figures(
    url: str, workers: int, run: Run, elapsed: float, liaisons: int
) -> dict[str, Any]:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        rows = (
            await session.execute(
                select(ProcessedUpdate.update_id, ProcessedUpdate.handled_at).where(
                    ProcessedUpdate.handled_at.is_not(None)
                )
            )
        ).all()
        reports = await session.scalar(
            select(func.count()).select_from(Report).where(Report.text.like("按计划推进%#%"))
        )
    await engine.dispose()
    handled = {update_id: at for update_id, at in rows}
    by_chat: dict[int, list[int]] = {}
    for update_id in sorted(handled, key=lambda u: handled[u]):
        by_chat.setdefault(run.chat_of.get(update_id, 0), []).append(update_id)
    out_of_order = sum(1 for ids in by_chat.values() if ids != sorted(ids))
    replies = Counter(run.replies.values())
    latencies = sorted(run.latencies)
    return {
        "workers": workers,
        "killed": 1 if workers >= 3 else 0,
        "liaisons": liaisons,
        "updates_sent": len(run.sent),
        "deliveries": run.deliveries,
        "deliveries_failed_and_retried": run.failed_deliveries,
        "handled": sum(1 for u in run.sent if u in handled),
        "lost": sum(1 for u in run.sent if u not in handled),
        "handled_twice": sum(1 for n in run.replies.values() if n > 1),
        "out_of_order_chats": out_of_order,
        "replies_per_update": {str(n): replies[n] for n in sorted(replies)},
        "reports_stored": reports,
        "reports_expected": liaisons,
        "stuck": run.stuck[:5],
        "elapsed_s": round(elapsed, 1),
        "throughput_per_s": round(len(run.sent) / elapsed, 1),
        "latency_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "latency_p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
    }


def main() -> None:
    """Parse the options, run each worker count, print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--database-url", required=True, help="postgresql+asyncpg://… (emptied)")
    parser.add_argument("--liaisons", type=int, default=500)
    parser.add_argument("--workers", default="1,3", help="worker counts, comma-separated")
    parser.add_argument("--duplicate-share", type=float, default=0.05)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--send-rate",
        type=float,
        help="DUBAN_SEND_RATE_PER_S of each worker (default: 30 shared out among the workers)",
    )
    args = parser.parse_args()
    if is_sqlite(args.database_url):
        parser.error("several workers need PostgreSQL: give --database-url postgresql+asyncpg://…")
    for workers in (int(n) for n in args.workers.split(",")):
        fresh_database(args.database_url)
        print(json.dumps(asyncio.run(measure(workers, args.database_url, args))), flush=True)


if __name__ == "__main__":
    main()

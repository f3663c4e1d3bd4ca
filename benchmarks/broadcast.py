"""Benchmark: a broadcast through the persistent outbox vs the usual ways, under Telegram's limits.

Run: .venv/bin/python benchmarks/broadcast.py [--mode outbox|ratelimiter|loop|all]
         [--recipients N] [--seed S] [--time-cap SECONDS] [--max-retries N]
         [--database-url postgresql+asyncpg://...]
         [--outbox-rate R] [--strict-flood-wait] [--late-drop-share F]

A local Bot API (tests/harness/http_bot_api.py, real HTTP on 127.0.0.1) enforces Telegram's flood
control on sendMessage: more than 30 messages in any 1-second sliding window, or a second message
to a chat within 1 s, is answered 429 with retry_after 1-3 s. It also injects faults on broadcast
chats: 502 Bad Gateway (2%), connections closed without an answer (1%, the message not
delivered), and blocked users (1% of the recipients, always 403). Only requests the limiter lets
through count towards the window.

Modes (each on a fresh database, SQLite unless --database-url says otherwise, holding the
Nanjing seed and N contacts):
- outbox: N rows queued with bot.delivery.outbox.queue_message; the real Application from
  bot.app.build_application polls the server and its outbox task delivers them.
- ratelimiter: a plain ExtBot with AIORateLimiter(max_retries=3) sends all N with asyncio.gather.
- loop: a plain Bot in a for loop; errors are logged and skipped (no retry).
In every mode the real Application runs beside the broadcast and a liaison of 市发改委 sends
/mytasks every second (three liaisons in turn, so their replies never hit the per-chat limit);
the interactive latency is from pushing the update to the reply reaching the server. Replies
count towards the global limit but get no injected faults.

Prints one JSON line per mode. lost: outbox rows neither sent nor failed at the end plus rows
'sent' the server never accepted; for the baselines, messages that raised and never arrived.
A probe without a successful reply within 10 s counts as 10 s (and in interactive_missed).
rate_per_s is recipients reached a second (delivered / elapsed_s). rate_ceiling_per_s is the
best any sender could do in the run: the limit less the interactive replies, all spent on
broadcast requests with the run's mix of faults and blocked users. admitted_per_s counts every
message the server let through (replies, retries and 403s included) and limit_used_share
divides it by the limit: how much of Telegram's allowance the bot used.
Options: --outbox-rate sets DUBAN_SEND_RATE_PER_S; --strict-flood-wait refuses every message
while a 429's retry_after runs (as Telegram's flood wait does); --late-drop-share drops
connections after the message was accepted (the sender cannot know it arrived).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import random
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from bot.app import DubanApp, build_application
from bot.delivery.queue import Outgoing, queue_messages
from bot.settings import Settings
from data.db import make_engine, make_sessionmaker
from data.models import Contact, ContactUnit, OutboxMessage, Unit
from data.repo import outbox as outbox_repo
from tests.factories.database import fresh_database
from tests.factories.plans import load_seed
from tests.harness.http_bot_api import (
    APIResponse,
    JSONDict,
    LocalBotAPIServer,
    RecordedCall,
    error,
)

log = logging.getLogger("duban.bench.broadcast")

TOKEN: Final = "123456:BENCHMARK"  # noqa: S105 - the local fake server's token
MODES: Final = ("outbox", "ratelimiter", "loop")
LIMIT_PER_S: Final = 30
WINDOW_S: Final = 1.0
PER_CHAT_S: Final = 1.0
UNIT: Final = "市发改委"
BATCH: Final = "bench"
FIRST_RECIPIENT: Final = 10_000_001
LIAISONS: Final = (800_001, 800_002, 800_003)
# Sunday 2026-03-01 23:00 in Shanghai: a rest day in quiet hours, so the application's own nudge
# tick queues nothing while we measure. The benchmark clock runs forward in real time from here.
CLOCK_START: Final = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
TEXT: Final = "<b>督办提醒</b>：请于本月25日前报送第{n}项任务的进展。"
DB_POLL_S: Final = 0.2
PROBE_TIMEOUT_S: Final = 10.0
TARGET_RATE_SHARE: Final = 0.95
TARGET_P95_MS: Final = 300.0


# --- Telegram's limits and the faults --------------------------------------------------------


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong, and how often."""

    server_error_share: float = 0.02
    drop_share: float = 0.01
    blocked_share: float = 0.01
    # Connections dropped after Telegram accepted the message (the sender cannot tell).
    late_drop_share: float = 0.0
    retry_after: tuple[int, int] = (1, 3)
    # Telegram's flood wait: after a 429, every message is refused until retry_after passes.
    strict_flood_wait: bool = False


class TelegramLimits:
    """handler_hook for LocalBotAPIServer: flood control on sendMessage plus injected faults.

    A dropped connection is done by raising ConnectionResetError from the hook: the server's
    connection task catches ConnectionError and closes the socket without writing an answer.
    """

    def __init__(
        self,
        *,
        faults: FaultPlan,
        blocked: set[int],
        exempt: set[int],
        rng: random.Random,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.faults = faults
        self.blocked = blocked
        self.exempt = exempt  # interactive chats: limits apply, faults do not
        self.rng = rng
        self.monotonic = monotonic
        self.window: deque[float] = deque()
        self.last_by_chat: dict[int, float] = {}
        self.flood_until = 0.0
        self.counts: Counter[str] = Counter()
        self.late_accepted: Counter[int] = Counter()  # accepted, then the connection dropped

    def __call__(self, method: str, params: JSONDict) -> APIResponse | None:
        if method != "sendMessage":
            return None
        chat = params.get("chat_id")
        chat_id = chat if isinstance(chat, int) else 0
        interactive = chat_id in self.exempt
        now = self.monotonic()
        self.counts["requests"] += 1
        while self.window and self.window[0] <= now - WINDOW_S:
            self.window.popleft()
        if now < self.flood_until:
            return self._flood("429_flood_wait", interactive, math.ceil(self.flood_until - now))
        if len(self.window) >= LIMIT_PER_S:
            return self._flood("429_global", interactive)
        last = self.last_by_chat.get(chat_id)
        if last is not None and now - last < PER_CHAT_S:
            return self._flood("429_chat", interactive)
        self.window.append(now)
        self.last_by_chat[chat_id] = now
        self.counts["admitted"] += 1
        if interactive:
            self.counts["admitted_interactive"] += 1
            return None
        if chat_id in self.blocked:
            self.counts["403"] += 1
            return error(403, "Forbidden: bot was blocked by the user")
        roll = self.rng.random()
        if roll < self.faults.drop_share:
            self.counts["dropped"] += 1
            raise ConnectionResetError("benchmark: connection dropped without an answer")
        roll -= self.faults.drop_share
        if roll < self.faults.late_drop_share:
            self.counts["dropped_late"] += 1
            self.late_accepted[chat_id] += 1
            raise ConnectionResetError("benchmark: message accepted, then connection dropped")
        roll -= self.faults.late_drop_share
        if roll < self.faults.server_error_share:
            self.counts["502"] += 1
            return error(502, "Bad Gateway")
        return None

    def _flood(self, kind: str, interactive: bool, seconds: int | None = None) -> APIResponse:
        self.counts[kind] += 1
        self.counts["429"] += 1
        if interactive:
            self.counts["429_interactive"] += 1
        if seconds is None:
            seconds = self.rng.randint(*self.faults.retry_after)
            if self.faults.strict_flood_wait:
                self.flood_until = max(self.flood_until, self.monotonic() + seconds)
        return error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


# --- the database ----------------------------------------------------------------------------


def bench_clock() -> Callable[[], datetime]:
    """A clock starting at CLOCK_START and running in real time."""
    base = time.monotonic()

    def now() -> datetime:
        return CLOCK_START + timedelta(seconds=time.monotonic() - base)

    return now


async def prepare_database(
    url: str, recipients: int, *, queue: bool, clock: Callable[[], datetime]
) -> list[int]:
    """Seed, N recipient contacts and the liaisons (and, for the outbox, N queued messages)."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        await load_seed(sessions, year=2026)
        async with sessions() as session:
            unit_id = await session.scalar(select(Unit.id).where(Unit.name == UNIT))
            assert unit_id is not None, f"{UNIT} is not in the seed"
            people = [
                {"telegram_id": chat, "chat_id": chat, "full_name": f"联络员{i}", "language": "zh"}
                for i, chat in enumerate(LIAISONS, start=1)
            ] + [
                {
                    "telegram_id": FIRST_RECIPIENT + i,
                    "chat_id": FIRST_RECIPIENT + i,
                    "full_name": f"接收人{i}",
                    "language": "zh",
                }
                for i in range(recipients)
            ]
            await session.execute(insert(Contact), people)
            found = await session.execute(select(Contact.chat_id, Contact.id))
            ids: dict[int, int] = {chat: contact_id for chat, contact_id in found}
            await session.execute(
                insert(ContactUnit), [{"contact_id": ids[c], "unit_id": unit_id} for c in LIAISONS]
            )
            chats = [FIRST_RECIPIENT + i for i in range(recipients)]
            if queue:
                now = clock()
                messages = [
                    Outgoing(
                        chat_id=chat,
                        text=TEXT.format(n=n),
                        kind="broadcast",
                        contact_id=ids[chat],
                        batch=BATCH,
                    )
                    for n, chat in enumerate(chats, start=1)
                ]
                await queue_messages(session, messages, now=now)
            await session.commit()
    finally:
        await engine.dispose()
    return chats


@dataclass
class OutboxEnd:
    """Where the outbox rows of the batch ended."""

    states: dict[str, int]
    sent_chats: set[int]
    failed_errors: list[str]


async def outbox_end(url: str) -> OutboxEnd:
    """Read the batch's rows once the run is over."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            states = await outbox_repo.counts(session, batch=BATCH)
            rows = (
                await session.execute(
                    select(OutboxMessage.state, OutboxMessage.chat_id, OutboxMessage.last_error)
                    .where(OutboxMessage.batch == BATCH)
                    .where(OutboxMessage.state.in_(("sent", "failed")))
                )
            ).all()
    finally:
        await engine.dispose()
    return OutboxEnd(
        states=states,
        sent_chats={chat for state, chat, _ in rows if state == "sent"},
        failed_errors=[err or "" for state, _, err in rows if state == "failed"],
    )


async def wait_until_drained(url: str, deadline: float) -> float:
    """Poll the database until no row of the batch is queued or sending (or the deadline)."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        while time.monotonic() < deadline:
            async with sessions() as session:
                states = await outbox_repo.counts(session, batch=BATCH)
            if not states.get("queued") and not states.get("sending"):
                break
            await asyncio.sleep(DB_POLL_S)
    finally:
        await engine.dispose()
    return time.monotonic()


# --- the running application and the interactive probe ---------------------------------------


@contextlib.asynccontextmanager
async def running_app(settings: Settings, clock: Callable[[], datetime]) -> AsyncIterator[float]:
    """The real Application long-polling the server, as run_polling runs it; yields when the
    outbox task was started (post_init)."""
    app: DubanApp = build_application(settings, clock=clock)
    updater = app.updater
    assert updater is not None
    await app.initialize()
    try:
        await updater.start_polling(timeout=10)
        await app.start()
        started = time.monotonic()
        if app.post_init is not None:
            await app.post_init(app)
        yield started
    finally:
        if updater.running:
            await updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


@dataclass
class Probe:
    """/mytasks every interval from the liaisons in turn; latency to the reply at the server."""

    server: LocalBotAPIServer
    interval_s: float
    max_probes: int
    latencies_ms: list[float | None] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        """Probe until stop is set (or max_probes were sent); wait for every answer."""
        waits: list[asyncio.Task[float | None]] = []
        for n in range(self.max_probes):
            if stop.is_set():
                break
            chat = LIAISONS[n % len(LIAISONS)]
            user = self.server.user(chat, f"联络员{n % len(LIAISONS) + 1}", "zh-hans")
            mark = len(self.server.calls)
            pushed = time.monotonic()
            self.server.push_update(self.server.command_update(user, "mytasks"))
            waits.append(asyncio.create_task(self._answer(chat, mark, pushed)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)
        self.latencies_ms = list(await asyncio.gather(*waits))

    async def _answer(self, chat: int, mark: int, pushed: float) -> float | None:
        def to_chat(call: RecordedCall) -> bool:
            # The reply the user sees: a request refused with 429 and then retried is not it.
            return call.chat_id == chat and call.ok

        try:
            call = await self.server.wait_for(
                "sendMessage", to_chat, timeout=PROBE_TIMEOUT_S, since=mark
            )
        except AssertionError:
            return None
        return (call.at - pushed) * 1000

    def figures(self) -> dict[str, Any]:
        """p50, p95 and max in ms (a missed reply counts as the probe timeout), and misses."""
        values = sorted(PROBE_TIMEOUT_S * 1000 if v is None else v for v in self.latencies_ms)
        missed = sum(v is None for v in self.latencies_ms)

        def rank(q: float) -> float | None:
            if not values:
                return None
            return round(values[max(0, math.ceil(q * len(values)) - 1)], 1)

        return {
            "interactive_p50_ms": rank(0.50),
            "interactive_p95_ms": rank(0.95),
            "interactive_max_ms": rank(1.0),
            "interactive_probes": len(values),
            "interactive_missed": missed,
        }


# --- the baselines ---------------------------------------------------------------------------


Outcomes = dict[int, str]  # chat -> "ok" | "blocked" | the exception's class name


async def blast_ratelimiter(
    server: LocalBotAPIServer, chats: Sequence[int], *, max_retries: int, deadline: float
) -> Outcomes:
    """PTB's usual way: ExtBot with AIORateLimiter, every message at once with gather."""
    outcomes: Outcomes = {}
    bot: ExtBot[int] = ExtBot(
        TOKEN,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        rate_limiter=AIORateLimiter(max_retries=max_retries),
    )

    async def one(n: int, chat: int) -> None:
        try:
            await bot.send_message(
                chat, TEXT.format(n=n), parse_mode=ParseMode.HTML, disable_web_page_preview=True
            )
        except Forbidden:
            outcomes[chat] = "blocked"
        except TelegramError as exc:
            outcomes[chat] = type(exc).__name__
        else:
            outcomes[chat] = "ok"

    async with bot:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                await asyncio.gather(*(one(n, c) for n, c in enumerate(chats, start=1)))
    return outcomes


async def blast_loop(
    server: LocalBotAPIServer, chats: Sequence[int], *, deadline: float
) -> Outcomes:
    """The naive way: one message after another, errors logged and skipped."""
    outcomes: Outcomes = {}
    bot = Bot(TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot")
    async with bot:
        for n, chat in enumerate(chats, start=1):
            if time.monotonic() >= deadline:
                break
            try:
                await bot.send_message(
                    chat,
                    TEXT.format(n=n),
                    parse_mode=ParseMode.HTML,
                    disable_web_page_preview=True,
                )
            except Forbidden:
                outcomes[chat] = "blocked"
            except TelegramError as exc:
                log.info("could not send to %s: %s", chat, exc)
                outcomes[chat] = type(exc).__name__
            else:
                outcomes[chat] = "ok"
    return outcomes


# --- one mode --------------------------------------------------------------------------------


async def run_mode(mode: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Prepare, broadcast while probing, and sum up one mode."""
    clock = bench_clock()
    chats = await prepare_database(url, args.recipients, queue=mode == "outbox", clock=clock)
    rng = random.Random(args.seed)
    faults = FaultPlan(
        server_error_share=args.server_error_share,
        drop_share=args.drop_share,
        blocked_share=args.blocked_share,
        late_drop_share=args.late_drop_share,
        strict_flood_wait=args.strict_flood_wait,
    )
    blocked = set(rng.sample(chats, round(len(chats) * faults.blocked_share)))
    limits = TelegramLimits(faults=faults, blocked=blocked, exempt=set(LIAISONS), rng=rng)
    outcomes: Outcomes = {}
    async with LocalBotAPIServer(token=TOKEN, handler_hook=limits) as server:
        settings = Settings(
            _env_file=None,
            database_url=url,
            telegram_token=SecretStr(TOKEN),
            telegram_api_url=server.url,
            send_rate_per_s=args.outbox_rate,
            send_concurrency=args.outbox_concurrency,
        )
        probe = Probe(server, args.probe_interval, int(args.time_cap / args.probe_interval) + 1)
        stop = asyncio.Event()
        async with running_app(settings, clock) as app_started:
            probing = asyncio.create_task(probe.run(stop))
            try:
                if mode == "outbox":
                    started = app_started
                    ended = await wait_until_drained(url, started + args.time_cap)
                else:
                    started = time.monotonic()
                    deadline = started + args.time_cap
                    if mode == "ratelimiter":
                        outcomes = await blast_ratelimiter(
                            server, chats, max_retries=args.max_retries, deadline=deadline
                        )
                    else:
                        outcomes = await blast_loop(server, chats, deadline=deadline)
                    ended = time.monotonic()
            finally:
                stop.set()
                await probing
    elapsed = ended - started

    recipients = set(chats)
    accepted: Counter[int] = Counter(
        c.chat_id
        for c in server.calls
        if c.method == "sendMessage" and c.ok and isinstance(c.chat_id, int)
        if c.chat_id in recipients
    )
    accepted.update(limits.late_accepted)
    delivered = len(accepted)
    duplicates = sum(n - 1 for n in accepted.values())
    result: dict[str, Any] = {"benchmark": "broadcast", "mode": mode}
    if mode == "outbox":
        end = await outbox_end(url)
        unfinished = end.states.get("queued", 0) + end.states.get("sending", 0)
        ghost = len(end.sent_chats - set(accepted))
        blocked_rows = sum(e.startswith("blocked") for e in end.failed_errors)
        result["setup"] = (
            f"bot.app.build_application outbox ({make_url(url).get_backend_name()}), "
            f"send_rate_per_s={args.outbox_rate}, "
            f"send_concurrency={args.outbox_concurrency}"
        )
        lost, n_blocked = unfinished + ghost, blocked_rows
        failed_other = len(end.failed_errors) - blocked_rows
        result["outbox_states"] = end.states
    else:
        kinds = Counter(outcomes.values())
        never_tried = len(chats) - len(outcomes)
        lost = never_tried + sum(
            1 for c, o in outcomes.items() if o not in ("ok", "blocked") and c not in accepted
        )
        n_blocked, failed_other = kinds["blocked"], 0
        result["setup"] = (
            f"ExtBot + AIORateLimiter(max_retries={args.max_retries}) + asyncio.gather"
            if mode == "ratelimiter"
            else "Bot + for loop, errors logged and skipped"
        )
        result["errors"] = {k: v for k, v in kinds.items() if k not in ("ok", "blocked")}
        if never_tried:
            result["errors"]["never_tried"] = never_tried
    rate = delivered / elapsed if elapsed > 0 else 0.0
    # The best any sender could do here: the limit less the interactive replies, spent wholly on
    # broadcast requests with this run's mix of blocked users and faults.
    broadcast_admitted = limits.counts["admitted"] - limits.counts["admitted_interactive"]
    interactive_per_s = limits.counts["admitted_interactive"] / elapsed if elapsed > 0 else 0.0
    ceiling = (LIMIT_PER_S - interactive_per_s) * delivered / max(1, broadcast_admitted)
    # How much of Telegram's limit the bot used: every message the server let through a second.
    admitted_per_s = limits.counts["admitted"] / elapsed if elapsed > 0 else 0.0
    figures = probe.figures()
    result.update(
        recipients=len(chats),
        delivered=delivered,
        duplicates=duplicates,
        lost=lost,
        blocked=n_blocked,
        failed_other=failed_other,
        elapsed_s=round(elapsed, 2),
        rate_per_s=round(rate, 2),
        limit_per_s=LIMIT_PER_S,
        rate_share_of_limit=round(rate / LIMIT_PER_S, 3),
        rate_ceiling_per_s=round(ceiling, 2),
        rate_share_of_ceiling=round(rate / ceiling, 3) if ceiling > 0 else 0.0,
        **figures,
        http_429=limits.counts["429"],
        http_429_global=limits.counts["429_global"],
        http_429_per_chat=limits.counts["429_chat"],
        http_429_flood_wait=limits.counts["429_flood_wait"],
        http_429_interactive=limits.counts["429_interactive"],
        http_502_injected=limits.counts["502"],
        dropped_connections=limits.counts["dropped"],
        dropped_after_accept=limits.counts["dropped_late"],
        send_requests=limits.counts["requests"],
        admitted_per_s=round(admitted_per_s, 2),
        limit_used_share=round(admitted_per_s / LIMIT_PER_S, 3),
    )
    p95 = figures["interactive_p95_ms"]
    result["meets_targets"] = {
        "lost_0": lost == 0,
        "duplicates_0": duplicates == 0,
        # A rate bought by dropping messages does not count.
        "rate_95pct": lost == 0 and rate >= TARGET_RATE_SHARE * LIMIT_PER_S,
        # The same share of the limit, counted in messages the server let through (replies,
        # retries and blocked users included) rather than in recipients reached.
        "limit_used_95pct": lost == 0
        and limits.counts["429"] == 0
        and admitted_per_s >= TARGET_RATE_SHARE * LIMIT_PER_S,
        "interactive_p95_300ms": p95 is not None and p95 < TARGET_P95_MS,
    }
    return result


def main() -> None:
    """Run the chosen mode(s); one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=(*MODES, "all"), default="outbox")
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--time-cap", type=float, default=600.0, help="seconds per mode")
    parser.add_argument("--max-retries", type=int, default=3, help="AIORateLimiter's")
    parser.add_argument("--probe-interval", type=float, default=1.0)
    parser.add_argument("--server-error-share", type=float, default=0.02)
    parser.add_argument("--drop-share", type=float, default=0.01)
    parser.add_argument("--blocked-share", type=float, default=0.01)
    parser.add_argument(
        "--late-drop-share",
        type=float,
        default=0.0,
        help="connections dropped after the message was accepted (default 0)",
    )
    parser.add_argument(
        "--strict-flood-wait",
        action="store_true",
        help="after a 429, refuse every message until its retry_after has passed",
    )
    parser.add_argument(
        "--outbox-rate",
        type=float,
        default=Settings.model_fields["send_rate_per_s"].default,
        help="DUBAN_SEND_RATE_PER_S (default: the product's default)",
    )
    parser.add_argument("--outbox-concurrency", type=int, default=8, help="DUBAN_SEND_CONCURRENCY")
    parser.add_argument(
        "--database-url",
        help="default: a temporary SQLite file; a PostgreSQL database given here is emptied",
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.recipients < 1 or args.time_cap <= 0 or args.probe_interval <= 0:
        parser.error("--recipients, --time-cap and --probe-interval must be positive")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        # AIORateLimiter logs a traceback for every message it gives up on.
        logging.getLogger("telegram").setLevel(logging.CRITICAL)
    for mode in MODES if args.mode == "all" else (args.mode,):
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
            fresh_database(url)
            result = asyncio.run(run_mode(mode, url, args))
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()

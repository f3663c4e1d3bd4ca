"""Benchmark: the dashboard's overview and matrix at city scale, as a coordinator's browser
asks for them.

Run: .venv/bin/python benchmarks/dashboard.py [--database-url URL] [--requests N]
Fills a fresh database with benchmarks/handlers.py's synthetic city (10,000 tasks, 2,000
units, 20,000 liaisons, 200,000 reports), then at 2026-06-25 09:30 sends the dashboard's API
(the ASGI app in this process, initData signed with the test token) N requests for the
overview and N for the matrix (filters changing), timing each whole answer; then the same
after a new report arrives (the figures are read again in a worker). Prints one JSON line:
the cold first answer, p50/p95/max of the warm ones, the first answer after a change (the kept
figures, marked as updating) and how long until the new figures are shown.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from benchmarks.handlers import build_dataset, figures, fill
from bot.ledger.jobs import warm_up
from data.db import is_sqlite
from data.models import Report
from data.repo.reports import add_report_version
from tests.factories.bot import COORDINATOR_ID, MovableClock, running_bot
from tests.factories.dashboard import dashboard_client, init_data, tma
from tests.factories.database import fresh_database
from tests.harness import TEST_TOKEN

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 6, 25, 9, 30, tzinfo=SHANGHAI)
TARGET_P95_MS = 300.0


async def drive(url: str, requests: int, seed: int) -> dict[str, Any]:
    """Time the overview and the matrix; returns the figures."""
    rng = random.Random(seed)
    out: dict[str, Any] = {}
    async with running_bot(url, MovableClock(AT), telegram_token=TEST_TOKEN) as bot:
        services = bot.application.bot_data["services"]
        services.offload.warm(warm_up)  # as duban run does when it starts
        headers = tma(init_data(COORDINATOR_ID, at=AT))
        async with dashboard_client(bot) as client:

            async def timed(path: str) -> float:
                started = time.perf_counter()
                answer = await client.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                assert answer.status_code == 200, (path, answer.status_code)
                return elapsed

            def matrix_path() -> str:
                choice = rng.choice(["", "section=3", "light=red", "light=green", "page=7"])
                return f"/dashboard/api/matrix?{choice}"

            out["overview_cold_ms"] = round(await timed("/dashboard/api/overview") * 1000, 1)
            overview = [await timed("/dashboard/api/overview") for _ in range(requests)]
            matrix = [await timed(matrix_path()) for _ in range(requests)]
            out.update(figures("overview", overview))
            out.update(figures("matrix", matrix))
            # A report arrives: the next answer reads the figures again.
            async with services.sessions() as session:
                last = await session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
                assert last is not None
                names = "task_id unit_id period_id contact_id role status percent"
                columns = {name: getattr(last, name) for name in names.split()}
                columns["text"] = "benchmark: a new version"
                await add_report_version(session, columns=columns, attachments=[], now=AT)
                await session.commit()
            changed = await timed("/dashboard/api/overview")
            out["overview_after_change_ms"] = round(changed * 1000, 1)
            # Meanwhile a worker reads the new figures: how long until a page shows them.
            started = time.perf_counter()
            while (  # noqa: ASYNC110 - the page is polled, as a coordinator reloads it
                "dash-updating"
                in (await client.get("/dashboard/api/overview", headers=headers)).text
            ):
                await asyncio.sleep(0.05)
            out["new_figures_shown_after_s"] = round(time.perf_counter() - started, 2)
            after = [await timed("/dashboard/api/overview") for _ in range(requests)]
            out.update(figures("overview_after", after))
        services.offload.shutdown()
    return out


def main() -> None:
    """Fill, run, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/city.db"
        fresh_database(url)
        data = build_dataset(
            random.Random(args.seed), tasks=10_000, units=2_000, contacts=20_000, reports=200_000
        )
        counts = asyncio.run(fill(url, data, analyze=True))
        data.rows.clear()
        gc.collect()
        results = asyncio.run(drive(url, args.requests, args.seed))
    meets = all(results[f"{name}_p95_ms"] < TARGET_P95_MS for name in ("overview", "matrix"))
    print(
        json.dumps(
            {
                "benchmark": "dashboard",
                "database": "sqlite" if is_sqlite(url) else "postgresql",
                "tasks": counts["tasks"],
                "reports": counts["reports"],
                "requests": args.requests,
                **results,
                "target_p95_ms": TARGET_P95_MS,
                "meets": meets,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "load_1m": round(os.getloadavg()[0], 2),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

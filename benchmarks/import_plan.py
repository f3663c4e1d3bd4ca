"""Benchmark: time to import the Nanjing seed plan (target: under 1 s), first and repeat.

Run: .venv/bin/python benchmarks/import_plan.py [--runs N] [--database-url URL]
Each run imports into a freshly migrated database (SQLite file by default), then imports the
same plan again (the idempotent path). Prints one JSON line with the median and worst times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bot.plan.directory import DEFAULT_PLAN, load_directory
from bot.plan.loader import import_plan
from data.db import make_engine, make_sessionmaker, migrate_sync
from data.models import Base


async def _reset(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())
    await engine.dispose()


async def _one_run(url: str, plan_text: str) -> tuple[float, float]:
    await _reset(url)
    directory = load_directory()
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        async with sessions() as session:
            await import_plan(session, text=plan_text, directory=directory, now=datetime.now(UTC))
            await session.commit()
        times.append(time.perf_counter() - start)
    await engine.dispose()
    return times[0], times[1]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    plan_text = DEFAULT_PLAN.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        migrate_sync(url)
        results = [asyncio.run(_one_run(url, plan_text)) for _ in range(args.runs)]
    first = [r[0] for r in results]
    again = [r[1] for r in results]
    print(
        json.dumps(
            {
                "benchmark": "import_plan",
                "database": url.split(":")[0],
                "tasks": 100,
                "runs": args.runs,
                "first_import_median_s": round(statistics.median(first), 4),
                "first_import_max_s": round(max(first), 4),
                "reimport_median_s": round(statistics.median(again), 4),
                "target_s": 1.0,
                "meets_target": max(first) < 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()

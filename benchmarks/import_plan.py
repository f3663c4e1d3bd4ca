"""Benchmark: importing plans, first and repeat. The Nanjing seed as text (target: under 1 s),
and a 2,000-task task table (任务分解表) as .xlsx and as .docx, built here (target: import
under 3 s each, re-import under 1 s). Timings include reading the file's bytes.

Run: .venv/bin/python benchmarks/import_plan.py [--runs N] [--database-url URL]
     [--only seed|xlsx|docx]
Each run imports into a freshly emptied database (SQLite file by default), then imports the
same file again (the idempotent path). Prints one JSON line per plan with medians and worsts.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bot.plan.directory import DEFAULT_PLAN, load_directory
from bot.plan.loader import import_plan
from bot.plan.sources import read_plan_bytes
from data.db import make_engine, make_sessionmaker, migrate_sync
from data.models import Base

TASKS = 2_000
SECTIONS = 20
HEADER = ("序号", "工作任务", "责任领导", "牵头单位", "责任单位", "完成时限")
DEADLINES = ("6月底前", "三季度末", "年底前", "11月30日前", "全年", "持续推进", "2025-09-30")


def _rows() -> list[list[Any]]:
    """A city's task table: 20 sections of 100 tasks, units from the directory."""
    rng = random.Random(14)
    directory = load_directory()
    units = [name for names in directory.units.values() for name in names]
    rows: list[list[Any]] = [["2025年市政府工作报告重点任务分解表"], list(HEADER)]
    number = 0
    for section in range(1, SECTIONS + 1):
        rows.append([f"{_numeral(section)}、第{section}方面重点工作"])
        for _ in range(TASKS // SECTIONS):
            number += 1
            picked = rng.sample(units, rng.randint(2, 6))
            rows.append(
                [
                    number,
                    f"推进第{number}项重点工作,完成投资{rng.randint(1, 500)}亿元,"
                    f"新增就业{rng.randint(1, 90)}万人,确保按期完成。",
                    rng.choice(("张副市长", "李副市长", "王副市长")),
                    "、".join(picked[:1]),
                    "、".join(picked[1:]),
                    rng.choice(DEADLINES),
                ]
            )
    return rows


def _numeral(n: int) -> str:
    digits = "零一二三四五六七八九"
    return ("十" if n // 10 == 1 else f"{digits[n // 10]}十" if n >= 10 else "") + (
        digits[n % 10] if n % 10 else ""
    )


def build_xlsx() -> bytes:
    """The table as an Excel workbook (a sheet, section rows merged across)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "任务分解表"
    sheet.append(["某政发〔2025〕8号"])
    for index, row in enumerate(_rows(), start=2):
        sheet.append(row)
        if len(row) == 1:
            sheet.merge_cells(start_row=index, start_column=1, end_row=index, end_column=6)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_docx() -> bytes:
    """The table in a Word notice (its paragraphs, then the table)."""
    import docx

    document = docx.Document()
    for text in (
        "某市人民政府关于印发重点任务分解表的通知",
        "某政发〔2025〕9号",
        "请于每月20日前报送。",
    ):
        document.add_paragraph(text)
    rows = _rows()[1:]
    table = document.add_table(rows=len(rows), cols=6)
    for r, row in enumerate(rows):
        cells = table.rows[r].cells
        if len(row) == 1:
            cells[0].merge(cells[5]).text = row[0]
            continue
        for cell, value in zip(cells, row, strict=True):
            cell.text = str(value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def _reset(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())
    await engine.dispose()


async def _one_run(url: str, data: bytes, name: str) -> tuple[float, float]:
    await _reset(url)
    directory = load_directory()
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        async with sessions() as session:
            summary = await import_plan(
                session,
                source=read_plan_bytes(data, name),
                directory=directory,
                now=datetime.now(UTC),
            )
            await session.commit()
        times.append(time.perf_counter() - start)
        assert summary.tasks >= 100, summary
    await engine.dispose()
    return times[0], times[1]


PLANS: dict[str, tuple[Callable[[], bytes], str, int, float]] = {
    # name: (builder, file name, tasks, target for the first import in seconds)
    "seed": (DEFAULT_PLAN.read_bytes, "nanjing-2021.txt", 100, 1.0),
    "xlsx": (build_xlsx, "任务分解表.xlsx", TASKS, 3.0),
    "docx": (build_docx, "通知.docx", TASKS, 3.0),
}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--only", choices=sorted(PLANS), help="one plan only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        migrate_sync(url)
        for kind, (build, name, tasks, target) in PLANS.items():
            if args.only and kind != args.only:
                continue
            data = build()
            results = [asyncio.run(_one_run(url, data, name)) for _ in range(args.runs)]
            first = [r[0] for r in results]
            again = [r[1] for r in results]
            print(
                json.dumps(
                    {
                        "benchmark": "import_plan",
                        "plan": kind,
                        "database": url.split(":")[0],
                        "tasks": tasks,
                        "file_bytes": len(data),
                        "runs": args.runs,
                        "first_import_median_s": round(statistics.median(first), 4),
                        "first_import_max_s": round(max(first), 4),
                        "reimport_median_s": round(statistics.median(again), 4),
                        "reimport_max_s": round(max(again), 4),
                        "target_s": target,
                        "reimport_target_s": 1.0,
                        "meets_target": max(first) < target and max(again) < 1.0,
                    },
                    ensure_ascii=False,
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Benchmark: /mytasks and /task N latency at city scale, through the real handlers.

Run: .venv/bin/python benchmarks/handlers.py [--iterations N] [--database-url URL]
Fills a freshly migrated database (SQLite file by default) with a synthetic city plan by bulk
inserts: 10,000 tasks, 2,000 units, 20,000 linked liaisons and 200,000 reports. Then drives the
real Application (as the tests build it, on a fake Bot API) with /mytasks and /task N from random
liaisons at 2026-06-10 09:30 Shanghai time, and prints one JSON line of latency figures (ms).
Talks to nothing but the database.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from sqlalchemy import Table, func, insert, select, text
from telegram import User

from bot.calendar.periods import due_date, periods_of_year
from bot.calendar.workdays import WorkCalendar
from bot.i18n import t
from data.db import is_sqlite, make_engine
from data.models import (
    CO,
    LEAD,
    CollectiveMember,
    Contact,
    ContactUnit,
    Period,
    Plan,
    Report,
    Section,
    Task,
    TaskAssignment,
    TaskUnit,
    Unit,
)
from tests.factories.bot import MovableClock, running_bot
from tests.factories.database import fresh_database
from tests.harness import ApiCall, BotHarness

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2026
NOW = datetime(YEAR, 6, 10, 9, 30, tzinfo=SHANGHAI)
TARGET_P95_MS = 50.0
SERIES = ("mytasks", "task", "own_task", "big_unit_mytasks")
CHUNK = 10_000  # rows per INSERT executemany
TELEGRAM_ID_BASE = 5_000_000_000
DISTRICTS = (
    "玄武区",
    "秦淮区",
    "建邺区",
    "鼓楼区",
    "浦口区",
    "栖霞区",
    "雨花台区",
    "江宁区",
    "六合区",
    "溧水区",
    "高淳区",
)
BIG_UNITS = 5  # units that lead ~100 tasks each, like 市发改委 leads 23 of 100
BIG_UNIT_LEADS = 100
ALL_DISTRICTS_TASKS = 100  # tasks naming 各区政府 (every district inherits them)
RELEVANT_DISTRICTS_TASKS = 50  # tasks naming 相关区政府 (districts only where assigned)
OLDER_VERSION_SHARE = 0.15  # reports that were later edited (is_current False)
STATUSES = ("on_track", "at_risk", "blocked", "needs_coordination", "done")
STATUS_WEIGHTS = (70, 12, 4, 6, 8)

_VERBS = ("推进", "加快", "深化", "完善", "实施", "落实", "强化", "优化", "提升", "健全", "统筹")
_SUBJECTS = (
    "营商环境改革",
    "城市更新行动",
    "数字经济发展",
    "绿色低碳转型",
    "乡村振兴战略",
    "公共服务供给",
    "科技创新体系",
    "交通基础设施建设",
    "生态环境治理",
    "社会保障体系",
    "养老托育服务",
    "老旧小区改造",
    "重大项目建设",
    "产业链供应链",
    "安全生产监管",
    "基层社会治理",
    "历史文化名城保护",
    "长江大保护",
)
_CLAUSES = (
    "建立健全工作推进机制",
    "确保按期完成年度目标任务",
    "加强部门协同和要素保障",
    "形成一批可复制可推广的经验",
    "全面提升群众满意度",
    "推动政策措施落地见效",
    "强化督查考核和跟踪问效",
    "打造具有全国影响力的示范标杆",
    "完成投资{n}亿元",
    "新增{n}个示范项目",
    "覆盖率达到{p}%以上",
    "年内新建改造{n}公里",
)
_REPORT_PHRASES = (
    "已召开专题推进会",
    "项目按计划推进",
    "完成阶段性目标",
    "资金已拨付到位",
    "正在开展前期工作",
    "存在用地指标不足问题",
    "需市级层面协调",
    "已完成招投标",
    "形象进度符合预期",
    "下月将完成验收",
)


@dataclass
class Dataset:
    """The rows to insert, table by table, and what the timing loop needs to know of them."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    contacts_by_unit: dict[int, list[int]] = field(default_factory=dict)
    unit_by_telegram_id: dict[int, int] = field(default_factory=dict)
    tasks_by_unit: dict[int, list[int]] = field(default_factory=dict)  # direct roles only
    telegram_ids: list[tuple[int, str]] = field(default_factory=list)  # (telegram id, name)
    big_unit: int = 0
    big_unit_name: str = ""
    task_count: int = 0


def _task_text(rng: random.Random, number: int) -> str:
    """About 100 characters of plan prose; the first clause becomes the list title."""
    head = f"{rng.choice(_VERBS)}{rng.choice(_SUBJECTS)}(第{number}项)。"
    parts = [head]
    while sum(map(len, parts)) < 95:
        clause = rng.choice(_CLAUSES).format(n=rng.randint(2, 300), p=rng.randint(60, 99))
        parts.append(f"{rng.choice(_VERBS)}{rng.choice(_SUBJECTS)},{clause};")
    return "".join(parts)[:110].rstrip(";") + "。"


def _at(day: date, rng: random.Random, latest: datetime | None = None) -> datetime:
    """A working-hours moment on a local day, as aware UTC, never after ``latest``."""
    local = datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59))
    moment = local.replace(tzinfo=SHANGHAI).astimezone(UTC)
    return min(moment, latest) if latest else moment


def build_dataset(
    rng: random.Random, *, tasks: int, units: int, contacts: int, reports: int
) -> Dataset:
    """Generate the synthetic city plan (deterministic for a given ``rng`` seed)."""
    data = Dataset(task_count=tasks)
    created = datetime(YEAR, 1, 5, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    calendar = WorkCalendar()

    data.rows["plans"] = [
        {
            "id": 1,
            "document": f"宁政发〔{YEAR}〕1号",
            "short_name": "政府工作报告",
            "title": f"{YEAR}年市政府工作报告目标任务分解方案",
            "year": YEAR,
            "period_kind": "month",
            "due_day": 25,
            "source_sha256": "0" * 64,
            "created_at": created,
            "updated_at": created,
        }
    ]
    data.rows["sections"] = [
        {"id": i, "plan_id": 1, "number": i, "title": f"关于{_SUBJECTS[i % len(_SUBJECTS)]}"}
        for i in range(1, 21)
    ]

    # Units: the districts first, then bureaus; two collectives after the ordinary ones.
    names = [f"{d}政府" for d in DISTRICTS]
    names += [f"市第{i}局" for i in range(1, units - len(names) + 1)]
    unit_rows = [
        {
            "id": i,
            "name": name,
            "kind": "ordinary",
            "category": "district" if i <= len(DISTRICTS) else "bureau",
            "relevant": False,
            "in_directory": True,
        }
        for i, name in enumerate(names, start=1)
    ]
    all_districts, relevant_districts = units + 1, units + 2
    for uid, name, relevant in (
        (all_districts, "各区政府", False),
        (relevant_districts, "相关区政府", True),
    ):
        unit_rows.append(
            {
                "id": uid,
                "name": name,
                "kind": "collective",
                "category": "collective",
                "relevant": relevant,
                "in_directory": True,
            }
        )
    data.rows["units"] = unit_rows
    district_ids = list(range(1, len(DISTRICTS) + 1))
    data.rows["collective_members"] = [
        {"collective_id": c, "member_id": m}
        for c in (all_districts, relevant_districts)
        for m in district_ids
    ]

    # Tasks and their units: 1-3 leads, 0-5 co-units; a few big units lead ~100 tasks each.
    big_units = list(range(len(DISTRICTS) + 1, len(DISTRICTS) + 1 + BIG_UNITS))
    forced: dict[int, list[int]] = defaultdict(list)
    for uid in big_units:
        for number in rng.sample(range(1, tasks + 1), BIG_UNIT_LEADS):
            forced[number].append(uid)
    with_all = set(rng.sample(range(1, tasks + 1), ALL_DISTRICTS_TASKS))
    with_relevant = set(rng.sample(range(1, tasks + 1), RELEVANT_DISTRICTS_TASKS))
    ordinary = range(1, units + 1)
    task_rows: list[dict[str, Any]] = []
    task_unit_rows: list[dict[str, Any]] = []
    assignment_rows: list[dict[str, Any]] = []
    deadlines = (date(YEAR, 6, 30), date(YEAR, 9, 30), date(YEAR, 12, 31))
    for number in range(1, tasks + 1):
        task_rows.append(
            {
                "id": number,
                "plan_id": 1,
                "section_id": (number - 1) * 20 // tasks + 1,
                "number": number,
                "text": _task_text(rng, number),
                "source_line": number + 40,
                "deadline": rng.choice(deadlines) if rng.random() < 0.3 else None,
                "retired": False,
            }
        )
        lead = list(dict.fromkeys(forced.get(number, [])))
        wanted = rng.randint(1, 3)
        while len(lead) < wanted:
            candidate = rng.choice(ordinary)
            if candidate not in lead:
                lead.append(candidate)
        co: list[int] = []
        for _ in range(rng.randint(0, 5)):
            candidate = rng.choice(ordinary)
            if candidate not in lead and candidate not in co:
                co.append(candidate)
        if number in with_all:
            (lead if rng.random() < 0.3 else co).append(all_districts)
        if number in with_relevant:
            co.append(relevant_districts)
            for member in rng.sample(district_ids, rng.randint(1, 3)):
                assignment_rows.append(
                    {"task_id": number, "collective_id": relevant_districts, "unit_id": member}
                )
        roles = [(u, LEAD) for u in lead] + [(u, CO) for u in co]
        task_unit_rows += [
            {"task_id": number, "unit_id": u, "role": role, "position": pos}
            for pos, (u, role) in enumerate(roles)
        ]
    data.rows["tasks"] = task_rows
    data.rows["task_units"] = task_unit_rows
    data.rows["task_assignments"] = assignment_rows
    leads = Counter(r["unit_id"] for r in task_unit_rows if r["role"] == LEAD)
    for row in task_unit_rows:
        data.tasks_by_unit.setdefault(row["unit_id"], []).append(row["task_id"])
    data.big_unit = max(ordinary, key=lambda u: leads[u])
    data.big_unit_name = names[data.big_unit - 1]

    # Contacts: round-robin over the ordinary units, so every unit has liaisons.
    contact_rows = []
    link_rows = []
    for i in range(contacts):
        cid, uid = i + 1, i % units + 1
        name = f"联络员{cid:05d}"
        contact_rows.append(
            {
                "id": cid,
                "telegram_id": TELEGRAM_ID_BASE + cid,
                "chat_id": TELEGRAM_ID_BASE + cid,
                "full_name": name,
                "username": None,
                "language": None,
                "unreachable_at": None,
                "created_at": created,
            }
        )
        link_rows.append({"contact_id": cid, "unit_id": uid, "created_at": created})
        data.contacts_by_unit.setdefault(uid, []).append(cid)
        data.telegram_ids.append((TELEGRAM_ID_BASE + cid, name))
        data.unit_by_telegram_id[TELEGRAM_ID_BASE + cid] = uid
    data.rows["contacts"] = contact_rows
    data.rows["contact_units"] = link_rows

    spans = periods_of_year(YEAR, "month")
    data.rows["periods"] = [
        {
            "id": span.index,
            "plan_id": 1,
            "kind": "month",
            "start": span.start,
            "end": span.end,
            "due_date": due_date(span, due_day=25, calendar=calendar),
        }
        for span in spans
    ]

    # Reports: who owes what (collective duties are reported by the members), over January to
    # June; June is young (the clock says the 10th), so fewer units have reported yet.
    owed: list[tuple[int, int, str]] = []
    for row in task_unit_rows:
        if row["unit_id"] == all_districts:
            owed += [(row["task_id"], m, row["role"]) for m in district_ids]
        elif row["unit_id"] != relevant_districts:
            owed.append((row["task_id"], row["unit_id"], row["role"]))
    owed += [(a["task_id"], a["unit_id"], CO) for a in assignment_rows]
    currents_wanted = round(reports / (1 + OLDER_VERSION_SHARE))
    month_weights = {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0, 6: 0.3}
    rate = min(1.0, currents_wanted / (len(owed) * sum(month_weights.values())))
    now_utc = NOW.astimezone(UTC) - timedelta(minutes=5)
    currents: list[dict[str, Any]] = []
    for month, weight in month_weights.items():
        span = spans[month - 1]
        last_day = min(span.start.replace(day=28), NOW.date() - timedelta(days=1))
        for task_id, unit_id, role in owed:
            if rng.random() >= rate * weight:
                continue
            day = span.start + timedelta(days=rng.randint(0, (last_day - span.start).days))
            status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
            percent = 100 if status == "done" else min(100, month * 8 + rng.randint(0, 30))
            moment = _at(day, rng, now_utc)
            currents.append(
                {
                    "task_id": task_id,
                    "unit_id": unit_id,
                    "period_id": month,
                    "contact_id": rng.choice(data.contacts_by_unit[unit_id]),
                    "role": role,
                    "status": status,
                    "percent": percent,
                    "text": ",".join(rng.sample(_REPORT_PHRASES, 3)) + "。",
                    "supersedes_id": None,
                    "is_current": True,
                    "review": "pending",
                    "first_submitted_at": moment,
                    "created_at": moment,
                }
            )
    del currents[reports:]
    older: list[dict[str, Any]] = []
    for current in rng.sample(currents, max(0, reports - len(currents))):
        # The first version came earlier in the same period (or a minute earlier at worst).
        opened = datetime(YEAR, current["period_id"], 1, 8, tzinfo=SHANGHAI).astimezone(UTC)
        first = max(current["created_at"] - timedelta(hours=rng.randint(2, 72)), opened)
        first = min(first, current["created_at"] - timedelta(minutes=1))
        older.append(
            {
                **current,
                "status": rng.choices(STATUSES[:4], STATUS_WEIGHTS[:4])[0],
                "percent": max(0, current["percent"] - rng.randint(5, 20)),
                "is_current": False,
                "first_submitted_at": first,
                "created_at": first,
            }
        )
        current["first_submitted_at"] = first
        current["_older"] = older[-1]
    # Older versions take the lower ids, so every supersedes_id points at an inserted row.
    for rid, row in enumerate(older, start=1):
        row["id"] = rid
    for rid, row in enumerate(currents, start=len(older) + 1):
        row["id"] = rid
        previous = row.pop("_older", None)
        row["supersedes_id"] = previous["id"] if previous else None
    data.rows["reports"] = older + currents
    return data


# Parents before children (foreign keys are on for SQLite too).
FILL_ORDER: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (
        Plan,
        Section,
        Unit,
        CollectiveMember,
        Task,
        TaskUnit,
        TaskAssignment,
        Contact,
        ContactUnit,
        Period,
        Report,
    )
)
REPORTS = FILL_ORDER[-1]


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def fill(url: str, data: Dataset, *, analyze: bool) -> dict[str, int]:
    """Bulk-insert the dataset (Core executemany, two transactions); return the row counts."""
    engine = make_engine(url)
    reference = [table for table in FILL_ORDER if table.name != "reports"]
    async with engine.begin() as conn:
        for table in reference:
            for chunk in _chunks(data.rows[table.name], CHUNK):
                await conn.execute(insert(table), list(chunk))
    async with engine.begin() as conn:
        for chunk in _chunks(data.rows["reports"], CHUNK):
            await conn.execute(insert(REPORTS), list(chunk))
    async with engine.begin() as conn:
        if not is_sqlite(url):
            # Explicit ids leave the sequences behind; catch them up as an import would.
            for table in FILL_ORDER:
                if "id" in table.c:
                    await conn.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                        {"t": table.name, "n": max(1, len(data.rows[table.name]))},
                    )
        if analyze or not is_sqlite(url):
            # PostgreSQL's autovacuum would analyze tables this size within a minute anyway.
            await conn.execute(text("ANALYZE"))
        counts = {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in FILL_ORDER
        }
    await engine.dispose()
    return counts


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def figures(prefix: str, samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/max of samples in seconds, as rounded milliseconds."""
    return {
        f"{prefix}_p50_ms": round(percentile(samples, 0.50) * 1000, 2),
        f"{prefix}_p95_ms": round(percentile(samples, 0.95) * 1000, 2),
        f"{prefix}_max_ms": round(max(samples) * 1000, 2),
    }


def _one_reply(calls: list[ApiCall], refused: tuple[str, ...]) -> str:
    """The single message a command produced; fail loudly on a refusal or a broken reply."""
    sent = [c for c in calls if c.method == "sendMessage"]
    if len(sent) != 1 or not sent[0].ok:
        raise AssertionError(f"expected one accepted sendMessage, got {calls!r}")
    reply = sent[0].text or ""
    if any(reply.startswith(r) for r in refused):
        raise AssertionError(f"the command was refused: {reply[:200]!r}")
    return reply


async def timed(
    action: Callable[[], Awaitable[list[ApiCall]]],
) -> tuple[float, float, list[ApiCall]]:
    """Run one command; return its wall time, the process CPU time it took and its calls.

    CPU time (all threads, so aiosqlite's too) is steadier than wall time on a busy machine.
    """
    start, cpu = time.perf_counter(), time.process_time()
    calls = await action()
    return time.perf_counter() - start, time.process_time() - cpu, calls


async def drive(url: str, data: Dataset, *, iterations: int, seed: int) -> dict[str, Any]:
    """Time /mytasks and /task N through the real Application."""
    rng = random.Random(seed + 1)
    clock = MovableClock(NOW)
    not_linked = t("zh", "not_linked")
    users: dict[int, User] = {}
    samples: dict[str, list[float]] = defaultdict(list)
    big_unit_lines = 0

    async with running_bot(url, clock) as bot:

        def user(telegram_id: int, name: str) -> User:
            if telegram_id not in users:
                users[telegram_id] = bot.user(telegram_id, name)
            return users[telegram_id]

        def random_liaison() -> User:
            return user(*rng.choice(data.telegram_ids))

        async def mytasks(who: User) -> list[ApiCall]:
            return await bot.command(who, "/mytasks")

        async def task(who: User, number: int) -> list[ApiCall]:
            return await bot.command(who, "/task", str(number))

        def not_found(number: int) -> str:
            return t("zh", "task.not_found", number=number, total=data.task_count)

        big_liaisons = [
            user(*data.telegram_ids[cid - 1]) for cid in data.contacts_by_unit[data.big_unit]
        ]
        for _ in range(max(10, iterations // 10)):  # warm-up: caches, pool, prepared plans
            who = random_liaison()
            _one_reply(await mytasks(who), (not_linked,))
            _one_reply(await task(who, rng.randint(1, data.task_count)), (not_linked,))
        for i in range(iterations):
            telegram_id, full_name = rng.choice(data.telegram_ids)
            who = user(telegram_id, full_name)
            number = rng.randint(1, data.task_count)
            # One of the liaison's own tasks, as opened from /mytasks: history and buttons too.
            own = rng.choice(data.tasks_by_unit[data.unit_by_telegram_id[telegram_id]])
            big = big_liaisons[i % len(big_liaisons)]
            for name, action, refused in (
                ("mytasks", partial(mytasks, who), (not_linked,)),
                ("task", partial(task, who, number), (not_linked, not_found(number))),
                ("own_task", partial(task, who, own), (not_linked, not_found(own))),
                ("big_unit_mytasks", partial(mytasks, big), (not_linked,)),
            ):
                elapsed, cpu, calls = await timed(action)
                reply = _one_reply(calls, refused)
                samples[name].append(elapsed)
                samples[f"{name}_cpu"].append(cpu)
                if name == "big_unit_mytasks" and not big_unit_lines:
                    big_unit_lines = _total_of(reply)
        check_clean(bot)
    result: dict[str, Any] = {}
    for name in SERIES:
        result.update(figures(name, samples[name]))
    for name in SERIES:
        cpu_times = samples[f"{name}_cpu"]
        result[f"{name}_cpu_p50_ms"] = round(percentile(cpu_times, 0.50) * 1000, 2)
        result[f"{name}_cpu_p95_ms"] = round(percentile(cpu_times, 0.95) * 1000, 2)
    result["big_unit_tasks"] = big_unit_lines
    return result


def _total_of(reply: str) -> int:
    """The task count from the /mytasks header (共 N 项)."""
    marker = reply.find("共 ")
    digits = reply[marker + 2 :].split(" ", 1)[0] if marker >= 0 else ""
    return int(digits) if digits.isdigit() else 0


def check_clean(bot: BotHarness) -> None:
    """No handler error may hide behind the error handler's apology."""
    if bot.errors:
        raise AssertionError(f"handler errors during the benchmark: {bot.errors[:3]!r}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE on SQLite after the fill (PostgreSQL is always analyzed)",
    )
    args = parser.parse_args()
    if args.units <= len(DISTRICTS) + BIG_UNITS or args.tasks < BIG_UNIT_LEADS:
        parser.error("too few units or tasks for the recipe")

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        fresh_database(url)
        start = time.perf_counter()
        data = build_dataset(
            rng, tasks=args.tasks, units=args.units, contacts=args.contacts, reports=args.reports
        )
        generated = time.perf_counter() - start
        start = time.perf_counter()
        counts = asyncio.run(fill(url, data, analyze=args.analyze))
        fill_s = time.perf_counter() - start
        # Half a million row dicts would make every full GC pass of the bot crawl: drop them.
        data.rows.clear()
        gc.collect()
        timings = asyncio.run(drive(url, data, iterations=args.iterations, seed=args.seed))

    worst_p95 = max(timings[f"{name}_p95_ms"] for name in SERIES)
    print(
        json.dumps(
            {
                "benchmark": "handlers",
                "database": "sqlite" if is_sqlite(url) else "postgresql",
                "tasks": counts["tasks"],
                "units": counts["units"],
                "contacts": counts["contacts"],
                "reports": counts["reports"],
                "task_units": counts["task_units"],
                "analyzed": args.analyze or not is_sqlite(url),
                "generate_s": round(generated, 2),
                "fill_s": round(fill_s, 2),
                "iterations": args.iterations,
                **timings,
                "big_unit": data.big_unit_name,
                # Wall times swing with other work on the machine: say how busy it was.
                "load_1m": round(os.getloadavg()[0], 2),
                "target_p95_ms": TARGET_P95_MS,
                "meets_target": worst_p95 < TARGET_P95_MS,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

"""A whole June of ticks with a fake clock: exactly the expected nudges, each exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.calendar.workdays import WorkCalendar
from bot.settings import Settings
from data.db import make_engine, make_sessionmaker
from data.models import Contact, NudgeClaim, OutboxMessage
from data.repo.outbox import load_bodies
from scheduler import nudges
from scheduler.nudges import tick
from tests.factories.people import liaison, report_all
from tests.factories.plans import load_seed

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
NDRC, FINANCE, JIANGNING, HEALTH, COORD = 3001, 3002, 3003, 3004, 3009
CAL = WorkCalendar()


def moments(
    start: datetime, end: datetime, step: timedelta = timedelta(hours=1)
) -> Iterator[datetime]:
    now = start
    while now < end:
        yield now
        now += step


def june(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=TZ)


def settings_for(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_url": database_url, "coordinators": [COORD]}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def city(sessions: Sessions) -> Sessions:
    await load_seed(sessions, year=2026)
    before = june(1, 0)
    await liaison(sessions, NDRC, "市发改委", now=before)
    await liaison(sessions, FINANCE, "市财政局", now=before)
    await liaison(sessions, JIANGNING, "江宁区政府", now=before)
    await liaison(sessions, HEALTH, "市卫健委", now=before)
    await liaison(sessions, COORD, now=before, coordinator=True, name="督查室")
    return sessions


async def run(sessions: Sessions, settings: Settings, times: Iterator[datetime]) -> list[str]:
    skipped: list[str] = []
    for now in times:
        report = await tick(sessions, settings=settings, calendar=CAL, now=now)
        skipped += report.skipped
    return skipped


async def sent_log(sessions: Sessions) -> list[tuple[str, int, str]]:
    """(kind + step from the dedupe key, telegram id, local time) of every queued message."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.dedupe_key, Contact.telegram_id, OutboxMessage.created_at)
                .join(Contact, Contact.id == OutboxMessage.contact_id)
                .order_by(OutboxMessage.id)
            )
        ).all()
    out = []
    for key, telegram_id, created in rows:
        kind, scope = key.split(":")[0], key.split(":")[2] if key.startswith("nudge") else ""
        label = f"{kind}:{scope}" if scope else kind
        out.append((label, telegram_id, f"{created.astimezone(TZ):%m-%d %H:%M}"))
    return out


EXPECTED_JUNE = [
    ("nudge:open", NDRC, "06-01 09:00"),
    ("nudge:open", FINANCE, "06-01 09:00"),
    ("nudge:open", HEALTH, "06-01 09:00"),
    ("contribution", NDRC, "06-01 09:00"),
    ("contribution", FINANCE, "06-01 09:00"),
    ("contribution", JIANGNING, "06-01 09:00"),
    ("contribution", HEALTH, "06-01 09:00"),
    # 市财政局 reported everything it leads on June 10: it hears nothing more this period.
    # Five working days before the due day (June 19 is the Dragon Boat holiday), the
    # coordinator hears of the units that owe a report with nobody to nudge.
    ("coverage", COORD, "06-17 09:00"),
    ("nudge:before", NDRC, "06-22 09:00"),
    ("nudge:before", HEALTH, "06-22 09:00"),
    ("nudge:due", NDRC, "06-25 09:00"),
    ("nudge:due", HEALTH, "06-25 09:00"),
    ("nudge:after", NDRC, "06-26 09:00"),
    ("nudge:after", HEALTH, "06-26 09:00"),
    ("digest", COORD, "06-26 09:00"),
    # The working day after the due day, the coordinator gets the bulletin (通报).
    ("bulletin", COORD, "06-26 09:00"),
]


async def finance_reports(sessions: Sessions) -> None:
    await report_all(
        sessions,
        "市财政局",
        numbers=[3, 40, 43, 76],
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
        due=date(2026, 6, 25),
        now=june(10, 10),
    )


async def test_a_june_of_ticks(city: Sessions, database_url: str) -> None:
    settings = settings_for(database_url)
    await run(city, settings, moments(june(1), june(10)))
    await finance_reports(city)
    await run(city, settings, moments(june(10), datetime(2026, 7, 1, tzinfo=TZ)))
    log = sorted(await sent_log(city), key=lambda r: (r[2], r[0], r[1]))
    assert log == sorted(EXPECTED_JUNE, key=lambda r: (r[2], r[0], r[1]))


async def test_nudge_lists_everything_a_liaison_owes_in_one_message(
    city: Sessions, database_url: str
) -> None:
    await run(city, settings_for(database_url), iter([june(1, 9)]))
    async with city() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == NDRC, OutboxMessage.kind == "nudge"
                )
            )
        ).all()
        await load_bodies(session, rows)
    [nudge] = rows
    text = nudge.payload["text"]
    assert text.startswith("📅 2026年6月报送已开始,截止 6月25日。贵单位本期需报送以下 23 项任务:")
    assert "• 2. 地区生产总值增长7%,固定资产投资增长8%(市发改委 · 主办)" in text
    buttons = [b for row in nudge.payload["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0] == {"text": "📝 2", "callback_data": buttons[0]["callback_data"]}
    assert buttons[-1]["text"] == "💤 稍后提醒"
    assert len(buttons) == 21  # 20 report buttons at most, then snooze


async def test_restart_and_a_second_worker_send_nothing_twice(
    city: Sessions, database_url: str
) -> None:
    settings = settings_for(database_url)
    await run(city, settings, moments(june(1), june(10)))
    await finance_reports(city)
    await run(city, settings, moments(june(10), june(23)))
    # "Restart": a new engine and session factory on the same database, and a second worker
    # ticking at the same moments.
    engine = make_engine(database_url)
    try:
        restarted = make_sessionmaker(engine)
        for now in moments(june(22), datetime(2026, 7, 1, tzinfo=TZ)):
            await tick(restarted, settings=settings, calendar=CAL, now=now)
            await tick(city, settings=settings, calendar=CAL, now=now)
    finally:
        await engine.dispose()
    log = await sent_log(city)
    assert sorted(log, key=lambda r: (r[2], r[0], r[1])) == sorted(
        EXPECTED_JUNE, key=lambda r: (r[2], r[0], r[1])
    )


async def test_two_workers_ticking_at_once_send_each_nudge_once(
    city: Sessions, database_url: str
) -> None:
    # Every webhook worker runs the clock; the claims, not a leader, make each nudge go once,
    # so killing any one worker loses none.
    settings = settings_for(database_url)
    await run(city, settings, moments(june(1), june(10)))
    await finance_reports(city)
    engine = make_engine(database_url)
    try:
        other = make_sessionmaker(engine)
        for now in moments(june(10), datetime(2026, 7, 1, tzinfo=TZ)):
            await asyncio.gather(
                tick(other, settings=settings, calendar=CAL, now=now),
                tick(city, settings=settings, calendar=CAL, now=now),
            )
    finally:
        await engine.dispose()
    log = await sent_log(city)
    assert sorted(log, key=lambda r: (r[2], r[0], r[1])) == sorted(
        EXPECTED_JUNE, key=lambda r: (r[2], r[0], r[1])
    )


async def test_downtime_over_a_nudge_sends_it_on_return_the_same_day(
    city: Sessions, database_url: str
) -> None:
    settings = settings_for(database_url)
    await run(city, settings, moments(june(1), june(22, 8)))
    # Down from 08:00 to 15:00 on the 22nd: the "before" nudge goes out at 15:00.
    await run(city, settings, moments(june(22, 15), june(24, 18)))
    # Down from the 24th 18:00 to the 26th 08:00: the due-day nudge is skipped and logged.
    skipped = await run(city, settings, moments(june(26, 8), june(27)))
    assert skipped == ["宁政发〔2021〕16号 June 2026 due (2026-06-25)"]
    log = await sent_log(city)
    assert ("nudge:before", NDRC, "06-22 15:00") in log
    assert not [r for r in log if r[0] == "nudge:due"]
    assert ("nudge:after", NDRC, "06-26 09:00") in log


async def test_quiet_hours_hold_nudges_back(city: Sessions, database_url: str) -> None:
    settings = settings_for(
        database_url, quiet_hours_start=time(8, 0), quiet_hours_end=time(11, 0)
    )
    await run(city, settings, moments(june(1), june(2)))
    times = {r[2] for r in await sent_log(city)}
    assert times == {"06-01 11:00"}


async def test_nothing_outside_the_plan_year_and_the_plan_closes(
    city: Sessions, database_url: str
) -> None:
    settings = settings_for(database_url)
    await run(city, settings, iter([datetime(2027, 1, 4, 9, 30, tzinfo=TZ)]))
    # No nudge; the coordinators hear once that the plan has ended.
    assert await sent_log(city) == [("plan-closed", COORD, "01-04 09:30")]
    await run(city, settings, iter([datetime(2027, 1, 5, 9, 30, tzinfo=TZ)]))
    assert len(await sent_log(city)) == 1
    from data.models import Plan

    async with city() as session:
        plan = await session.scalar(select(Plan))
        assert plan is not None and plan.closed_at is not None


async def test_deadline_reminders_30_7_1_days_before(city: Sessions, database_url: str) -> None:
    settings = settings_for(database_url)
    for day in (date(2026, 12, 1), date(2026, 12, 24), date(2026, 12, 30)):
        await run(city, settings, iter([datetime.combine(day, time(9, 30), TZ)]))
    deadline = [r for r in await sent_log(city) if r[0] == "deadline"]
    assert sorted({(who, at[:5]) for _, who, at in deadline}) == [
        (NDRC, "12-01"),
        (NDRC, "12-24"),
        (NDRC, "12-30"),
        (FINANCE, "12-01"),
        (FINANCE, "12-24"),
        (FINANCE, "12-30"),
        (HEALTH, "12-01"),
        (HEALTH, "12-24"),
        (HEALTH, "12-30"),
    ]


async def test_a_tick_that_fails_after_its_claims_leaves_neither_claims_nor_messages(
    city: Sessions, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(database_url)

    async def crash(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("the worker died between the claims and the messages")

    # The claims are taken; queueing the messages then fails, as a crash would cut it short.
    monkeypatch.setattr(nudges, "queue_messages", crash)
    with pytest.raises(RuntimeError):
        await tick(city, settings=settings, calendar=CAL, now=june(1, 9, 30))
    async with city() as session:
        assert (await session.scalars(select(NudgeClaim))).all() == []
        assert (await session.scalars(select(OutboxMessage))).all() == []
    # The next tick, the worker back, sends what was due, once.
    monkeypatch.undo()
    await tick(city, settings=settings, calendar=CAL, now=june(1, 9, 31))
    sent = sorted((kind, who) for kind, who, _at in await sent_log(city))
    assert sent == sorted((kind, who) for kind, who, _at in EXPECTED_JUNE[:7])

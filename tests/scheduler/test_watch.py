"""逐级督办 on a fake clock: leaders hear of lasting red tasks and unanswered 催办, coordinators
of units nobody can be reached at; each once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from data.models import Chase, Contact, OutboxBody, OutboxMessage, Unit
from data.repo.chases import add_chases
from data.repo.periods import ensure_period
from tests.factories.people import contact_ids, leader, report_all
from tests.scheduler.test_nudges import (
    COORD,
    FINANCE,
    HEALTH,
    NDRC,
    TZ,
    Sessions,
    city,  # noqa: F401 - the fixture
    finance_reports,
    run,
    settings_for,
)

NDRC_LEADER, FINANCE_LEADER = 3010, 3011


def daily(start: date, end: date, *hours: int) -> list[datetime]:
    days = (end - start).days + 1
    return [
        datetime.combine(start + timedelta(days=n), datetime.min.time(), TZ).replace(hour=h)
        for n in range(days)
        for h in hours
    ]


async def queued(sessions: Sessions, kind: str) -> list[tuple[int, str, str]]:
    """(telegram id, local time, text) of the queued messages of one kind."""
    async with sessions() as session:
        rows = await session.execute(
            select(
                Contact.telegram_id,
                OutboxMessage.created_at,
                func.coalesce(OutboxMessage.payload, OutboxBody.payload),
            )
            .join(Contact, Contact.id == OutboxMessage.contact_id)
            .outerjoin(OutboxBody, OutboxBody.key == OutboxMessage.body_key)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return [
            (tid, f"{created.astimezone(TZ):%m-%d %H:%M}", payload["text"])
            for tid, created, payload in rows.all()
        ]


@pytest.fixture
async def leaders(city: Sessions) -> Sessions:  # noqa: F811 - the fixture above
    before = datetime(2026, 6, 1, tzinfo=TZ)
    await leader(city, NDRC_LEADER, "市发改委", now=before)
    await leader(city, FINANCE_LEADER, "市财政局", now=before)
    return city


async def test_a_task_red_two_periods_running_reaches_the_leader_once(
    leaders: Sessions, database_url: str
) -> None:
    await finance_reports(leaders)  # 市财政局 reports all it leads in June, nothing in July
    # 市发改委 reports task 2 in July (and nothing in June).
    await report_all(
        leaders,
        "市发改委",
        numbers=[2],
        period_start=date(2026, 7, 1),
        period_end=date(2026, 7, 31),
        due=date(2026, 7, 24),
        now=datetime(2026, 7, 10, 10, tzinfo=TZ),
    )
    await run(
        leaders, settings_for(database_url), iter(daily(date(2026, 6, 1), date(2026, 8, 7), 9, 15))
    )
    [(telegram_id, when, text)] = await queued(leaders, "leader")
    assert telegram_id == NDRC_LEADER
    # July's due day (the 25th) is a Saturday: it moves to Friday the 24th; the leader hears on
    # the next working day.
    assert when == "07-27 09:00"
    assert text.startswith("🔴 <b>逐级督办</b>:市发改委 在【政府工作报告】中有 ")
    assert "已连续 2 个周期亮红灯" in text
    lines = text.splitlines()[1:]
    assert lines and not any(line.startswith("🔴 2. ") for line in lines)


async def test_red_escalation_can_be_turned_off(leaders: Sessions, database_url: str) -> None:
    settings = settings_for(database_url, leader_red_periods=0)
    await run(leaders, settings, iter(daily(date(2026, 6, 1), date(2026, 7, 31), 9)))
    assert await queued(leaders, "leader") == []


async def test_an_unanswered_chase_reaches_the_leader_once(
    leaders: Sessions, database_url: str
) -> None:
    ids = await contact_ids(leaders)
    sent = datetime(2026, 6, 26, 10, tzinfo=TZ)
    async with leaders() as session:
        units = {u.name: u.id for u in (await session.scalars(select(Unit))).all()}
        plan_id = await session.scalar(select(Unit.id))  # any: the period below is the plan's
        from data.models import Plan

        plan_id = await session.scalar(select(Plan.id))
        assert plan_id is not None
        period = await ensure_period(
            session,
            plan_id=plan_id,
            kind="month",
            start=date(2026, 6, 1),
            end=date(2026, 6, 30),
            due=date(2026, 6, 25),
        )
        chased = await add_chases(
            session,
            period_id=period.id,
            recipients=[(units["市发改委"], ids[NDRC]), (units["市财政局"], ids[FINANCE])],
            sent_by=ids[COORD],
            now=sent,
        )
        # 市财政局's liaison pressed 收到.
        await session.execute(
            update(Chase)
            .where(Chase.id == chased[(units["市财政局"], ids[FINANCE])])
            .values(acknowledged_at=sent + timedelta(hours=1))
        )
        await session.commit()
    moments = daily(date(2026, 6, 26), date(2026, 7, 6), 9, 15)
    await run(leaders, settings_for(database_url, leader_red_periods=0), iter(moments))
    [(telegram_id, when, text)] = await queued(leaders, "leader")
    # Sent Friday June 26: Monday 29 and Tuesday 30 are its two working days; Wednesday it is
    # late.
    assert (telegram_id, when) == (NDRC_LEADER, "07-01 09:00")
    assert "督查室 6月26日 向 市发改委 发出的催办,2 个工作日内无人回复“收到”" in text


async def health_liaison_blocked(sessions: Sessions) -> None:
    """市卫健委's only liaison blocked the bot on 2 June."""
    async with sessions() as session:
        await session.execute(
            update(Contact)
            .where(Contact.telegram_id == HEALTH)
            .values(unreachable_at=datetime(2026, 6, 2, tzinfo=TZ))
        )
        await session.commit()


async def test_coverage_warning_once_a_period_names_units_nobody_can_reach(
    city: Sessions,  # noqa: F811 - the fixture
    database_url: str,
) -> None:
    await health_liaison_blocked(city)
    await run(
        city, settings_for(database_url), iter(daily(date(2026, 6, 1), date(2026, 7, 31), 9, 15))
    )
    sent = await queued(city, "coverage")
    assert [(tid, when) for tid, when, _ in sent] == [
        (COORD, "06-17 09:00"),
        (COORD, "07-17 09:00"),
    ]
    june_text = sent[0][2]
    assert june_text.startswith(
        "⚠️ 【政府工作报告】2026年6月报送将于 6月25日 截止(还有 5 个工作日)"
    )
    units = june_text.split("提醒发不出去:")[1]
    assert "市卫健委" in units  # its only liaison blocked the bot
    assert "市商务局" in units  # nobody ever linked
    assert "市发改委" not in units and "市财政局" not in units


async def test_the_digest_names_late_units_nobody_can_reach(
    city: Sessions,  # noqa: F811 - the fixture
    database_url: str,
) -> None:
    await health_liaison_blocked(city)
    await finance_reports(city)
    await run(
        city, settings_for(database_url), iter(daily(date(2026, 6, 26), date(2026, 6, 26), 9))
    )
    [(telegram_id, when, text)] = await queued(city, "digest")
    assert (telegram_id, when) == (COORD, "06-26 09:00")
    late = text.split("\n\n")[0]
    assert "市发改委" in late and "市卫健委" in late and "市财政局" not in late
    unreachable = text.split("以下单位没有可联系的联络员:")[1]
    assert "市卫健委" in unreachable  # its only liaison blocked the bot
    assert "市商务局" in unreachable  # nobody ever linked
    assert "市发改委" not in unreachable

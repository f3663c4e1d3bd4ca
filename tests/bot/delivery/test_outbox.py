"""The outbox: queued in the database, sent under limits, retried, failed, recovered."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bot.delivery.gate import Limits, RateGate
from bot.delivery.queue import Button, Outgoing, queue_message, queue_messages
from bot.delivery.sender import OutboxSender
from bot.notices import notify_blocked
from data.db import make_engine, make_sessionmaker
from data.models import Contact, MessageRef, OutboxBody, OutboxMessage
from data.repo import outbox as repo
from tests.factories.bot import MovableClock
from tests.factories.people import liaison
from tests.factories.plans import load_seed
from tests.harness import TEST_TOKEN, FakeBotAPI

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 6, 10, 10, 0, tzinfo=TZ)


class Instant:
    """A monotonic clock and sleep that never wait: pacing is recorded, not slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    yield FakeBotAPI()


@pytest.fixture
async def sender(
    sessions: Sessions, api: FakeBotAPI, clock: MovableClock
) -> AsyncIterator[OutboxSender]:
    bot = Bot(TEST_TOKEN, request=api, get_updates_request=api)
    await bot.initialize()
    instant = Instant()
    gate = RateGate(30.0, monotonic=instant.monotonic, sleep=instant.sleep)
    yield OutboxSender(
        sessions=sessions,
        bot=bot,
        clock=clock,
        gate=gate,
        limits=Limits(per_chat_interval_s=0.0, max_attempts=3),
    )
    await bot.shutdown()


async def queue(
    sessions: Sessions, chat_id: int, text: str, clock: Callable[[], datetime], **kw: object
) -> None:
    async with sessions() as session:
        message = Outgoing(chat_id=chat_id, text=text, kind="test", **kw)  # type: ignore[arg-type]
        await queue_message(session, message, now=clock())
        await session.commit()


async def states(sessions: Sessions) -> list[tuple[int, str, int, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.chat_id, m.state, m.attempts, m.last_error) for m in rows]


async def test_queued_messages_are_sent_with_their_buttons(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    buttons = [[Button("📝 2", "rp:t:2:5")]]
    await queue(sessions, 11, "<b>第一条</b>", clock, buttons=buttons)
    await queue(sessions, 12, "第二条", clock)
    stats = await sender.drain_once()
    assert stats.sent == 2
    assert api.last_text(11) == "第一条" and api.last_text(12) == "第二条"
    assert api.buttons(api.last_message(11)) == [[("📝 2", "rp:t:2:5")]]
    assert [s[:3] for s in await states(sessions)] == [(11, "sent", 1), (12, "sent", 1)]
    assert (await sender.drain_once()).sent == 0  # nothing is sent twice


async def test_dedupe_key_queues_once(sessions: Sessions, clock: MovableClock) -> None:
    async with sessions() as session:
        message = Outgoing(chat_id=1, text="a", kind="t", dedupe_key="k1")
        first = await queue_message(session, message, now=clock())
        second = await queue_message(session, message, now=clock())
        await session.commit()
    assert (first, second) == (True, False)
    assert len(await states(sessions)) == 1


async def test_many_messages_queued_at_once_are_each_kept_and_sent_as_written(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    """A due day's fan-out: many rows in one go, liaisons sharing one text and its buttons,
    a key queued before skipped, a later message kept for later."""
    buttons = [[Button("📝 2", "rp:t:2:5")]]
    later = clock() + timedelta(hours=1)
    async with sessions() as session:
        await queue_message(
            session, Outgoing(chat_id=9, text="旧", kind="t", dedupe_key="k:9"), now=clock()
        )
        shared = [
            Outgoing(
                chat_id=c,
                text="<b>请报送</b>",
                kind="nudge",
                buttons=buttons,
                dedupe_key=f"k:{c}",
            )
            for c in (7, 8, 9)
        ]
        await queue_messages(
            session,
            [*shared, Outgoing(chat_id=10, text="稍后", kind="t", not_before=later)],
            now=clock(),
        )
        await session.commit()
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        # What the liaisons are told alike is stored once, and each of them names it.
        assert [m.payload is None for m in rows] == [False, True, True, False]
        assert rows[1].body_key == rows[2].body_key is not None
        assert await session.scalar(select(func.count()).select_from(OutboxBody)) == 1
        await repo.load_bodies(session, rows)
        stored = await session.scalar(text("SELECT CAST(payload AS TEXT) FROM outbox_bodies"))
    assert [(m.chat_id, m.kind, m.dedupe_key) for m in rows] == [
        (9, "t", "k:9"),
        (7, "nudge", "k:7"),
        (8, "nudge", "k:8"),
        (10, "t", None),
    ]
    assert (
        rows[1].payload
        == rows[2].payload
        == {
            "text": "<b>请报送</b>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "📝 2", "callback_data": "rp:t:2:5"}]]},
        }
    )
    assert [m.not_before for m in rows] == [clock(), clock(), clock(), later]
    assert [(m.state, m.attempts) for m in rows] == [("queued", 0)] * 4
    assert stored is not None and "请报送" in stored  # Chinese kept as is, not as \u escapes
    assert (await sender.drain_once()).sent == 3  # the later one waits
    assert (api.last_text(7), api.last_text(8), api.last_text(9)) == ("请报送", "请报送", "旧")
    assert api.buttons(api.last_message(8)) == [[("📝 2", "rp:t:2:5")]]


async def test_a_body_nobody_was_queued_with_is_not_kept(
    sessions: Sessions, clock: MovableClock
) -> None:
    """Messages queued one by one before (each with its own payload), then offered again
    together: every one is skipped by its key, and what they would have shared is not kept."""
    buttons = [[Button("📝 2", "rp:t:2:5")]]
    shared = [
        Outgoing(chat_id=c, text="请报送", kind="nudge", buttons=buttons, dedupe_key=f"k:{c}")
        for c in (7, 8)
    ]
    async with sessions() as session:
        for message in shared:
            assert await queue_message(session, message, now=clock())
        await session.commit()
    async with sessions() as session:
        await queue_messages(session, shared, now=clock())
        await session.commit()
        bodies = await session.scalar(select(func.count()).select_from(OutboxBody))
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert bodies == 0
    assert [(m.body_key, m.payload is not None) for m in rows] == [(None, True)] * 2


async def test_429_waits_for_retry_after_without_using_up_attempts(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    await queue(sessions, 21, "限流", clock)
    api.fail_next("sendMessage", status=429, retry_after=7)
    stats = await sender.drain_once()
    assert stats.retried == 1
    async with sessions() as session:
        row = await session.scalar(select(OutboxMessage))
        assert row is not None and row.state == "queued" and row.attempts == 0
        assert row.not_before == START + timedelta(seconds=7)
    assert (await sender.drain_once()).sent == 0  # not due yet
    clock.advance(seconds=7)
    assert (await sender.drain_once()).sent == 1
    assert api.last_text(21) == "限流"


async def test_5xx_backs_off_then_fails_after_max_attempts(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    await queue(sessions, 31, "服务器错误", clock)
    api.fail_next("sendMessage", status=502, description="Bad Gateway", times=None)
    delays = []
    for _ in range(3):
        await sender.drain_once()
        async with sessions() as session:
            row = await session.scalar(select(OutboxMessage))
            assert row is not None
            if row.state == "queued":
                delays.append((row.not_before - clock()).total_seconds())
                clock.now = row.not_before
    assert len(delays) == 2 and 1.0 <= delays[0] <= 1.25 and 2.0 <= delays[1] <= 2.5
    [(_chat, state, attempts, error)] = await states(sessions)
    assert (state, attempts) == ("failed", 3) and "Bad Gateway" in (error or "")


async def test_400_fails_at_once_with_the_reason(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    await queue(sessions, 41, "坏消息", clock)
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    assert (await sender.drain_once()).failed == 1
    [(_, state, _, error)] = await states(sessions)
    assert state == "failed" and "Chat not found".lower() in (error or "").lower()


async def test_403_marks_the_contact_unreachable_and_tells_coordinators(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    await load_seed(sessions, year=2026)
    blocked_id = await liaison(sessions, 51, "市发改委", now=clock(), name="王五")
    await liaison(sessions, 59, now=clock(), coordinator=True, name="督查室")
    seen: list[int | None] = []

    async def on_blocked(message: OutboxMessage) -> None:
        seen.append(message.contact_id)
        async with sessions() as session:
            await notify_blocked(session, contact_id=message.contact_id, now=clock())
            await session.commit()

    sender.on_blocked = on_blocked
    await queue(sessions, 51, "催办", clock, contact_id=blocked_id)
    api.fail_next(
        None, chat_id=51, status=403, description="Forbidden: bot was blocked by the user"
    )
    assert (await sender.drain_once()).blocked == 1
    assert seen == [blocked_id]
    async with sessions() as session:
        contact = await session.get(Contact, blocked_id)
        assert contact is not None and contact.unreachable_at is not None
    await sender.drain_once()
    assert api.last_text(59) == (
        "⚠️ 联络员 王五(市发改委)已屏蔽机器人,消息无法送达。请联系该单位更换联络员或重新邀请。"
    )


async def test_a_crashed_senders_messages_are_retaken_after_the_lease(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    await queue(sessions, 61, "在途消息", clock)
    async with sessions() as session:  # a sender claims it, then dies before sending
        claimed = await repo.claim(session, now=clock(), lease=timedelta(seconds=120), limit=10)
        await session.commit()
    assert len(claimed) == 1
    assert (await sender.drain_once()).sent == 0  # still leased to the dead sender
    clock.advance(seconds=121)
    assert (await sender.drain_once()).sent == 1
    assert len(api.sent_messages(61)) == 1


async def test_per_chat_pacing_defers_the_second_message(
    sessions: Sessions, api: FakeBotAPI, clock: MovableClock
) -> None:
    bot = Bot(TEST_TOKEN, request=api)
    await bot.initialize()
    instant = Instant()
    paced = OutboxSender(
        sessions=sessions,
        bot=bot,
        clock=clock,
        gate=RateGate(30.0, monotonic=instant.monotonic, sleep=instant.sleep),
    )
    await queue(sessions, 71, "一", clock)
    await queue(sessions, 71, "二", clock)
    await queue(sessions, 72, "三", clock)
    await queue(sessions, -1001, "群一", clock)
    await queue(sessions, -1001, "群二", clock)
    stats = await paced.drain_once()
    assert (stats.sent, stats.deferred) == (3, 2)
    # The global gate spaced the sends 1/29 s apart (of 30 places, one is kept for replies).
    assert instant.slept and abs(instant.slept[0] - 1 / 29) < 1e-9
    async with sessions() as session:
        waiting = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.not_before).where(
                OutboxMessage.state == "queued"
            )
        )
        later = {chat: (at - clock()).total_seconds() for chat, at in waiting}
    # A second to the same person, three seconds in a group (20 a minute).
    assert later.keys() == {71, -1001}
    assert 0.9 < later[71] <= 1.0 and 2.9 < later[-1001] <= 3.0
    await bot.shutdown()


async def test_a_sent_message_about_one_task_can_be_replied_to(
    sessions: Sessions, sender: OutboxSender, api: FakeBotAPI, clock: MovableClock
) -> None:
    await load_seed(sessions, year=2026)
    await queue(sessions, 81, "任务 2 提醒", clock, ref={"task_id": 2, "unit_id": None})
    await sender.drain_once()
    message_id = api.last_message(81).message["message_id"]  # type: ignore[index]
    async with sessions() as session:
        ref = await session.get(MessageRef, (81, message_id))
        assert ref is not None and ref.task_id == 2


async def test_a_place_is_held_until_a_second_after_telegrams_answer() -> None:
    # Telegram counts a message when it arrives, somewhere between request and answer.
    instant = Instant()
    gate = RateGate(3.0, reply_reserve_per_s=0, monotonic=instant.monotonic, sleep=instant.sleep)
    starts = []
    for _ in range(4):
        async with gate.place():
            starts.append(instant.now)
            instant.now += 0.2  # the round trip
    # Spaced 1/3 s apart; the fourth waits for the first answer (0.2 s) plus one second, not
    # for the first request plus one second.
    assert starts == pytest.approx([0.0, 1 / 3, 2 / 3, 1.2], abs=1e-5)


async def test_a_place_in_flight_is_held_until_its_answer() -> None:
    instant = Instant()
    gate = RateGate(1.0, reply_reserve_per_s=0, monotonic=instant.monotonic, sleep=instant.sleep)
    answered = asyncio.Event()

    async def slow_send() -> None:
        async with gate.place():
            await answered.wait()

    first = asyncio.create_task(slow_send())
    await asyncio.sleep(0)
    second = asyncio.create_task(gate.place().__aenter__())
    await asyncio.sleep(0.01)
    assert not second.done()  # however long the first is in flight
    instant.now = 5.0
    answered.set()
    await first
    await second
    assert instant.now == pytest.approx(6.0, abs=1e-5)


async def test_replies_take_their_place_at_once_and_the_outbox_keeps_their_reserve() -> None:
    instant = Instant()
    gate = RateGate(3.0, reply_reserve_per_s=1, monotonic=instant.monotonic, sleep=instant.sleep)
    starts = []
    for _ in range(3):
        async with gate.place():
            starts.append(instant.now)
    # Two of the three places for the outbox; the third only when the first one frees up.
    assert starts == pytest.approx([0.0, 0.5, 1.0], abs=1e-5)
    instant.now = 1.2
    async with gate.reply():  # the reserved place: no wait
        assert (instant.now, gate.in_window()) == (1.2, (3, 2))
    instant.now = 1.3
    async with gate.place():
        # At 1.5, when its oldest place frees up: the window holds the reply and two messages.
        assert instant.now == pytest.approx(1.5, abs=1e-5)
        assert gate.in_window() == (3, 2)


async def test_a_reply_waits_for_a_place_rather_than_meet_a_429_and_goes_first() -> None:
    instant = Instant()
    gate = RateGate(2.0, reply_reserve_per_s=0, monotonic=instant.monotonic, sleep=instant.sleep)
    for _ in range(2):
        async with gate.place():
            pass  # the outbox took both places: at 0.0 and 0.5
    instant.now = 0.6
    order: list[tuple[str, float]] = []

    async def outbox() -> None:
        async with gate.place():
            order.append(("outbox", instant.now))

    async def reply() -> None:
        async with gate.reply():
            order.append(("reply", instant.now))

    await asyncio.gather(reply(), outbox())
    # The reply waits for the first place to free up (1.0) and the outbox gives it the turn.
    assert order == [
        ("reply", pytest.approx(1.0, abs=1e-5)),
        ("outbox", pytest.approx(1.5, abs=1e-5)),
    ]


async def test_the_gate_honours_a_pause_that_comes_while_waiting() -> None:
    instant = Instant()
    gate = RateGate(2.0, reply_reserve_per_s=0, monotonic=instant.monotonic, sleep=instant.sleep)

    async def pausing_sleep(seconds: float) -> None:
        instant.now += seconds
        if not pauses:
            pauses.append(seconds)
            gate.pause(3.0)  # a 429 arrives while this send is waiting its turn

    pauses: list[float] = []
    async with gate.place():
        pass
    gate._sleep = pausing_sleep
    start = instant.now
    async with gate.place():
        pass
    assert pauses == [0.5]
    assert instant.now >= start + pauses[0] + 3.0 - 1e-9


def running_clock() -> Callable[[], datetime]:
    """START, then forward in real time (the running sender waits in real time)."""
    origin = time.monotonic()
    return lambda: START + timedelta(seconds=time.monotonic() - origin)


@contextlib.asynccontextmanager
async def running_sender(
    sessions: Sessions,
    api: FakeBotAPI,
    clock: Callable[[], datetime],
    gate: RateGate,
    limits: Limits | None = None,
) -> AsyncIterator[OutboxSender]:
    """OutboxSender.run() as the application runs it, stopped on the way out."""
    bot = Bot(TEST_TOKEN, request=api)
    await bot.initialize()
    sender = OutboxSender(sessions=sessions, bot=bot, clock=clock, gate=gate, limits=limits)
    running = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        sender.stop()
        await running
        await bot.shutdown()


async def wait_for_states(sessions: Sessions, done: Callable[[dict[str, int]], bool]) -> None:
    for _ in range(500):
        async with sessions() as session:
            counts = await repo.counts(session)
        if done(counts):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the outbox did not get there: {counts}")


async def test_the_running_sender_sends_every_message_once_claiming_ahead(
    sessions: Sessions, api: FakeBotAPI
) -> None:
    clock = running_clock()
    for chat in range(1000, 1250):
        await queue(sessions, chat, f"通知 {chat}", clock)
    await queue(sessions, 1000, "第二条", clock)
    api.fail_next("sendMessage", chat_id=1100, status=502, description="Bad Gateway")
    limits = Limits(batch=40, concurrency=4, per_chat_interval_s=0.2, backoff_base_s=0.05)
    async with running_sender(sessions, api, clock, RateGate(10_000.0), limits):
        await wait_for_states(sessions, lambda counts: counts == {"sent": 251})
    delivered = [call.params["chat_id"] for call in api.sent_messages()]
    assert sorted(delivered) == sorted([*range(1000, 1250), 1000])
    assert [call.text for call in api.sent_messages(1000)] == ["通知 1000", "第二条"]
    tries = [c.status for c in api.calls("sendMessage") if c.params["chat_id"] == 1100]
    assert tries == [502, 200]
    async with sessions() as session:
        retried = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == 1100))
        assert retried is not None and retried.attempts == 2


async def test_a_stopped_sender_gives_back_what_it_claimed_but_did_not_send(
    sessions: Sessions, api: FakeBotAPI
) -> None:
    clock = running_clock()
    for chat in range(2000, 2030):
        await queue(sessions, chat, "通知", clock)
    slow = RateGate(10.0, reply_reserve_per_s=0)
    async with running_sender(sessions, api, clock, slow, Limits(batch=20, concurrency=2)):
        await wait_for_states(sessions, lambda counts: counts.get("sent", 0) >= 3)
    rows = await states(sessions)
    sent = [r for r in rows if r[1] == "sent"]
    # Nothing waits for a lapsed lease: the rest is queued again, with no attempt used.
    assert {(state, attempts) for _, state, attempts, _ in rows if state != "sent"} == {
        ("queued", 0)
    }
    assert 3 <= len(sent) < 30
    assert len(api.sent_messages()) == len(sent)
    # A new sender takes up where this one stopped.
    async with running_sender(sessions, api, clock, RateGate(10_000.0)):
        await wait_for_states(sessions, lambda counts: counts == {"sent": 30})
    assert sorted(call.params["chat_id"] for call in api.sent_messages()) == list(
        range(2000, 2030)
    )


async def test_rows_held_through_a_pause_longer_than_their_lease_are_sent_once(
    sessions: Sessions, api: FakeBotAPI
) -> None:
    clock = running_clock()
    for chat in range(3000, 3030):
        await queue(sessions, chat, "通知", clock)
    # A 429 whose retry_after outlasts the lease (120 s in production, 1 s here): the rows in
    # hand must not be claimed a second time while they wait.
    api.fail_next("sendMessage", status=429, retry_after=2)
    limits = Limits(batch=20, concurrency=2, lease=timedelta(seconds=1))
    async with running_sender(sessions, api, clock, RateGate(10_000.0), limits):
        await wait_for_states(sessions, lambda counts: counts == {"sent": 30})
    chats = [call.params["chat_id"] for call in api.sent_messages()]
    assert sorted(chats) == list(range(3000, 3030))


async def test_stop_during_a_429_pause_gives_back_at_once(
    sessions: Sessions, api: FakeBotAPI
) -> None:
    clock = running_clock()
    for chat in range(4000, 4030):
        await queue(sessions, chat, "通知", clock)
    api.fail_next("sendMessage", status=429, retry_after=30)
    async with running_sender(
        sessions, api, clock, RateGate(10_000.0), Limits(batch=20, concurrency=4)
    ):
        for _ in range(500):  # until Telegram said 429 and the others wait for the pause
            if api.calls("sendMessage"):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        stopped = time.monotonic()
    assert time.monotonic() - stopped < 2  # not the 30 s of the pause
    rows = await states(sessions)
    assert {(state, attempts) for _, state, attempts, _ in rows} == {("queued", 0)}
    assert [call.status for call in api.calls("sendMessage")] == [429]


async def test_two_workers_share_the_outbox_without_sending_anything_twice(
    database_url: str, sessions: Sessions, api: FakeBotAPI
) -> None:
    # Two processes' worth of senders (each its own engine and connection pool) on one database,
    # as PRODUCT §8 runs them: claims lock rows (SKIP LOCKED on PostgreSQL), so none is shared.
    clock = running_clock()
    for chat in range(5000, 5300):
        await queue(sessions, chat, "通知", clock)
    other_engine = make_engine(database_url)
    other_api = FakeBotAPI()
    limits = Limits(batch=25, concurrency=4)
    try:
        async with (
            running_sender(sessions, api, clock, RateGate(10_000.0), limits),
            running_sender(
                make_sessionmaker(other_engine), other_api, clock, RateGate(10_000.0), limits
            ),
        ):
            await wait_for_states(sessions, lambda counts: counts == {"sent": 300})
    finally:
        await other_engine.dispose()
    first = [call.params["chat_id"] for call in api.sent_messages()]
    second = [call.params["chat_id"] for call in other_api.sent_messages()]
    assert first and second  # both took part
    assert sorted(first + second) == list(range(5000, 5300))

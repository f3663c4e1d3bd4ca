"""Chasing late units: who has not reported this period, 催办 to their liaisons, 收到."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import callback_data as callbacks
from bot.buttons import task_rows
from bot.calendar.clock import PlanMoment
from bot.delivery.queue import Button, Outgoing, queue_messages
from bot.i18n import Lang, date_text, h, lang_of, t
from bot.tasks_view import short_title
from data.models import Chase, Contact, Plan, Unit
from data.repo import audit
from data.repo.chases import add_chases, get_chase, latest_chases
from data.repo.contacts import Recipient, recipients_by_unit
from data.repo.periods import ensure_period
from data.repo.tasks import duties_of_units, live_task_briefs, reported_pairs
from data.repo.units import units_by_ids


@dataclass
class LateUnit:
    """A lead unit with tasks not reported this period."""

    unit: Unit
    tasks: list[tuple[int, int, str]]  # (task id, number, short title)
    liaisons: list[Recipient]  # the reachable ones
    unreachable: bool
    chase: Chase | None = None


@dataclass
class Late:
    """This period's late units, split by whether anyone can be reached."""

    period_id: int
    moment: PlanMoment
    reachable: list[LateUnit] = field(default_factory=list)
    unreachable: list[LateUnit] = field(default_factory=list)


async def late_units(session: AsyncSession, *, plan: Plan, moment: PlanMoment) -> Late:
    """Lead units owing reports this period, worst first; those no liaison can hear, apart."""
    span = moment.span
    period = await ensure_period(
        session, plan_id=plan.id, kind=span.kind, start=span.start, end=span.end, due=moment.due
    )
    duties = [
        d
        for d in await duties_of_units(session, plan_id=plan.id, unit_ids=None)
        if d.role == "lead"
    ]
    reported = await reported_pairs(session, period_id=period.id)
    tasks = await live_task_briefs(session, plan_id=plan.id)
    owing: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for duty in duties:
        if (duty.task_id, duty.unit_id) not in reported:
            task = tasks[duty.task_id]
            owing[duty.unit_id].append((task.id, task.number, short_title(task.text)))
    units = await units_by_ids(session, ids=owing)
    reachable_by_unit = await recipients_by_unit(session, unit_ids=owing)
    chases = await latest_chases(session, period_id=period.id)
    late = Late(period_id=period.id, moment=moment)
    for unit_id, items in owing.items():
        reachable = reachable_by_unit.get(unit_id, [])
        entry = LateUnit(
            units[unit_id],
            sorted(items, key=lambda i: i[1]),
            reachable,
            unreachable=not reachable,
            chase=chases.get(unit_id),
        )
        (late.unreachable if entry.unreachable else late.reachable).append(entry)
    for group in (late.reachable, late.unreachable):
        group.sort(key=lambda e: (-len(e.tasks), e.unit.name))
    return late


async def chase(
    session: AsyncSession, *, late: Late, unit_ids: list[int], by: Contact, now: datetime
) -> tuple[int, int]:
    """Queue a 催办 (with 收到 and report buttons) to each reachable liaison of the units, and
    show them on `late` (each unit's latest 催办); returns (units, people) chased."""
    wanted = [e for e in late.reachable if e.unit.id in set(unit_ids)]
    recipients = {(e.unit.id, c.id): (e, c) for e in wanted for c in e.liaisons}
    ids = await add_chases(
        session, period_id=late.period_id, recipients=list(recipients), sent_by=by.id, now=now
    )
    messages = []
    for key, (entry, contact) in recipients.items():
        lang = lang_of(contact.language)
        messages.append(
            Outgoing(
                chat_id=contact.chat_id,
                kind="chase",
                contact_id=contact.id,
                text=_chase_text(lang, entry, late.moment),
                buttons=_chase_buttons(lang, entry, ids[key]),
                dedupe_key=f"chase:{ids[key]}",
            )
        )
    await queue_messages(session, messages, now=now)
    latest = await latest_chases(session, period_id=late.period_id)
    for entry in (*late.reachable, *late.unreachable):
        entry.chase = latest.get(entry.unit.id)
    people = len(messages)
    if wanted:
        detail = {"units": [e.unit.name for e in wanted], "people": people}
        audit.by_person(
            session, by, "chase.send", ("period", late.period_id), at=now, detail=detail
        )
    return len(wanted), people


def _chase_text(lang: Lang, entry: LateUnit, moment: PlanMoment) -> str:
    lines = [
        t(
            lang,
            "chase.message",
            unit=h(entry.unit.name),
            count=len(entry.tasks),
            due=date_text(lang, moment.due),
        )
    ]
    lines += [f"• {number}. {h(title)}" for _id, number, title in entry.tasks[:20]]
    return "\n".join(lines)


def _chase_buttons(lang: Lang, entry: LateUnit, chase_id: int) -> list[list[Button]]:
    tasks = ((task_id, entry.unit.id, number) for task_id, number, _title in entry.tasks)
    return [
        [Button(t(lang, "button.ack"), callbacks.ACK(chase_id))],
        *task_rows(tasks, limit=15),
    ]


async def acknowledge(
    session: AsyncSession, *, chase_id: int, contact: Contact, now: datetime
) -> Chase | None:
    """收到: record the first acknowledgement; None if the chase is not this person's."""
    record = await get_chase(session, chase_id=chase_id)
    if record is None or record.contact_id != contact.id:
        return None
    if record.acknowledged_at is None:
        record.acknowledged_at = now
        audit.by_person(session, contact, "chase.ack", ("chase", record.id), at=now)
    return record

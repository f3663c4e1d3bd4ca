"""Chasing late units: who has not reported this period, 催办 to their liaisons, 收到."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from bot import callback_data as callbacks
from bot.buttons import task_rows
from bot.calendar.clock import PlanMoment
from bot.delivery.queue import Button, Outgoing, queue_messages
from bot.i18n import Lang, date_text, h, lang_of, t
from bot.reporting import current_period
from bot.tasks_view import short_title
from data.models import Chase, Contact, Plan
from data.repo import audit
from data.repo.chases import add_chases, get_chase, latest_chases
from data.repo.contacts import recipients_by_unit
from data.repo.late import late_unit_counts, owing_tasks

# Tasks a 催办 lists (its report buttons take the first 15 of them).
CHASE_TASKS = 20


class UnitName(NamedTuple):
    """A unit as /late names it."""

    id: int
    name: str


@dataclass
class LateUnit:
    """A lead unit with tasks not reported this period."""

    unit: UnitName
    count: int  # tasks it has not reported
    unreachable: bool  # no liaison of it can be reached
    chase: Chase | None = None


@dataclass
class Late:
    """This period's late units, split by whether anyone can be reached."""

    plan_id: int
    period_id: int
    moment: PlanMoment
    reachable: list[LateUnit] = field(default_factory=list)
    unreachable: list[LateUnit] = field(default_factory=list)


async def late_units(session: AsyncSession, *, plan: Plan, moment: PlanMoment) -> Late:
    """Lead units owing reports this period, worst first; those no liaison can hear, apart.
    The database counts them (a city's tens of thousands of duties never leave it)."""
    period = await current_period(session, plan=plan, moment=moment)
    counts = await late_unit_counts(session, plan_id=plan.id, period_id=period.id)
    chases = await latest_chases(session, period_id=period.id)
    late = Late(plan_id=plan.id, period_id=period.id, moment=moment)
    for unit_id, name, count, reachable in counts:
        entry = LateUnit(UnitName(unit_id, name), count, not reachable, chases.get(unit_id))
        (late.unreachable if entry.unreachable else late.reachable).append(entry)
    for group in (late.reachable, late.unreachable):
        group.sort(key=lambda e: (-e.count, e.unit.name))
    return late


async def chase(
    session: AsyncSession, *, late: Late, unit_ids: list[int], by: Contact, now: datetime
) -> tuple[int, int]:
    """Queue a 催办 (with 收到 and report buttons) to each reachable liaison of the units, and
    show them on `late` (each unit's latest 催办); returns (units, people) chased."""
    wanted = [e for e in late.reachable if e.unit.id in set(unit_ids)]
    ids_wanted = [e.unit.id for e in wanted]
    liaisons = await recipients_by_unit(session, unit_ids=ids_wanted)
    tasks = await owing_tasks(
        session,
        plan_id=late.plan_id,
        period_id=late.period_id,
        unit_ids=ids_wanted,
        first=CHASE_TASKS,
    )
    recipients = {(e.unit.id, c.id): (e, c) for e in wanted for c in liaisons.get(e.unit.id, [])}
    ids = await add_chases(
        session, period_id=late.period_id, recipients=list(recipients), sent_by=by.id, now=now
    )
    messages = []
    for key, (entry, contact) in recipients.items():
        lang = lang_of(contact.language)
        listed = tasks.get(entry.unit.id, [])
        messages.append(
            Outgoing(
                chat_id=contact.chat_id,
                kind="chase",
                contact_id=contact.id,
                text=_chase_text(lang, entry, listed, late.moment),
                buttons=_chase_buttons(lang, entry, listed, ids[key]),
                dedupe_key=f"chase:{ids[key]}",
            )
        )
    await queue_messages(session, messages, now=now)
    latest = await latest_chases(session, period_id=late.period_id, unit_ids=ids_wanted)
    for entry in wanted:
        entry.chase = latest.get(entry.unit.id, entry.chase)
    people = len(messages)
    if wanted:
        detail = {"units": [e.unit.name for e in wanted], "people": people}
        audit.by_person(
            session, by, "chase.send", ("period", late.period_id), at=now, detail=detail
        )
    return len(wanted), people


def _chase_text(
    lang: Lang, entry: LateUnit, tasks: list[tuple[int, int, str]], moment: PlanMoment
) -> str:
    lines = [
        t(
            lang,
            "chase.message",
            unit=h(entry.unit.name),
            count=entry.count,
            due=date_text(lang, moment.due),
        )
    ]
    lines += [f"• {number}. {h(short_title(text))}" for _id, number, text in tasks]
    return "\n".join(lines)


def _chase_buttons(
    lang: Lang, entry: LateUnit, tasks: list[tuple[int, int, str]], chase_id: int
) -> list[list[Button]]:
    reportable = ((task_id, entry.unit.id, number) for task_id, number, _text in tasks)
    return [
        [Button(t(lang, "button.ack"), callbacks.ACK(chase_id))],
        *task_rows(reportable, limit=15),
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

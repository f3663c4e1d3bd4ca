"""Broadcasts: who an audience reaches, queueing through the outbox, progress and summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import PlanMoment
from bot.chasing import late_units
from bot.delivery.queue import Outgoing, queue_messages
from bot.i18n import Lang, h, lang_of, t
from data.models import (
    Broadcast,
    Contact,
    Plan,
)
from data.repo import audit
from data.repo.broadcasts import active_draft, failure_reasons
from data.repo.contacts import liaisons_by_unit, linked_unit_count, reachable_liaisons
from data.repo.outbox import counts
from data.repo.tasks import duties_of_units, task_ids_where
from data.repo.units import member_ids, resolve_unit, units_by_ids

AUDIENCES = ("all", "late", "section", "tasks", "unit")


@dataclass
class Reach:
    """Who a broadcast reaches, and the units nobody can hear."""

    contacts: list[Contact] = field(default_factory=list)
    units: int = 0
    unreachable_units: list[str] = field(default_factory=list)


async def start(session: AsyncSession, *, by: Contact, chat_id: int, now: datetime) -> Broadcast:
    """A new draft (an older unfinished one is cancelled)."""
    old = await active_draft(session, contact_id=by.id)
    if old is not None:
        old.state = "cancelled"
    draft = Broadcast(
        created_by=by.id,
        chat_id=chat_id,
        state="draft",
        step="audience",
        audience={},
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


async def _unit_ids_for(
    session: AsyncSession,
    *,
    plans: Sequence[tuple[Plan, PlanMoment]],
    every_plan: bool,
    audience: dict[str, object],
) -> tuple[set[int] | None, list[str]]:
    """The unit ids an audience names (None: every linked liaison), plus names nobody hears.
    `plans` are the sender's (a coordinator of some plans reaches only their units)."""
    kind = audience.get("kind")
    chosen = [(p, m) for p, m in plans if p.id == audience.get("plan")] or list(plans)
    if kind == "all" and every_plan:
        return None, []
    if kind in ("all", "late"):
        units: set[int] = set()
        unheard: list[str] = []
        for plan, moment in plans:  # a handful of plans at most
            if kind == "all":
                duties = await duties_of_units(session, plan_id=plan.id, unit_ids=None)
                units |= {d.unit_id for d in duties}
                continue
            late = await late_units(session, plan=plan, moment=moment)
            units |= {e.unit.id for e in late.reachable}
            unheard += [e.unit.name for e in late.unreachable if e.unit.name not in unheard]
        return units, unheard
    plan = chosen[0][0]
    duties = await duties_of_units(session, plan_id=plan.id, unit_ids=None)
    if kind == "section":
        section = int(str(audience.get("section")))
        in_section = await task_ids_where(session, plan_id=plan.id, section=section)
        return {d.unit_id for d in duties if d.task_id in in_section and d.role == "lead"}, []
    if kind == "tasks":
        numbers = {int(n) for n in audience.get("tasks") or []}  # type: ignore[attr-defined]
        wanted = await task_ids_where(session, plan_id=plan.id, numbers=numbers)
        return {d.unit_id for d in duties if d.task_id in wanted}, []
    if kind == "unit":
        unit = await resolve_unit(session, name=str(audience.get("unit")))
        if unit is None:
            return set(), []
        if unit.kind == "collective":
            return await member_ids(session, collective_id=unit.id), []
        return {unit.id}, []
    return set(), []


async def reach(
    session: AsyncSession,
    *,
    plans: Sequence[tuple[Plan, PlanMoment]],
    every_plan: bool,
    audience: dict[str, object],
) -> Reach:
    """The reachable liaisons of an audience (each person once) and the units out of reach."""
    unit_ids, unreachable = await _unit_ids_for(
        session, plans=plans, every_plan=every_plan, audience=audience
    )
    if unit_ids is None:
        contacts = await reachable_liaisons(session)
        return Reach(contacts=contacts, units=await linked_unit_count(session))
    liaisons = await liaisons_by_unit(session, unit_ids=unit_ids)
    names = await units_by_ids(session, ids=unit_ids)
    out = Reach(units=len(unit_ids), unreachable_units=list(unreachable))
    seen: set[int] = set()
    for unit_id in sorted(unit_ids):
        people = liaisons.get(unit_id, [])
        # No liaison, or every one of them blocked the bot: nobody hears this unit.
        if not people and unit_id in names and names[unit_id].name not in out.unreachable_units:
            out.unreachable_units.append(names[unit_id].name)
        for contact in people:
            if contact.id not in seen:
                seen.add(contact.id)
                out.contacts.append(contact)
    return out


def message_text(lang: Lang, text: str) -> str:
    """What recipients see: a header, then the coordinator's text, escaped."""
    return t(lang, "broadcast.header") + "\n" + h(text)


async def send(
    session: AsyncSession,
    *,
    draft: Broadcast,
    reached: Reach,
    by: Contact,
    now: datetime,
    at: datetime | None = None,
) -> int:
    """Queue one outbox message per person (not before `at` when scheduled); returns count."""
    assert draft.text is not None  # noqa: S101 - the conversation asked for it
    await queue_messages(
        session,
        [
            Outgoing(
                chat_id=contact.chat_id,
                kind="broadcast",
                text=message_text(lang_of(contact.language), draft.text),
                contact_id=contact.id,
                batch=f"bc{draft.id}",
                dedupe_key=f"bc{draft.id}:c{contact.id}",
                not_before=at,
            )
            for contact in reached.contacts
        ],
        now=now,
    )
    draft.recipients = len(reached.contacts)
    draft.state = "scheduled" if at is not None else "sending"
    draft.scheduled_at = at
    draft.updated_at = now
    audit.by_person(
        session,
        by,
        "broadcast.send",
        ("broadcast", draft.id),
        at=now,
        detail={
            "audience": draft.audience,
            "recipients": draft.recipients,
            "at": at.isoformat() if at else None,
        },
    )
    return draft.recipients


@dataclass
class Progress:
    """Where a broadcast's delivery stands."""

    total: int
    sent: int
    failed: int
    pending: int
    reasons: Counter[str]

    @property
    def finished(self) -> bool:
        """Nothing is left to send."""
        return self.pending == 0


async def progress(session: AsyncSession, *, broadcast: Broadcast) -> Progress:
    """Counts of the broadcast's outbox rows, and why the failed ones failed."""
    by_state = await counts(session, batch=f"bc{broadcast.id}")
    errors = await failure_reasons(session, batch=f"bc{broadcast.id}")
    reasons: Counter[str] = Counter(_reason(e) for e in errors)
    return Progress(
        total=sum(by_state.values()),
        sent=by_state.get("sent", 0),
        failed=by_state.get("failed", 0),
        pending=by_state.get("queued", 0) + by_state.get("sending", 0),
        reasons=reasons,
    )


def _reason(error: str) -> str:
    return "blocked" if error.startswith("blocked") else "other"

"""The text and buttons of the clock's messages: nudges, reminders and the coordinators' digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import callback_data as callbacks
from bot.buttons import task_rows
from bot.calendar.clock import PlanMoment
from bot.calendar.workdays import Calendar
from bot.delivery.queue import Button, Outgoing
from bot.i18n import LANGUAGES, Lang, date_text, h, t
from bot.settings import Settings
from data.models import Contact
from data.repo.contacts import Recipient
from data.repo.nudges import take
from data.repo.tasks import Duty, TaskBrief, duties_of_units, live_task_briefs

MAX_ITEMS = 25
MAX_BUTTONS = 20
MAX_DIGEST_LINES = 40


@dataclass(frozen=True)
class Item:
    """One task a unit owes."""

    task_id: int
    number: int
    title: str
    unit_id: int
    unit: str
    role: str


@dataclass
class Planned:
    """A message a tick queues (or, in a dry run, would queue)."""

    kind: str
    step: str
    contact: Contact | Recipient
    text: str
    items: list[Item] = field(default_factory=list)


@dataclass
class TickReport:
    """What a tick did."""

    planned: list[Planned] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


async def plan_duties(
    session: AsyncSession, *, plan_id: int
) -> tuple[list[Duty], dict[int, TaskBrief]]:
    """A plan's duties (every unit's, collectives' members included) and live tasks, read once
    per tick: its one transaction sees no change, and a city's plan holds tens of thousands."""
    memo: dict[int, tuple[list[Duty], dict[int, TaskBrief]]]
    memo = session.info.setdefault("tick_plan_duties", {})
    if plan_id not in memo:
        duties = await duties_of_units(session, plan_id=plan_id, unit_ids=None)
        memo[plan_id] = (duties, await live_task_briefs(session, plan_id=plan_id))
    return memo[plan_id]


@dataclass
class TickContext:
    """A tick as the watchers see it: its transaction, what it did so far, and its clock."""

    session: AsyncSession
    report: TickReport
    settings: Settings
    calendar: Calendar
    now: datetime
    dry_run: bool

    async def take(self, keys: dict[str, str]) -> set[str]:
        """Claim keys (a dry run only peeks)."""
        return await take(self.session, keys=keys, now=self.now, dry_run=self.dry_run)

    def message(
        self, person: Contact, kind: str, text: str, key: str, *, document: int | None = None
    ) -> Outgoing:
        """A message for the outbox, noted in the tick's report."""
        self.report.planned.append(Planned(kind, kind, person, text))
        return Outgoing(
            chat_id=person.chat_id,
            text=text,
            kind=kind,
            contact_id=person.id,
            dedupe_key=key,
            document=document,
        )


def headers(key: str, moment: PlanMoment, **values: object) -> dict[Lang, str]:
    """A message's first line in each language; {count} is left to fill per message."""
    out: dict[Lang, str] = {}
    for lang in LANGUAGES:
        shown = {k: date_text(lang, v) if isinstance(v, date) else v for k, v in values.items()}
        due = date_text(lang, moment.due)
        out[lang] = t(
            lang,
            key,
            **{"count": "{count}", "period": moment.span.label(lang), "due": due} | shown,
        )
    return out


Section = tuple[str | None, str, Sequence[Item]]


def render(lang: Lang, sections: Sequence[Section]) -> str:
    """A nudge: for each part (a plan's, named when several), its header and one line per task
    owed (at most MAX_ITEMS), then how to answer."""
    lines: list[str] = []
    for plan, header, items in sections:
        if lines:
            lines.append("")
        if plan is not None:
            lines.append(f"<b>【{h(plan)}】</b>")
        lines += [header, ""]
        for item in items[:MAX_ITEMS]:
            lines.append(
                t(
                    lang,
                    "nudge.item",
                    number=item.number,
                    title=h(item.title),
                    unit=h(item.unit),
                    role=t(lang, f"role.{item.role}"),
                )
            )
        if len(items) > MAX_ITEMS:
            lines.append(t(lang, "nudge.more", count=len(items) - MAX_ITEMS))
    lines += ["", t(lang, "nudge.footer")]
    return "\n".join(lines)


def nudge_buttons(
    lang: Lang, sections: Sequence[Section], snooze: tuple[int, str] | None
) -> list[list[Button]]:
    """A report button per task (at most MAX_BUTTONS; 📝 民生2 when several plans are in the
    message), then 稍后提醒 when it may be snoozed."""
    each = max(1, MAX_BUTTONS // len(sections))  # every plan's part gets its share
    tasks = [
        (item.task_id, item.unit_id, f"{plan[:2]}{item.number}" if plan else item.number)
        for plan, _header, items in sections
        for item in items[:each]
    ]
    rows = task_rows(tasks, limit=MAX_BUTTONS)
    if snooze is not None:
        rows.append([Button(t(lang, "button.snooze"), callbacks.SNOOZE(*snooze))])
    return rows


def digest_text(
    lang: Lang,
    moment: PlanMoment,
    owing: dict[int, list[Item]],
    names: dict[int, str],
    *,
    orphans: Sequence[int],
) -> str:
    """The coordinators' digest after the due day: late units, worst first, and those nobody
    can reach."""
    period = moment.span.label(lang)
    if not owing:
        return t(lang, "digest.none", period=period)
    due = date_text(lang, moment.due)
    lines = [t(lang, "digest.header", period=period, due=due, count=len(owing))]
    ranked = sorted(owing.items(), key=lambda kv: (-len(kv[1]), names[kv[0]]))
    lines += [
        t(lang, "digest.line", unit=h(names[u]), count=len(items))
        for u, items in ranked[:MAX_DIGEST_LINES]
    ]
    if orphans:
        units = "、".join(sorted(names[u] for u in orphans))
        lines += ["", t(lang, "digest.no_liaison", units=h(units))]
    return "\n".join(lines)

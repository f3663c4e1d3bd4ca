"""The automatic bulletin (通报): on the working day after each due day, the plan's coordinators
get the period's bulletin as a Word document, once.

The period is claimed (`bul:p{period}`) in the tick's transaction, the document written (in
the tick's worker process: python-docx never loads in the bot's) and stored once per language
its coordinators read, and a message per coordinator queued in the outbox with it; a restart
or a second worker finds the claim and sends nothing again. Like a nudge, a bulletin missed
while the bot was down goes out when it is back the same day (after that, `duban bulletin
--period` or /bulletin writes it).
"""

from __future__ import annotations

from datetime import datetime

from bot.calendar.clock import PlanMoment, bulletin_day, period_moment
from bot.calendar.periods import previous_period
from bot.calendar.workdays import Calendar
from bot.delivery.queue import Outgoing
from bot.i18n import Lang, full_date_text, h, lang_of, t
from bot.ledger.build import read_ledger
from bot.ledger.model import overview
from bot.lights import DEFAULT_THRESHOLDS
from bot.reporting import current_period
from bot.settings import Settings
from data.models import Plan
from data.repo.bulletins import store_bulletin
from data.repo.coordinators import coordinators
from data.repo.nudges import claimed
from scheduler.messages import TickContext


def _due_moment(
    plan: Plan, moment: PlanMoment, *, settings: Settings, calendar: Calendar, now: datetime
) -> PlanMoment | None:
    """The period whose bulletin day is today (the period in force, or the one before it when
    its due day fell at the end of a month), seen as on that day; None on other days."""
    for span in (moment.span, previous_period(moment.span)):
        if span.year != plan.year:
            continue
        seen = period_moment(plan, span, now=now, tz=settings.tz, calendar=calendar)
        if bulletin_day(seen.due, calendar) == moment.today:
            return seen
    return None


async def due_bulletin(tick: TickContext, plan: Plan, moment: PlanMoment) -> list[Outgoing]:
    """The plan's bulletin if one is due and not yet sent: stored, with a message per
    coordinator to queue in the caller's transaction."""
    session, settings, calendar, now = tick.session, tick.settings, tick.calendar, tick.now
    seen = _due_moment(plan, moment, settings=settings, calendar=calendar, now=now)
    if seen is None:
        return []
    period = await current_period(session, plan=plan, moment=seen)
    key = f"bul:p{period.id}"  # checked first: every tick of the day passes here
    if await claimed(session, keys=[key]) or not await tick.take({key: "bulletin"}):
        return []
    ledger = await read_ledger(
        session,
        plan=plan,
        moment=seen,
        calendar=calendar,
        thresholds=DEFAULT_THRESHOLDS,
        tz=settings.tz,
    )
    people = await coordinators(session, extra_ids=settings.coordinators, plan_id=plan.id)
    if not people:
        return []
    from bot.ledger.bulletin import write_bulletin  # python-docx: in the tick's worker only

    stored: dict[Lang, int] = {}
    out = []
    for person in people:
        lang = lang_of(person.language)
        label = seen.span.label(lang)
        if lang not in stored:
            data = write_bulletin(
                [(ledger, overview(ledger))], lang=lang, office=t(lang, "bulletin.office")
            )
            filename = f"{t(lang, 'bulletin.filename')}-{label}.docx"
            stored[lang] = (
                0
                if tick.dry_run
                else await store_bulletin(
                    session,
                    plan_id=plan.id,
                    period_id=ledger.period_id,
                    lang=lang,
                    filename=filename,
                    data=data,
                    now=now,
                )
            )
        text = t(
            lang,
            "bulletin.auto",
            plan=h(plan.short_name),
            period=label,
            date=full_date_text(lang, seen.today),
        )
        key = f"bulletin:p{ledger.period_id}:c{person.id}"
        out.append(tick.message(person, "bulletin", text, key, document=stored[lang]))
    return out

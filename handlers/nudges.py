"""Answering the scheduler's nudges: 稍后提醒 (snooze) until the next step of the period."""

from __future__ import annotations

from bot.calendar.steps import period_steps
from bot.i18n import date_text
from data.repo import audit
from data.repo.outbox import was_sent_to
from data.repo.periods import plan_of_period
from handlers.access import Member, linked

# The nudges that carry 稍后提醒.
NUDGE_KINDS = ("nudge", "contribution", "deadline")


@linked
async def snooze(req: Member) -> None:
    """稍后提醒 under a nudge: nothing more until the next step, and say when that is."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    plan_id = await plan_of_period(req.session, period_id=parsed.int(0))
    plan = req.plan_of(plan_id) if plan_id is not None else None
    pressed_on = req.pressed_on
    if plan is None or pressed_on is None:
        await req.refuse("callback.stale")
        return
    # Only under a nudge the bot sent this person (a forwarded one, or forged data: nothing).
    if not await was_sent_to(
        req.session,
        contact_id=req.contact.id,
        chat_id=pressed_on.chat_id,
        message_id=pressed_on.message_id,
        kinds=NUDGE_KINDS,
    ):
        await req.refuse("nudge.not_yours")
        return
    moment = req.context.moment(plan)
    steps = period_steps(
        start=moment.opens,
        due=moment.due,
        calendar=req.context.services.calendar,
        warn=req.context.settings.warn_working_days,
    )
    later = [s for s in steps if s.day > moment.today]
    target, detail = ("period", parsed.args[0]), {"step": parsed.args[1]}
    audit.by_person(req.session, req.contact, "nudge.snooze", target, at=req.now(), detail=detail)
    await req.session.commit()
    if later:
        text = req.t("nudge.snoozed", next=date_text(req.lang, later[0].day))
    else:
        text = req.t("nudge.snoozed_last")
    await req.query.answer(text, show_alert=True)

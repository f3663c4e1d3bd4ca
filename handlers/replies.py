"""Replies to the bot's messages about a task: filed as the period's report, then a status."""

from __future__ import annotations

from bot.duties import duty_for
from bot.i18n import h
from bot.reporting import ESCALATE, STATUS_CODES, Refusal, current_period, record_reply, restatus
from bot.validation import TextProblem, check_text
from data.repo.reports import get_report, message_ref
from handlers import keyboards
from handlers.access import Member, linked
from handlers.common import edit_html
from handlers.report import STATUS_CHOICES, escalate_report, named, reporter


async def file_reply(req: Member) -> None:
    """A Telegram reply to a message about one task: the text becomes the period's report."""
    message = req.message
    assert message.reply_to_message is not None  # noqa: S101 - the router checked
    if req.reads_only:
        await req.refuse("leader.read_only")
        return
    ref = await message_ref(
        req.session, chat_id=message.chat_id, message_id=message.reply_to_message.message_id
    )
    if ref is None:
        await req.reply(req.t("report.reply_not_task"))
        return
    # The unit the message was about; else the person's first unit holding the task.
    session, plans, contact = req.session, req.plans, req.contact
    duty = await duty_for(
        session, plans=plans, contact=contact, task_id=ref.task_id, unit_id=ref.unit_id
    ) or await duty_for(session, plans=plans, contact=contact, task_id=ref.task_id)
    if duty is None:
        await req.reply(req.t("report.reply_not_task"))
        return
    checked = check_text(message.text or "")
    if isinstance(checked, TextProblem):
        await req.explain(checked, message.text or "")
        return
    stored = await record_reply(req.session, reporter=reporter(req, duty), text=checked)
    await req.session.commit()
    number = named(req, duty)
    if isinstance(stored, Refusal):
        await req.reply(req.t("report.accepted", number=number))
        return
    await req.reply(
        req.t("report.reply_recorded", number=number, unit=h(duty.unit.name)),
        keyboards.statuses(req.lang, STATUS_CHOICES, reply_to=stored.id),
    )


@linked
async def reply_status(req: Member) -> None:
    """A status button under a recorded reply: a new version with that status."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    report = await get_report(req.session, report_id=parsed.int(0))
    status = STATUS_CODES.get(parsed.args[1])
    if report is None or status is None:
        await req.refuse("callback.stale")
        return
    duty = await duty_for(
        req.session,
        plans=req.plans,
        contact=req.contact,
        task_id=report.task_id,
        unit_id=report.unit_id,
    )
    if duty is None:
        await req.refuse("report.not_yours", number="?")
        return
    result = await restatus(
        req.session,
        report=report,
        status=status,
        contact=req.contact,
        period_id=(
            await current_period(req.session, plan=duty.plan, moment=req.context.moment(duty.plan))
        ).id,
        now=req.now(),
    )
    await req.session.commit()
    number = named(req, duty)
    if isinstance(result, Refusal):
        key = "report.step_over" if result is Refusal.NOT_CURRENT else "report.accepted"
        await req.refuse(key, number=number)
        return
    await req.query.answer()
    if req.pressed_on is not None:
        status_text = req.t(f"status.{status.value}")
        said = req.t("report.reply_status_set", number=number, status=status_text)
        await edit_html(req.pressed_on, said, None)
    if status in ESCALATE and result.id != report.id:
        await escalate_report(req, report=result, duty=duty)

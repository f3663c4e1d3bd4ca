"""Reporting progress: /report and its steps, reply-to-prompt, attachments, /cancel."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update

from bot import callback_data as callbacks
from bot.calendar.steps import period_steps
from bot.context import DubanContext
from bot.duties import Reportable, duty_for, reportable
from bot.escalation import escalate as escalate_to_coordinators
from bot.i18n import Lang, date_text, h, t
from bot.lights import ReportStatus
from bot.reporting import (
    PERCENT_CHOICES,
    STATUS_CODES,
    DraftStep,
    Refusal,
    add_attachment,
    back_to_start,
    begin,
    draft_of,
    is_idle,
    period_of,
    preview,
    record_reply,
    restatus,
    set_percent,
    set_status,
    set_text,
    submit,
)
from bot.tasks_view import short_title
from bot.validation import TextProblem, check_text, parse_percent
from data.models import Plan, Report, ReportDraft
from data.repo import audit
from data.repo.reports import message_ref, remember_message, take_draft
from handlers import broadcast, keyboards, render
from handlers.common import (
    Caller,
    button_press,
    command_args,
    current_plan,
    edit_html,
    identify,
    refuse_text,
    reply,
    typed_number,
)
from handlers.review import handle_reason

log = logging.getLogger(__name__)

STATUS_ORDER = list(STATUS_CODES.items())
STATUS_CHOICES = [(code, status.value) for code, status in STATUS_ORDER]
CODE_OF = {status: code for code, status in STATUS_CODES.items()}


def _role(lang: Lang, role: str) -> str:
    return t(lang, f"role.{role}")


def _percent(lang: Lang, value: int | None) -> str:
    return f"{value}%" if value is not None else t(lang, "report.percent_none")


def step_prompt(
    lang: Lang, draft: ReportDraft, duty: Reportable
) -> tuple[str, InlineKeyboardMarkup]:
    """The message (and buttons) that asks for the draft's current step."""
    status = t(lang, f"status.{draft.status}") if draft.status else ""
    if draft.step == DraftStep.STATUS:
        text = t(
            lang,
            "report.ask_status",
            number=duty.task.number,
            title=h(short_title(duty.task.text)),
            unit=h(duty.unit.name),
            role=_role(lang, duty.role),
        )
        return text, keyboards.statuses(lang, STATUS_CHOICES)
    if draft.step == DraftStep.PERCENT:
        text = t(lang, "report.ask_percent", number=duty.task.number, status=status)
        return text, keyboards.percents(lang, PERCENT_CHOICES)
    text = t(
        lang,
        "report.ask_text",
        number=duty.task.number,
        status=status,
        percent=_percent(lang, draft.percent),
    )
    return text, keyboards.text_step(lang, keep=bool(draft.text))


async def _preview_text(
    session: AsyncSession,
    lang: Lang,
    plan: Plan,
    context: DubanContext,
    draft: ReportDraft,
    duty: Reportable,
) -> str:
    shown = await preview(session, plan=plan, moment=context.moment(plan), draft=draft, duty=duty)
    parts = [
        t(
            lang,
            "report.preview",
            number=duty.task.number,
            title=h(short_title(duty.task.text)),
            unit=h(duty.unit.name),
            role=_role(lang, duty.role),
            status=t(lang, f"status.{shown.status.value}"),
            percent=_percent(lang, shown.percent),
            text=h(shown.text),
            attachments=shown.attachments,
        )
    ]
    if duty.role == "lead":
        parts += ["", t(lang, "report.contributions")]
        for report, unit in shown.contributions:
            parts.append(
                t(
                    lang,
                    "report.contribution_item",
                    unit=h(unit),
                    status=t(lang, f"status.{report.status}"),
                    percent=f" {report.percent}%" if report.percent is not None else "",
                    text=h(report.text[:200]),
                )
            )
        if not shown.contributions:
            parts.append(t(lang, "report.contributions_none"))
    return "\n".join(parts)


async def _load(
    update: Update, context: DubanContext, session: AsyncSession
) -> tuple[Caller, Plan | None, ReportDraft | None]:
    """Who is writing, the plan, and their draft; an idle draft ends here, politely."""
    caller = await identify(update, context, session)
    plan = await current_plan(session)
    draft = await draft_of(session, contact=caller.contact) if caller.contact else None
    timeout = timedelta(minutes=context.settings.conversation_timeout_minutes)
    if draft is not None and is_idle(draft, now=context.now(), timeout=timeout):
        await take_draft(session, draft_id=draft.id)
        await session.commit()
        await reply(
            update,
            t(
                caller.lang,
                "report.timed_out",
                minutes=context.settings.conversation_timeout_minutes,
            ),
        )
        draft = None
    return caller, plan, draft


async def _duty_of_draft(
    session: AsyncSession, plan: Plan, caller: Caller, draft: ReportDraft
) -> Reportable | None:
    assert caller.contact is not None  # noqa: S101 - drafts belong to contacts
    if draft.task_id is None:
        return None
    return await duty_for(
        session, plan=plan, contact=caller.contact, task_id=draft.task_id, unit_id=draft.unit_id
    )


async def report_command(update: Update, context: DubanContext) -> None:
    """/report [N]: pick a task (or go straight to task N), then the steps."""
    args = command_args(context)
    async with context.sessions() as session:
        caller, plan, _draft = await _load(update, context, session)
        if not caller.linked or caller.contact is None or plan is None:
            await reply(update, t(caller.lang, "not_linked"))
            return
        if args:
            number = typed_number(args[0])
            if number is None:
                await reply(update, t(caller.lang, "task.not_number", arg=h(args[0][:20])))
                return
            items = [
                r
                for r in await reportable(session, plan=plan, contact=caller.contact)
                if r.task.number == number
            ]
            if not items:
                await reply(update, t(caller.lang, "report.not_yours", number=number))
                return
            await _begin(update, context, session, caller, plan, items[0], edit=None)
            return
    await _picker(update, context, page=1, edit=None)


async def _picker(
    update: Update, context: DubanContext, *, page: int, edit: Message | None
) -> None:
    async with context.sessions() as session:
        caller, plan, _draft = await _load(update, context, session)
        if caller.contact is None or plan is None:
            await reply(update, t(caller.lang, "not_linked"))
            return
        items = await reportable(session, plan=plan, contact=caller.contact)
    if not items:
        await reply(update, t(caller.lang, "report.none"))
        return
    pages = render.pages_of(len(items))
    page = min(max(page, 1), pages)
    shown = items[(page - 1) * render.PAGE_SIZE : page * render.PAGE_SIZE]
    several_units = len({r.unit.id for r in items}) > 1
    buttons = [
        (
            r.task.id,
            r.unit.id,
            f"{r.task.number}. {short_title(r.task.text, 16)} · {_role(caller.lang, r.role)}"
            + (f" · {r.unit.name}" if several_units else ""),
        )
        for r in shown
    ]
    markup = keyboards.report_picker(caller.lang, buttons, page, pages)
    text = t(caller.lang, "report.pick", page=page, pages=pages)
    if edit is not None:
        await edit_html(edit, text, markup)
    else:
        await reply(update, text, markup)


async def _begin(
    update: Update,
    context: DubanContext,
    session: AsyncSession,
    caller: Caller,
    plan: Plan,
    duty: Reportable,
    *,
    edit: Message | None,
) -> None:
    assert caller.contact is not None  # noqa: S101 - linked callers only
    chat = update.effective_chat
    started = await begin(
        session,
        plan=plan,
        moment=context.moment(plan),
        contact=caller.contact,
        duty=duty,
        chat_id=chat.id if chat else caller.contact.chat_id,
        now=context.now(),
    )
    await session.commit()
    if isinstance(started, Refusal):
        await reply(update, t(caller.lang, "report.accepted", number=duty.task.number))
        return
    text, markup = step_prompt(caller.lang, started, duty)
    if edit is not None:
        await edit_html(edit, text, markup)
    else:
        await reply(update, text, markup)


async def report_callback(update: Update, context: DubanContext) -> None:
    """Every rp:* button: pick, status, percent, keep text, submit, edit, cancel."""
    query, parsed = button_press(update)
    message = query.message if isinstance(query.message, Message) else None
    if parsed is None or message is None:
        await query.answer()
        return
    action = parsed.args[0] if parsed.args else ""
    if action == "p":
        await query.answer()
        await _picker(update, context, page=parsed.int(1), edit=message)
        return
    async with context.sessions() as session:
        caller, plan, draft = await _load(update, context, session)
        if caller.contact is None or plan is None or not caller.linked:
            await query.answer(t(caller.lang, "not_linked"), show_alert=True)
            return
        lang = caller.lang
        if action == "t":
            duty = await duty_for(
                session,
                plan=plan,
                contact=caller.contact,
                task_id=parsed.int(1),
                unit_id=parsed.int(2),
            )
            await query.answer()
            if duty is None:
                await reply(update, t(lang, "report.not_yours", number="?"))
                return
            # From the picker, the steps replace it; under a task's details, they follow it.
            await _begin(
                update,
                context,
                session,
                caller,
                plan,
                duty,
                edit=message if _is_picker(message) else None,
            )
            return
        if action == "x":
            if draft is not None and draft.kind == "report":
                await take_draft(session, draft_id=draft.id)
                await session.commit()
            await query.answer()
            await edit_html(message, t(lang, "report.cancelled"), None)
            return
        if draft is None or draft.kind != "report":
            # The usual cause of a second 提交 is a double tap: say so plainly.
            key = "report.already_submitted" if action == "ok" else "report.step_over"
            await query.answer(t(lang, key), show_alert=True)
            return
        duty = await _duty_of_draft(session, plan, caller, draft)
        if duty is None:
            await take_draft(session, draft_id=draft.id)
            await session.commit()
            await query.answer(t(lang, "report.step_over"), show_alert=True)
            return
        now = context.now()
        expected = {
            "s": DraftStep.STATUS,
            "c": DraftStep.PERCENT,
            "keep": DraftStep.TEXT,
            "ok": DraftStep.PREVIEW,
            "ed": DraftStep.PREVIEW,
        }
        if action in expected and draft.step != expected[action]:
            await query.answer(t(lang, "report.step_over"), show_alert=True)
            return
        if action == "s" and len(parsed.args) > 1 and parsed.args[1] in STATUS_CODES:
            set_status(draft, STATUS_CODES[parsed.args[1]], now)
        elif action == "c" and len(parsed.args) > 1 and parsed.int(1) in PERCENT_CHOICES:
            set_percent(draft, parsed.int(1), now)
        elif action == "keep" and draft.text:
            set_text(draft, draft.text, now)
        elif action == "ed":
            back_to_start(draft, now)
        elif action == "ok":
            await _submit(update, context, session, caller, plan, draft, duty, message)
            return
        else:
            await query.answer(t(lang, "callback.stale"), show_alert=True)
            return
        await session.commit()
        await query.answer()
        if draft.step == DraftStep.PREVIEW:
            text = await _preview_text(session, lang, plan, context, draft, duty)
            await edit_html(message, text, keyboards.preview(lang))
        else:
            text, markup = step_prompt(lang, draft, duty)
            await edit_html(message, text, markup)


async def _submit(
    update: Update,
    context: DubanContext,
    session: AsyncSession,
    caller: Caller,
    plan: Plan,
    draft: ReportDraft,
    duty: Reportable,
    message: Message,
) -> None:
    query = update.callback_query
    assert query is not None and caller.contact is not None  # noqa: S101
    result = await submit(
        session,
        plan=plan,
        moment=context.moment(plan),
        draft=draft,
        duty=duty,
        contact=caller.contact,
        now=context.now(),
    )
    await session.commit()
    if result is Refusal.ALREADY_SUBMITTED:
        await query.answer(t(caller.lang, "report.already_submitted"), show_alert=True)
        return
    if isinstance(result, Refusal):
        await query.answer()
        await edit_html(message, t(caller.lang, "report.accepted", number=duty.task.number), None)
        return
    await query.answer()
    await edit_html(message, t(caller.lang, "report.submitted", number=duty.task.number), None)
    if result.escalate:
        await escalate(context, session, result.report, duty, caller)


async def escalate(
    context: DubanContext,
    session: AsyncSession,
    report: Report,
    duty: Reportable,
    caller: Caller,
) -> None:
    """受阻 / 需协调: every coordinator hears at once, with the text and review buttons."""
    assert caller.contact is not None  # noqa: S101 - reports come from contacts
    await escalate_to_coordinators(
        session,
        report=report,
        duty=duty,
        sender=caller.contact,
        extra_coordinators=context.settings.coordinators,
        now=context.now(),
    )
    await session.commit()
    context.services.wake_outbox()


async def snooze(update: Update, context: DubanContext) -> None:
    """稍后提醒 under a nudge: nothing more until the next step, and say when that is."""
    query, parsed = button_press(update)
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        plan = await current_plan(session)
        if caller.contact is None or plan is None:
            await query.answer(t(caller.lang, "not_linked"), show_alert=True)
            return
        moment = context.moment(plan)
        steps = period_steps(
            start=moment.span.start,
            due=moment.due,
            calendar=context.services.calendar,
            warn=context.settings.warn_working_days,
        )
        later = [s for s in steps if s.day > moment.today]
        audit.record(
            session,
            at=context.now(),
            **audit.by(caller.contact),
            action="nudge.snooze",
            entity="period",
            entity_id=parsed.args[0],
            detail={"step": parsed.args[1]},
        )
        await session.commit()
    if later:
        await query.answer(
            t(caller.lang, "nudge.snoozed", next=date_text(caller.lang, later[0].day)),
            show_alert=True,
        )
    else:
        await query.answer(t(caller.lang, "nudge.snoozed_last"), show_alert=True)


async def text_input(update: Update, context: DubanContext) -> None:
    """Typed text: the draft's percent or text step, a return reason, or a reply to a prompt."""
    message = update.effective_message
    assert message is not None and message.text is not None  # noqa: S101 - TEXT filter
    async with context.sessions() as session:
        caller, plan, draft = await _load(update, context, session)
        if caller.contact is None or plan is None or not caller.linked:
            await reply(update, t(caller.lang, "not_linked"))
            return
        lang = caller.lang
        if await broadcast.handle_text(update, context, session, caller, message.text):
            return
        if draft is not None and draft.kind == "return":
            await handle_reason(update, context, session, caller, draft, message.text)
            return
        if draft is not None and draft.step in (DraftStep.PERCENT, DraftStep.TEXT):
            duty = await _duty_of_draft(session, plan, caller, draft)
            if duty is None:
                await take_draft(session, draft_id=draft.id)
                await session.commit()
                await reply(update, t(lang, "report.step_over"))
                return
            now = context.now()
            if draft.step == DraftStep.PERCENT:
                value = parse_percent(message.text)
                if value is None:
                    await reply(update, t(lang, "report.bad_percent", value=h(message.text[:20])))
                    return
                set_percent(draft, value, now)
                await session.commit()
                text, markup = step_prompt(lang, draft, duty)
                await reply(update, text, markup)
                return
            checked = check_text(message.text)
            if isinstance(checked, TextProblem):
                await refuse_text(update, lang, checked, message.text)
                draft.updated_at = now
                await session.commit()
                return
            set_text(draft, checked, now)
            await session.commit()
            await reply(
                update,
                await _preview_text(session, lang, plan, context, draft, duty),
                keyboards.preview(lang),
            )
            return
        if message.reply_to_message is not None:
            await _reply_to_prompt(update, context, session, caller, plan, message)
            return
    await reply(update, t(lang, "report.no_draft_text"))


async def _reply_to_prompt(
    update: Update,
    context: DubanContext,
    session: AsyncSession,
    caller: Caller,
    plan: Plan,
    message: Message,
) -> None:
    """A Telegram reply to a message about one task: the text becomes the period's report."""
    assert caller.contact is not None and message.reply_to_message is not None  # noqa: S101
    lang = caller.lang
    ref = await message_ref(
        session, chat_id=message.chat_id, message_id=message.reply_to_message.message_id
    )
    if ref is None:
        await reply(update, t(lang, "report.reply_not_task"))
        return
    duty = await duty_for(
        session, plan=plan, contact=caller.contact, task_id=ref.task_id, unit_id=ref.unit_id
    )
    if duty is None:
        duty = await duty_for(session, plan=plan, contact=caller.contact, task_id=ref.task_id)
    if duty is None:
        await reply(update, t(lang, "report.reply_not_task"))
        return
    checked = check_text(message.text or "")
    if isinstance(checked, TextProblem):
        await refuse_text(update, lang, checked, message.text or "")
        return
    stored = await record_reply(
        session,
        plan=plan,
        moment=context.moment(plan),
        duty=duty,
        contact=caller.contact,
        text=checked,
        now=context.now(),
    )
    await session.commit()
    if isinstance(stored, Refusal):
        await reply(update, t(lang, "report.accepted", number=duty.task.number))
        return
    await reply(
        update,
        t(lang, "report.reply_recorded", number=duty.task.number, unit=h(duty.unit.name)),
        keyboards.statuses(lang, STATUS_CHOICES, reply_to=stored.id),
    )


async def reply_status(update: Update, context: DubanContext) -> None:
    """A status button under a recorded reply: a new version with that status."""
    query, parsed = button_press(update)
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        plan = await current_plan(session)
        report = await session.get(Report, parsed.int(0))
        status = STATUS_CODES.get(parsed.args[1])
        if caller.contact is None or plan is None or report is None or status is None:
            await query.answer(t(caller.lang, "callback.stale"), show_alert=True)
            return
        duty = await duty_for(
            session,
            plan=plan,
            contact=caller.contact,
            task_id=report.task_id,
            unit_id=report.unit_id,
        )
        if duty is None:
            await query.answer(t(caller.lang, "report.not_yours", number="?"), show_alert=True)
            return
        result = await restatus(
            session,
            report=report,
            status=status,
            contact=caller.contact,
            period_id=await period_of(session, plan=plan, moment=context.moment(plan)),
            now=context.now(),
        )
        await session.commit()
        if result is Refusal.NOT_CURRENT:
            await query.answer(t(caller.lang, "report.step_over"), show_alert=True)
            return
        if isinstance(result, Refusal):
            await query.answer(
                t(caller.lang, "report.accepted", number=duty.task.number), show_alert=True
            )
            return
        await query.answer()
        message = query.message if isinstance(query.message, Message) else None
        if message is not None:
            await edit_html(
                message,
                t(
                    caller.lang,
                    "report.reply_status_set",
                    number=duty.task.number,
                    status=t(caller.lang, f"status.{status.value}"),
                ),
                None,
            )
        if status in (ReportStatus.BLOCKED, ReportStatus.NEEDS_COORDINATION) and (
            result.id != report.id
        ):
            await escalate(context, session, result, duty, caller)


async def media_input(update: Update, context: DubanContext) -> None:
    """A photo or document: evidence for the draft at its text or preview step."""
    message = update.effective_message
    assert message is not None  # noqa: S101 - registered for messages
    async with context.sessions() as session:
        caller, plan, draft = await _load(update, context, session)
        if caller.contact is None or plan is None or not caller.linked:
            await reply(update, t(caller.lang, "not_linked"))
            return
        lang = caller.lang
        if (
            draft is None
            or draft.kind != "report"
            or draft.step not in (DraftStep.TEXT, DraftStep.PREVIEW)
        ):
            await reply(
                update,
                t(lang, "report.attachment_not_now")
                if draft is not None
                else t(lang, "report.no_draft_text"),
            )
            return
        attachment = _attachment_of(message)
        if attachment is None:
            await reply(update, t(lang, "report.text_expected"))
            return
        limit = context.settings.max_attachment_mb
        size = int(attachment.get("size") or 0)
        if size > limit * 1024 * 1024:
            await reply(
                update,
                t(
                    lang,
                    "report.attachment_too_big",
                    size=f"{size / 1024 / 1024:.1f}",
                    limit=limit,
                ),
            )
            return
        add_attachment(draft, attachment, context.now())
        await session.commit()
        await reply(update, t(lang, "report.attachment_added", count=len(draft.attachments)))
        if draft.step == DraftStep.PREVIEW:
            duty = await _duty_of_draft(session, plan, caller, draft)
            if duty is not None:
                await reply(
                    update,
                    await _preview_text(session, lang, plan, context, draft, duty),
                    keyboards.preview(lang),
                )


def _is_picker(message: Message) -> bool:
    markup = message.reply_markup
    if markup is None:
        return False
    return any(
        isinstance(b.callback_data, str) and b.callback_data == callbacks.report_action("x")
        for row in markup.inline_keyboard
        for b in row
    )


def _attachment_of(message: Message) -> dict[str, Any] | None:
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        return {
            "kind": "photo",
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "file_name": None,
            "mime_type": "image/jpeg",
            "size": photo.file_size,
        }
    if message.document:
        doc = message.document
        return {
            "kind": "document",
            "file_id": doc.file_id,
            "file_unique_id": doc.file_unique_id,
            "file_name": (doc.file_name or "")[:255] or None,
            "mime_type": doc.mime_type,
            "size": doc.file_size,
        }
    return None


async def other_input(update: Update, context: DubanContext) -> None:
    """Stickers, voice and the like: not a report text; say what is expected."""
    async with context.sessions() as session:
        caller, _plan, draft = await _load(update, context, session)
    if draft is not None and draft.step in (DraftStep.TEXT, DraftStep.PERCENT, DraftStep.REASON):
        await reply(update, t(caller.lang, "report.text_expected"))
    else:
        await reply(update, t(caller.lang, "report.no_draft_text"))


async def edited_input(update: Update, context: DubanContext) -> None:
    """An edit of a message sent earlier changes nothing already taken; with a conversation in
    progress, say so (and how to change the text), otherwise stay quiet."""
    async with context.sessions() as session:
        caller, _plan, draft = await _load(update, context, session)
    if draft is not None:
        key = (
            "report.edit_in_preview" if draft.step == DraftStep.PREVIEW else "report.edit_ignored"
        )
        await reply(update, t(caller.lang, key))


async def cancel_command(update: Update, context: DubanContext) -> None:
    """/cancel: end whatever conversation is in progress."""
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        draft = await draft_of(session, contact=caller.contact) if caller.contact else None
        if draft is not None:
            await take_draft(session, draft_id=draft.id)
            await session.commit()
    await reply(
        update, t(caller.lang, "report.cancelled" if draft else "report.nothing_to_cancel")
    )


async def remember(
    context: DubanContext,
    message: Message | None,
    task_id: int,
    unit_id: int | None,
    kind: str,
) -> None:
    """Note that a sent message is about a task, so a reply to it can be filed."""
    if message is None:
        return
    async with context.sessions() as session:
        await remember_message(
            session,
            chat_id=message.chat_id,
            message_id=message.message_id,
            task_id=task_id,
            unit_id=unit_id,
            kind=kind,
            now=context.now(),
        )
        await session.commit()

"""The report wizard: /report, its rp:* buttons and typed steps, evidence, and /cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Document, InlineKeyboardMarkup, Message, PhotoSize

from bot import callback_data as callbacks
from bot.duties import Reportable, duty_for, reportable
from bot.escalation import escalate
from bot.i18n import Lang, h, t
from bot.reporting import (
    MAX_ATTACHMENTS,
    PERCENT_CHOICES,
    STATUS_CODES,
    DraftStep,
    Refusal,
    Reporter,
    add_attachment,
    back_to_start,
    begin,
    button_fits,
    doubtful_percent,
    draft_of,
    is_idle,
    percent_pressed,
    preview,
    set_percent,
    set_status,
    set_text,
    submit,
)
from bot.tasks_view import short_title
from bot.validation import TextProblem, check_text, parse_percent
from data.models import Report, ReportDraft
from data.repo.imports import cancel_imports
from data.repo.reports import take_draft
from handlers import keyboards, render, report_targets
from handlers.access import Member, Request, anyone, linked
from handlers.common import show, task_number
from handlers.tasks import which_task

STATUS_CHOICES = [(code, status.value) for code, status in STATUS_CODES.items()]


def step_prompt(
    lang: Lang, draft: ReportDraft, duty: Reportable, *, number: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The message (and buttons) that asks for the draft's current step; `number` is how the
    task is named (民生实事·2 when several plans are open)."""
    status = t(lang, f"status.{draft.status}") if draft.status else ""
    if draft.step == DraftStep.STATUS:
        text = t(
            lang,
            "report.ask_status",
            number=number,
            title=h(short_title(duty.task.text)),
            unit=h(duty.unit.name),
            role=render.role_text(lang, duty.role),
        )
        return text, keyboards.statuses(lang, STATUS_CHOICES)
    if draft.step == DraftStep.PERCENT:
        text = t(lang, "report.ask_percent", number=number, status=status)
        return text, keyboards.percents(lang, PERCENT_CHOICES)
    percent = render.percent_text(lang, draft.percent)
    text = t(lang, "report.ask_text", number=number, status=status, percent=percent)
    return text, keyboards.text_step(lang, keep=bool(draft.text))


def _done_question(
    req: Member, draft: ReportDraft, duty: Reportable, percent: int
) -> tuple[str, InlineKeyboardMarkup]:
    """Ask whether a report 已完成 really stands at `percent` (the draft stays at the step)."""
    text = req.t("report.done_percent", number=named(req, duty), percent=percent)
    return text, keyboards.done_percent(req.lang, percent)


def named(req: Member, duty: Reportable) -> str:
    """How a duty's task is named to the person: 2, or 民生实事·2 when several plans are open."""
    return task_number(duty.plan.short_name, duty.task.number, several=req.several)


def reporter(req: Member, duty: Reportable) -> Reporter:
    """The caller reporting on one of their duties, now."""
    moment = req.context.moment(duty.plan)
    return Reporter(contact=req.contact, duty=duty, plan=duty.plan, moment=moment, now=req.now())


async def _preview_text(req: Member, draft: ReportDraft, duty: Reportable) -> str:
    shown = await preview(req.session, reporter=reporter(req, duty), draft=draft)
    return render.report_preview(req.lang, shown)


async def conversation(req: Request) -> ReportDraft | None:
    """The caller's report (or return-reason) draft; one left idle too long ends here, and
    they are told."""
    contact = req.caller.contact
    draft = await draft_of(req.session, contact=contact) if contact else None
    minutes = req.context.settings.conversation_timeout_minutes
    if draft is not None and is_idle(draft, now=req.now(), timeout=timedelta(minutes=minutes)):
        await take_draft(req.session, draft_id=draft.id)
        await req.session.commit()
        await req.reply(req.t("report.timed_out", minutes=minutes))
        return None
    return draft


async def _duty_of_draft(req: Member, draft: ReportDraft) -> Reportable | None:
    """The duty a draft is about, if the person (still) has it."""
    if draft.task_id is None:
        return None
    return await duty_for(
        req.session,
        plans=req.plans,
        contact=req.contact,
        task_id=draft.task_id,
        unit_id=draft.unit_id,
    )


@linked
async def report_command(req: Member) -> None:
    """/report [N]: pick a task (or go straight to task N), then the steps."""
    if req.reads_only:
        await req.refuse("leader.read_only")
        return
    await conversation(req)  # only to end an idle one, as every step does
    if not req.args:
        await _picker(req, page=1, edit=None)
        return
    found = await which_task(req, req.args, example="/report 12")
    if found is None:
        return
    plan, task_id = found
    duty = await duty_for(req.session, plans=[plan], contact=req.contact, task_id=task_id)
    if duty is None:
        await req.reply(req.t("report.not_yours", number=req.args[-1][:10]))
        return
    await _begin(req, duty, edit=None)


async def _picker(req: Member, *, page: int, edit: Message | None) -> None:
    """The tasks the person may report on, a page of buttons at a time."""
    items = await reportable(req.session, plans=req.plans, contact=req.contact)
    if not items:
        await req.reply(req.t("report.none"))
        return
    pages = render.pages_of(len(items))
    page = min(max(page, 1), pages)
    shown = items[(page - 1) * render.PAGE_SIZE : page * render.PAGE_SIZE]
    several_units = len({r.unit.id for r in items}) > 1
    buttons = [
        (
            r.task.id,
            r.unit.id,
            _picker_label(req.lang, r, with_unit=several_units, with_plan=req.several),
        )
        for r in shown
    ]
    markup = keyboards.report_picker(req.lang, buttons, page, pages)
    await show(req.update, req.t("report.pick", page=page, pages=pages), markup, edit=edit)


def _picker_label(lang: Lang, duty: Reportable, *, with_unit: bool, with_plan: bool) -> str:
    """A picker button: number, short title and role (and the unit, for several units; the
    plan, for several plans)."""
    label = f"{duty.task.number}. {short_title(duty.task.text, 16)}"
    if with_plan:
        label = f"{duty.plan.short_name[:4]} {label}"
    label += f" · {render.role_text(lang, duty.role)}"
    return label + (f" · {duty.unit.name}" if with_unit else "")


async def _begin(req: Member, duty: Reportable, *, edit: Message | None) -> None:
    """Start the steps on a duty (or say its report is accepted and final)."""
    chat_id = req.chat_id or req.contact.chat_id
    started = await begin(req.session, reporter=reporter(req, duty), chat_id=chat_id)
    await req.session.commit()
    if isinstance(started, Refusal):
        await req.reply(req.t("report.accepted", number=named(req, duty)))
        return
    prompt = step_prompt(req.lang, started, duty, number=named(req, duty))
    await show(req.update, *prompt, edit=edit)


@linked
async def report_callback(req: Member) -> None:
    """Every rp:* button: pick, status, percent, keep text, submit, edit, cancel."""
    parsed, message = req.data, req.pressed_on
    if parsed is None or message is None:
        await req.query.answer()
        return
    if req.reads_only:
        await req.refuse("leader.read_only")
        return
    action = parsed.args[0] if parsed.args else ""
    draft = await conversation(req)
    if action == "p":
        await req.query.answer()
        await _picker(req, page=parsed.int(1), edit=message)
    elif action == "t":
        await _pick_task(req, task_id=parsed.int(1), unit_id=parsed.int(2), message=message)
    elif action == "x":
        if draft is not None and draft.kind == "report":
            await take_draft(req.session, draft_id=draft.id)
            await req.session.commit()
        await req.query.answer()
        await show(req.update, req.t("report.cancelled"), None, edit=message)
    else:
        await _step(req, draft=draft, action=action, value=parsed.args[1:], message=message)


async def _pick_task(req: Member, *, task_id: int, unit_id: int, message: Message) -> None:
    """报送进展 (or a picker button): start the steps on that task for that unit."""
    duty = await duty_for(
        req.session, plans=req.plans, contact=req.contact, task_id=task_id, unit_id=unit_id
    )
    await req.query.answer()
    if duty is None:
        await req.reply(req.t("report.not_yours", number="?"))
        return
    # From the picker, the steps replace it; under a task's details, they follow it.
    await _begin(req, duty, edit=message if _is_picker(message) else None)


async def _step(
    req: Member,
    *,
    draft: ReportDraft | None,
    action: str,
    value: tuple[str, ...],
    message: Message,
) -> None:
    """A button of the draft's steps: status, percent, keep text, edit, submit."""
    if draft is None or draft.kind != "report":
        # The usual cause of a second 提交 is a double tap: say so plainly.
        await req.refuse("report.already_submitted" if action == "ok" else "report.step_over")
        return
    duty = await _duty_of_draft(req, draft)
    if duty is None:
        await take_draft(req.session, draft_id=draft.id)
        await req.session.commit()
        await req.refuse("report.step_over")
        return
    if not button_fits(action, draft.step):
        await req.refuse("report.step_over")
        return
    now = req.now()
    if action == "s" and value and value[0] in STATUS_CODES:
        set_status(draft, STATUS_CODES[value[0]], now)
    elif action == "c" and value and percent_pressed(value):
        percent = int(value[0])
        if doubtful_percent(draft, percent) and value[1:] != ("y",):
            await req.query.answer()
            await show(req.update, *_done_question(req, draft, duty, percent), edit=message)
            return
        set_percent(draft, percent, now)
        await report_targets.after_percent(req, draft, duty)
    elif action == "skip" and value:
        if not await report_targets.skip(req, draft, duty, int(value[0])):
            await req.refuse("report.step_over")
            return
    elif action == "keep" and draft.text:
        set_text(draft, draft.text, now)
    elif action == "ed":
        back_to_start(draft, now)
    elif action == "ok":
        await _submit(req, draft=draft, duty=duty, message=message)
        return
    else:
        await req.refuse("callback.stale")
        return
    await req.session.commit()
    await req.query.answer()
    await _show_step(req, draft=draft, duty=duty, edit=message)


async def _show_step(
    req: Member, *, draft: ReportDraft, duty: Reportable, edit: Message | None, note: str = ""
) -> None:
    """Ask for the draft's step, or show the preview to confirm once every step is done;
    `note` (what was just recorded) goes first."""
    if draft.step == DraftStep.TARGET:
        number = named(req, duty)
        text, markup = await report_targets.prompt(req, draft, duty, number=number)
    elif draft.step == DraftStep.PREVIEW:
        text, markup = await _preview_text(req, draft, duty), keyboards.preview(req.lang)
    else:
        text, markup = step_prompt(req.lang, draft, duty, number=named(req, duty))
    await show(req.update, f"{note}\n{text}" if note else text, markup, edit=edit)


async def _submit(req: Member, *, draft: ReportDraft, duty: Reportable, message: Message) -> None:
    """提交: store the report; 受阻 / 需协调 reach every coordinator at once."""
    result = await submit(req.session, reporter=reporter(req, duty), draft=draft)
    await req.session.commit()
    if result is Refusal.ALREADY_SUBMITTED:
        await req.refuse("report.already_submitted")
        return
    await req.query.answer()
    key = "report.accepted" if isinstance(result, Refusal) else "report.submitted"
    await show(req.update, req.t(key, number=named(req, duty)), None, edit=message)
    if not isinstance(result, Refusal) and result.escalate:
        await escalate_report(req, report=result.report, duty=duty)


async def escalate_report(req: Member, *, report: Report, duty: Reportable) -> None:
    """Tell every coordinator of a 受阻 / 需协调 report (through the outbox)."""
    settings = req.context.settings
    await escalate(
        req.session,
        report=report,
        duty=duty,
        sender=req.contact,
        extra_coordinators=settings.coordinators,
        now=req.now(),
    )
    await req.queued()


async def take_text(req: Member, draft: ReportDraft, raw: str) -> None:
    """Typed text at the percent, a target's or the text step: the percent, the target's
    value, or the report's text."""
    duty = await _duty_of_draft(req, draft)
    if duty is None:
        await take_draft(req.session, draft_id=draft.id)
        await req.session.commit()
        await req.reply(req.t("report.step_over"))
        return
    now, note = req.now(), ""
    if draft.step == DraftStep.PERCENT:
        value = parse_percent(raw)
        if value is None:
            await req.reply(req.t("report.bad_percent", value=h(raw[:20])))
            return
        if doubtful_percent(draft, value):
            draft.updated_at = now
            await req.session.commit()
            await req.reply(*_done_question(req, draft, duty, value))
            return
        set_percent(draft, value, now)
        await report_targets.after_percent(req, draft, duty)
    elif draft.step == DraftStep.TARGET:
        taken = await report_targets.take_value(req, draft, duty, raw)
        if taken is None:
            draft.updated_at = now
            await req.session.commit()
            return
        note = taken
    else:
        checked = check_text(raw)
        if isinstance(checked, TextProblem):
            await req.explain(checked, raw)
            draft.updated_at = now
            await req.session.commit()
            return
        set_text(draft, checked, now)
    await req.session.commit()
    await _show_step(req, draft=draft, duty=duty, edit=None, note=note)


async def take_attachment(req: Member, draft: ReportDraft) -> None:
    """A photo or document at the text or preview step: evidence, within the size limit and
    the number a report may carry; its caption, at the text step, is the report's text."""
    attachment = _attachment_of(req.message)
    if attachment is None:
        await req.reply(req.t("report.text_expected"))
        return
    if len(draft.attachments) >= MAX_ATTACHMENTS:
        await req.reply(req.t("report.attachments_full", limit=MAX_ATTACHMENTS))
        return
    limit = req.context.settings.max_attachment_mb
    size = int(attachment.get("size") or 0)
    if size > limit * 1024 * 1024:
        mb = f"{size / 1024 / 1024:.1f}"
        await req.reply(req.t("report.attachment_too_big", size=mb, limit=limit))
        return
    now = req.now()
    add_attachment(draft, attachment, now)
    caption = req.message.caption
    checked = check_text(caption) if caption and draft.step == DraftStep.TEXT else None
    if checked is not None and not isinstance(checked, TextProblem):
        set_text(draft, checked, now)
    await req.session.commit()
    count = len(draft.attachments)
    key = "report.attachment_added" if count < MAX_ATTACHMENTS else "report.attachment_last"
    await req.reply(req.t(key, count=count, limit=MAX_ATTACHMENTS))
    if isinstance(checked, TextProblem):
        assert caption is not None  # noqa: S101 - checked only when there is one
        await req.explain(checked, caption)
    elif caption and checked is None:
        await req.reply(req.t("report.caption_ignored"))
    if draft.step == DraftStep.PREVIEW:
        duty = await _duty_of_draft(req, draft)
        if duty is not None:
            await _show_step(req, draft=draft, duty=duty, edit=None)


@anyone
async def cancel_command(req: Request) -> None:
    """/cancel: end whatever conversation is in progress."""
    contact = req.caller.contact
    draft = await draft_of(req.session, contact=contact) if contact else None
    if draft is not None:
        await take_draft(req.session, draft_id=draft.id)
    # A plan import waiting for its file, or previewed, ends too.
    imported = (
        contact is not None
        and req.caller.coordinator
        and await cancel_imports(req.session, contact_id=contact.id, now=req.now())
    )
    if draft is not None or imported:
        await req.session.commit()
    key = "report.cancelled" if draft else "import.cancelled" if imported else ""
    await req.reply(req.t(key or "report.nothing_to_cancel"))


def _is_picker(message: Message) -> bool:
    """Whether a message is the task picker (it has a report's 取消)."""
    markup = message.reply_markup
    if markup is None:
        return False
    cancel = callbacks.REPORT("x")
    return any(b.callback_data == cancel for row in markup.inline_keyboard for b in row)


def _attachment_of(message: Message) -> dict[str, Any] | None:
    """A photo (its largest size) or document as stored evidence; None for anything else."""
    file: PhotoSize | Document
    name: str | None
    mime: str | None
    if message.photo:
        file, kind, name, mime = message.photo[-1], "photo", None, "image/jpeg"
    elif message.document:
        file = message.document
        kind, name, mime = "document", (file.file_name or "")[:255] or None, file.mime_type
    else:
        return None
    return {
        "kind": kind,
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_name": name,
        "mime_type": mime,
        "size": file.file_size,
    }

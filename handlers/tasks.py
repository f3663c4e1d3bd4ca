"""Seeing the plans: /mytasks with pages, a task's details, and /task N (in which plan)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import h
from bot.plan.names import find_plan, task_ref
from bot.tasks_view import Viewer, my_desk, task_details
from data.models import Plan
from data.repo.reports import remember_message
from data.repo.tasks import count_tasks, numbered, plan_of_task
from handlers import keyboards, render
from handlers.access import Member, linked
from handlers.common import edit_html


def _viewer(req: Member) -> Viewer:
    services = req.context.services
    return Viewer(
        contact=req.contact,
        now=req.now(),
        calendar=services.calendar,
        thresholds=services.thresholds,
        tz=req.context.settings.tz,
        coordinator=req.caller.coordinator,
    )


async def _page(req: Member, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the person's tasks in every open plan, with their buttons and ◀ ▶."""
    desk = await my_desk(req.session, plans=req.plans, viewer=_viewer(req))
    await req.session.commit()
    if not desk.lines:
        # A coordinator with no unit of their own owes nothing: point to what they do.
        mine = req.contact.units or req.contact.leads
        key = "mytasks.coordinator" if req.caller.coordinator and not mine else "mytasks.empty"
        return req.t(key), None
    pages = render.pages_of(len(desk.lines))
    page = min(max(page, 1), pages)
    text, lines = render.mytasks_page(req.lang, desk, page, req.context.settings.tz)
    # With several plans a button names the plan too: 政府2 and 民生2 are different tasks.
    labels = [(task_label(line.plan, line.number, desk.several), line.task_id) for line in lines]
    return text, keyboards.task_list(req.lang, labels, page, pages)


def task_label(plan: str, number: int, several: bool) -> str:
    """A task's button label: its number, after its plan's first two characters if needed."""
    return f"{plan[:2]}{number}" if several else str(number)


@linked
async def mytasks(req: Member) -> None:
    """/mytasks: the tasks of the person's units in every open plan, lead role first, ten per
    page."""
    await req.reply(*await _page(req, 1))


@linked
async def mytasks_page(req: Member) -> None:
    """◀ ▶ under /mytasks: edit the list in place to another page."""
    parsed = req.data
    shown = await _page(req, parsed.int(0) if parsed else 1)
    await req.query.answer()
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, *shown)


async def _details(req: Member, plan: Plan, task_id: int, *, back_page: int | None) -> None:
    """Send a task's details with 报送进展 (its units) or 采纳/退回 (coordinators)."""
    details = await task_details(req.session, plan=plan, task_id=task_id, viewer=_viewer(req))
    await req.session.commit()
    if details is None:
        await req.refuse("callback.stale")
        return
    task, unit_id = details.task, details.my_unit_id
    pending = [
        (row.report.id, row.unit)
        for row in (details.history or [])
        if req.caller.scope.covers(plan.id) and row.report.review == "pending"
    ][:5]
    buttons = keyboards.task_buttons(
        req.lang,
        report=(task.id, unit_id) if unit_id is not None else None,
        pending=pending,
        back_page=back_page,
    )
    text = render.task_details(req.lang, details, req.context.settings.tz, name_plan=req.several)
    sent = await req.reply(text, buttons)
    if sent is not None:
        # A Telegram reply to these details is filed as a report on the task.
        await remember_message(
            req.session,
            chat_id=sent.chat_id,
            message_id=sent.message_id,
            task_id=task.id,
            unit_id=unit_id,
            kind="details",
            now=req.now(),
        )
        await req.session.commit()


async def which_task(
    req: Member, words: list[str], *, example: str = "/task 12"
) -> tuple[Plan, int] | None:
    """The task the person names after a command (2, 民生实事 2, 民生2), answered for them when
    it is not one: usage (with `example`, the command as it should have been typed), no such
    plan, no such task, or a choice of plans (buttons)."""
    ref = task_ref(words)
    if ref is None:
        key = "task.not_number" if words else "task.usage"
        await req.reply(req.t(key, arg=h(" ".join(words)[:20]), example=h(example)))
        return None
    plan_word, number = ref
    plans = list(req.plans)
    if plan_word is not None:
        plan = find_plan(plan_word, plans)
        if plan is None:
            names = "、".join(p.short_name for p in plans)
            await req.reply(req.t("plan.unknown", ref=h(plan_word[:20]), plans=h(names)))
            return None
        plans = [plan]
    found = await numbered(req.session, plan_ids=[p.id for p in plans], number=number)
    if len(found) == 1:
        plan_id, task_id = found[0]
        return next(p for p in plans if p.id == plan_id), task_id
    if not found and len(plans) == 1:
        total = await count_tasks(req.session, plan_id=plans[0].id)
        await req.reply(req.t("task.not_found", number=number, total=total))
    elif not found:
        await req.reply(req.t("task.not_found_any", number=number))
    else:
        choices = [(req.plan_of(plan_id), task_id) for plan_id, task_id in found]
        labels = [(f"{p.short_name} · {number}", task_id) for p, task_id in choices if p]
        text = req.t("task.which_plan", count=len(labels), number=number)
        await req.reply(text, keyboards.task_choices(labels))
    return None


@linked
async def task_command(req: Member) -> None:
    """/task N (or /task 民生实事 N): full text, units by role, targets, deadline and report
    history; when several plans have a task N, a choice of plans."""
    found = await which_task(req, req.args)
    if found is not None:
        await _details(req, *found, back_page=None)


@linked
async def task_open(req: Member) -> None:
    """A task's button (under /mytasks, or a choice of plans): its details, with a way back to
    the list when it came from there."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    await req.query.answer()
    task_id, page = parsed.int(0), parsed.int(1)
    plan_id = await plan_of_task(req.session, task_id=task_id)
    plan = req.plan_of(plan_id) if plan_id is not None else None
    if plan is None:
        await req.reply(req.t("callback.stale"))
        return
    await _details(req, plan, task_id, back_page=page or None)

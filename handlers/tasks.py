"""Seeing the plan: /mytasks with pages, a task's details, and /task N."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import h
from bot.tasks_view import Viewer, my_tasks, task_details
from data.repo.reports import remember_message
from handlers import keyboards, render
from handlers.access import Member, linked
from handlers.common import edit_html, typed_number


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
    """One page of the person's tasks, with its number buttons and ◀ ▶."""
    view = await my_tasks(req.session, plan=req.plan, viewer=_viewer(req))
    await req.session.commit()
    if not view.lines:
        return req.t("mytasks.empty"), None
    pages = render.pages_of(len(view.lines))
    page = min(max(page, 1), pages)
    text, lines = render.mytasks_page(req.lang, view, page, req.context.settings.tz)
    return text, keyboards.task_list(req.lang, [ln.number for ln in lines], page, pages)


@linked
async def mytasks(req: Member) -> None:
    """/mytasks: the tasks of the person's units, lead role first, ten per page."""
    await req.reply(*await _page(req, 1))


@linked
async def mytasks_page(req: Member) -> None:
    """◀ ▶ under /mytasks: edit the list in place to another page."""
    parsed = req.data
    shown = await _page(req, parsed.int(0) if parsed else 1)
    await req.query.answer()
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, *shown)


async def _details(req: Member, number: int, *, back_page: int | None = None) -> None:
    """Send a task's details with 报送进展 (its units) or 采纳/退回 (coordinators)."""
    details = await task_details(req.session, plan=req.plan, number=number, viewer=_viewer(req))
    await req.session.commit()
    if isinstance(details, int):
        await req.reply(req.t("task.not_found", number=number, total=details))
        return
    task, unit_id = details.task, details.my_unit_id
    pending = [
        (row.report.id, row.unit)
        for row in (details.history or [])
        if req.caller.coordinator and row.report.review == "pending"
    ][:5]
    buttons = keyboards.task_buttons(
        req.lang,
        report=(task.id, unit_id) if unit_id is not None else None,
        pending=pending,
        back_page=back_page,
    )
    sent = await req.reply(
        render.task_details(req.lang, details, req.context.settings.tz), buttons
    )
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


@linked
async def task_command(req: Member) -> None:
    """/task N: full text, units by role, targets, deadline and report history."""
    number = typed_number(req.args[0]) if req.args else None
    if number is not None:
        await _details(req, number)
    elif not req.args:
        await req.reply(req.t("task.usage"))
    else:
        await req.reply(req.t("task.not_number", arg=h(req.args[0][:20])))


@linked
async def task_open(req: Member) -> None:
    """A task's number button under /mytasks: its details, with a way back to the list."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    await req.query.answer()
    await _details(req, parsed.int(0), back_page=parsed.int(1))

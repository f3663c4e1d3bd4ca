"""Seeing the plan: /mytasks with pages, a task's details, and /task N."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.context import DubanContext
from bot.i18n import h, t
from bot.tasks_view import Viewer, my_tasks, task_details
from handlers import keyboards, render
from handlers.common import (
    Caller,
    button_press,
    command_args,
    current_plan,
    edit_html,
    identify,
    reply,
    typed_number,
)
from handlers.report import remember


def _viewer(caller: Caller, context: DubanContext) -> Viewer:
    assert caller.contact is not None  # noqa: S101 - only linked callers get here
    services = context.services
    return Viewer(
        contact=caller.contact,
        now=context.now(),
        calendar=services.calendar,
        thresholds=services.thresholds,
        tz=context.settings.tz,
    )


async def _page(
    update: Update, context: DubanContext, page: int
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        plan = await current_plan(session)
        if not caller.linked or caller.contact is None or plan is None:
            await session.commit()
            await reply(update, t(caller.lang, "not_linked"))
            return None
        view = await my_tasks(session, plan=plan, viewer=_viewer(caller, context))
        await session.commit()
    if not view.lines:
        return t(caller.lang, "mytasks.empty"), None
    pages = render.pages_of(len(view.lines))
    page = min(max(page, 1), pages)
    text, lines = render.mytasks_page(caller.lang, view, page, context.settings.tz)
    return text, keyboards.task_list(caller.lang, [ln.number for ln in lines], page, pages)


async def mytasks(update: Update, context: DubanContext) -> None:
    """/mytasks: the tasks of the person's units, lead role first, ten per page."""
    shown = await _page(update, context, 1)
    if shown is not None:
        await reply(update, *shown)


async def mytasks_page(update: Update, context: DubanContext) -> None:
    """◀ ▶ under /mytasks: edit the list in place to another page."""
    query, parsed = button_press(update)
    page = parsed.int(0) if parsed else 1
    shown = await _page(update, context, page)
    await query.answer()
    if shown is None:
        return
    if isinstance(query.message, Message):
        await edit_html(query.message, *shown)


async def _details(
    update: Update, context: DubanContext, number: int, back_page: int | None = None
) -> None:
    """Send a task's details with 报送进展 (its units) or 采纳/退回 (coordinators)."""
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        plan = await current_plan(session)
        if not caller.linked or caller.contact is None or plan is None:
            await session.commit()
            await reply(update, t(caller.lang, "not_linked"))
            return
        details = await task_details(
            session, plan=plan, number=number, viewer=_viewer(caller, context)
        )
        await session.commit()
    lang = caller.lang
    if isinstance(details, int):
        await reply(update, t(lang, "task.not_found", number=number, total=details))
        return
    rows: list[list[InlineKeyboardButton]] = []
    if details.my_unit_id is not None:
        rows.append([keyboards.report_button(lang, details.task.id, details.my_unit_id)])
    if caller.coordinator and details.history:
        pending = [
            (row.report.id, row.unit) for row in details.history if row.report.review == "pending"
        ][:5]
        review = keyboards.review_buttons(lang, pending)
        if review is not None:
            rows.extend(list(r) for r in review.inline_keyboard)
    if back_page is not None:
        rows.extend(list(r) for r in keyboards.back_to_list(lang, back_page).inline_keyboard)
    sent = await reply(
        update,
        render.task_details(lang, details, context.settings.tz),
        InlineKeyboardMarkup(rows) if rows else None,
    )
    # A Telegram reply to these details is filed as a report on the task.
    await remember(context, sent, details.task.id, details.my_unit_id, "details")


async def task_command(update: Update, context: DubanContext) -> None:
    """/task N: full text, units by role, targets, deadline and report history."""
    args = command_args(context)
    number = typed_number(args[0]) if args else None
    if number is not None:
        await _details(update, context, number)  # checks who is asking itself
        return
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        await session.commit()
    if not caller.linked:
        await reply(update, t(caller.lang, "not_linked"))
    elif not args:
        await reply(update, t(caller.lang, "task.usage"))
    else:
        await reply(update, t(caller.lang, "task.not_number", arg=h(args[0][:20])))


async def task_open(update: Update, context: DubanContext) -> None:
    """A task's number button under /mytasks: its details, with a way back to the list."""
    query, parsed = button_press(update)
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    await query.answer()
    await _details(update, context, parsed.int(0), back_page=parsed.int(1))

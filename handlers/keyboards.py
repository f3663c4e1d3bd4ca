"""Inline keyboards, built from the catalog and callbacks modules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import buttons
from bot import callback_data as callbacks
from bot.delivery.queue import ButtonRows
from bot.i18n import Lang, t
from handlers.menus import dashboard_app

Row = list[InlineKeyboardButton]


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _pager(lang: Lang, page: int, pages: int, data: Callable[[int], str]) -> list[Row]:
    """◀ ▶ on one row, each only where there is a page that way (no row for a single page)."""
    nav = [
        _button(t(lang, key), data(target))
        for key, target, exists in (
            ("button.prev", page - 1, page > 1),
            ("button.next", page + 1, page < pages),
        )
        if exists
    ]
    return [nav] if nav else []


def task_list(
    lang: Lang, tasks: Sequence[tuple[str, int]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """A button per (label, task id) on a page, then ◀ ▶ when there are several pages."""
    rows = [
        [_button(label, callbacks.TASK_OPEN(task_id, page)) for label, task_id in chunk]
        for chunk in (tasks[i : i + buttons.ROW] for i in range(0, len(tasks), buttons.ROW))
    ]
    return InlineKeyboardMarkup([*rows, *_pager(lang, page, pages, callbacks.MYTASKS_PAGE)])


def task_choices(tasks: Sequence[tuple[str, int]]) -> InlineKeyboardMarkup:
    """A button per (label, task id), one a row: which plan's task N is meant."""
    return InlineKeyboardMarkup(
        [[_button(label, callbacks.TASK_OPEN(task_id, 0))] for label, task_id in tasks]
    )


def languages() -> InlineKeyboardMarkup:
    """Language choice."""
    return InlineKeyboardMarkup(
        [
            [
                _button("中文", callbacks.LANG_PICK("zh")),
                _button("English", callbacks.LANG_PICK("en")),
            ]
        ]
    )


def _rows(plain: ButtonRows) -> list[Row]:
    return [[_button(b.text, b.data) for b in row] for row in plain]


def markup(rows: ButtonRows) -> InlineKeyboardMarkup:
    """Plain button rows (as services describe them) as Telegram's inline keyboard."""
    return InlineKeyboardMarkup(_rows(rows))


def cancel_row(lang: Lang, data: str = callbacks.REPORT("x")) -> Row:
    """取消 on its own row (of a report, unless another conversation's data is given)."""
    return [_button(t(lang, "button.cancel"), data)]


def report_picker(
    lang: Lang, items: Sequence[tuple[int, int, str]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """One button per (task id, unit id, label), then paging and 取消."""
    rows = [[_button(label, callbacks.REPORT("t", task, unit))] for task, unit, label in items]
    paging = _pager(lang, page, pages, partial(callbacks.REPORT, "p"))
    return InlineKeyboardMarkup([*rows, *paging, cancel_row(lang)])


def statuses(
    lang: Lang, codes: Sequence[tuple[str, str]], *, reply_to: int | None = None
) -> InlineKeyboardMarkup:
    """The five statuses, two per row; for a reply, bound to its report id."""
    choices = [
        _button(
            t(lang, f"status.{status}"),
            callbacks.REPLY_STATUS(reply_to, code)
            if reply_to is not None
            else callbacks.REPORT("s", code),
        )
        for code, status in codes
    ]
    rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    if reply_to is None:
        rows.append(cancel_row(lang))
    return InlineKeyboardMarkup(rows)


def percents(lang: Lang, values: Sequence[int]) -> InlineKeyboardMarkup:
    """0/25/50/75/100 and 取消."""
    row = [_button(f"{v}%", callbacks.REPORT("c", v)) for v in values]
    return InlineKeyboardMarkup([row, cancel_row(lang)])


def done_percent(lang: Lang, percent: int) -> InlineKeyboardMarkup:
    """For 已完成 with a percent below 100: make it 100%, keep the percent given, or 取消."""
    return InlineKeyboardMarkup(
        [
            [
                _button(t(lang, "button.done_full"), callbacks.REPORT("c", 100)),
                _button(
                    t(lang, "button.done_keep", percent=percent),
                    callbacks.REPORT("c", percent, "y"),
                ),
            ],
            cancel_row(lang),
        ]
    )


def skip_step(lang: Lang, data: str) -> InlineKeyboardMarkup:
    """跳过 (a target's value) and 取消."""
    return InlineKeyboardMarkup([[_button(t(lang, "button.skip"), data)], cancel_row(lang)])


def text_step(lang: Lang, *, keep: bool) -> InlineKeyboardMarkup:
    """沿用上次内容 (when editing) and 取消."""
    keeping = [[_button(t(lang, "button.keep_text"), callbacks.REPORT("keep"))]]
    return InlineKeyboardMarkup([*(keeping if keep else []), cancel_row(lang)])


def preview(lang: Lang) -> InlineKeyboardMarkup:
    """提交 / 修改 / 取消."""
    choices = (("button.submit", "ok"), ("button.edit", "ed"), ("button.cancel", "x"))
    return InlineKeyboardMarkup(
        [[_button(t(lang, key), callbacks.REPORT(action)) for key, action in choices]]
    )


def task_buttons(
    lang: Lang,
    *,
    report: tuple[int, int] | None,
    pending: Sequence[tuple[int, str]],
    back_page: int | None,
) -> InlineKeyboardMarkup | None:
    """Under a task's details: 报送进展 for (task id, unit id), 采纳 / 退回 for each (report
    id, unit name) awaiting review, and the way back to the list page."""
    rows = _rows([[buttons.report_button(lang, *report)]] if report is not None else [])
    rows += _rows(buttons.review_rows(lang, pending))
    if back_page is not None:
        rows.append([_button(t(lang, "button.back_to_list"), callbacks.MYTASKS_PAGE(back_page))])
    return InlineKeyboardMarkup(rows) if rows else None


def dashboard(lang: Lang, base: str, plan_id: int) -> InlineKeyboardMarkup:
    """📊 under /status: the plan on the dashboard (a Mini App inside the chat)."""
    app = dashboard_app(base, lang, plan_id=plan_id)
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "dash.button"), web_app=app)]])

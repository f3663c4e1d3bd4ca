"""Inline keyboards, built from the catalog and callbacks modules."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import buttons
from bot import callback_data as callbacks
from bot.delivery.queue import ButtonRows
from bot.i18n import Lang, t

ROW = 5


def task_list(lang: Lang, numbers: Sequence[int], page: int, pages: int) -> InlineKeyboardMarkup:
    """Number buttons for the tasks on a page, then ◀ ▶ when there are several pages."""
    rows = [
        [InlineKeyboardButton(str(n), callback_data=callbacks.task_open(n, page)) for n in chunk]
        for chunk in (numbers[i : i + ROW] for i in range(0, len(numbers), ROW))
    ]
    nav = []
    if page > 1:
        nav.append(
            InlineKeyboardButton(
                t(lang, "button.prev"), callback_data=callbacks.mytasks_page(page - 1)
            )
        )
    if page < pages:
        nav.append(
            InlineKeyboardButton(
                t(lang, "button.next"), callback_data=callbacks.mytasks_page(page + 1)
            )
        )
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def back_to_list(lang: Lang, page: int) -> InlineKeyboardMarkup:
    """A single button back to the task list page."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "button.back_to_list"), callback_data=callbacks.mytasks_page(page)
                )
            ]
        ]
    )


def languages() -> InlineKeyboardMarkup:
    """Language choice."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("中文", callback_data=callbacks.lang_pick("zh")),
                InlineKeyboardButton("English", callback_data=callbacks.lang_pick("en")),
            ]
        ]
    )


def markup(rows: ButtonRows) -> InlineKeyboardMarkup:
    """Plain button rows (as services describe them) as Telegram's inline keyboard."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows]
    )


def report_button(lang: Lang, task_id: int, unit_id: int) -> InlineKeyboardButton:
    """报送进展 under a task."""
    button = buttons.report_button(lang, task_id, unit_id)
    return InlineKeyboardButton(button.text, callback_data=button.data)


def cancel_row(lang: Lang) -> list[InlineKeyboardButton]:
    """取消 on its own row."""
    return [
        InlineKeyboardButton(t(lang, "button.cancel"), callback_data=callbacks.report_action("x"))
    ]


def report_picker(
    lang: Lang, items: Sequence[tuple[int, int, str]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """One button per (task id, unit id, label), then paging and 取消."""
    rows = [
        [InlineKeyboardButton(label, callback_data=callbacks.report_task(task_id, unit_id))]
        for task_id, unit_id, label in items
    ]
    nav = []
    if page > 1:
        nav.append(
            InlineKeyboardButton(
                t(lang, "button.prev"), callback_data=callbacks.report_page(page - 1)
            )
        )
    if page < pages:
        nav.append(
            InlineKeyboardButton(
                t(lang, "button.next"), callback_data=callbacks.report_page(page + 1)
            )
        )
    if nav:
        rows.append(nav)
    rows.append(cancel_row(lang))
    return InlineKeyboardMarkup(rows)


def statuses(
    lang: Lang, codes: Sequence[tuple[str, str]], *, reply_to: int | None = None
) -> InlineKeyboardMarkup:
    """The five statuses, two per row; for a reply, bound to its report id."""
    buttons = [
        InlineKeyboardButton(
            t(lang, f"status.{status}"),
            callback_data=(
                callbacks.reply_status(reply_to, code)
                if reply_to is not None
                else callbacks.report_status(code)
            ),
        )
        for code, status in codes
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if reply_to is None:
        rows.append(cancel_row(lang))
    return InlineKeyboardMarkup(rows)


def percents(lang: Lang, values: Sequence[int]) -> InlineKeyboardMarkup:
    """0/25/50/75/100 and 取消."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(f"{v}%", callback_data=callbacks.report_percent(v))
                for v in values
            ],
            cancel_row(lang),
        ]
    )


def text_step(lang: Lang, *, keep: bool) -> InlineKeyboardMarkup:
    """沿用上次内容 (when editing) and 取消."""
    rows = []
    if keep:
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "button.keep_text"), callback_data=callbacks.report_action("keep")
                )
            ]
        )
    rows.append(cancel_row(lang))
    return InlineKeyboardMarkup(rows)


def preview(lang: Lang) -> InlineKeyboardMarkup:
    """提交 / 修改 / 取消."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "button.submit"), callback_data=callbacks.report_action("ok")
                ),
                InlineKeyboardButton(
                    t(lang, "button.edit"), callback_data=callbacks.report_action("ed")
                ),
                InlineKeyboardButton(
                    t(lang, "button.cancel"), callback_data=callbacks.report_action("x")
                ),
            ]
        ]
    )


def review_buttons(lang: Lang, items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """采纳 / 退回 for each (report id, unit name) awaiting review."""
    rows = buttons.review_rows(lang, items)
    return markup(rows) if rows else None

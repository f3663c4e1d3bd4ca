"""Inline keyboards, built from the catalog and callbacks modules."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Lang, t
from handlers import callbacks

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

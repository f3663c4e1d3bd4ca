"""Buttons the bot's own messages carry (nudges, 催办, alerts), as plain data for the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot import callback_data as callbacks
from bot.delivery.queue import Button
from bot.i18n import Lang, t

ROW = 5


def report_button(lang: Lang, task_id: int, unit_id: int) -> Button:
    """报送进展 under a task."""
    return Button(t(lang, "button.report"), callbacks.REPORT("t", task_id, unit_id))


def task_rows(tasks: Iterable[tuple[int, int, int | str]], *, limit: int) -> list[list[Button]]:
    """A 📝 N button per (task id, unit id, number or label), five to a row, at most `limit`."""
    buttons = [
        Button(f"📝 {number}", callbacks.REPORT("t", task_id, unit_id))
        for task_id, unit_id, number in list(tasks)[:limit]
    ]
    return [buttons[i : i + ROW] for i in range(0, len(buttons), ROW)]


def review_rows(lang: Lang, items: Sequence[tuple[int, str]]) -> list[list[Button]]:
    """采纳 / 退回 for each (report id, unit name) awaiting review."""
    return [
        [
            Button(t(lang, "button.accept", unit=unit)[:60], callbacks.REVIEW("a", report_id)),
            Button(t(lang, "button.return", unit=unit)[:60], callbacks.REVIEW("r", report_id)),
        ]
        for report_id, unit in items
    ]

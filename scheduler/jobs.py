"""The repeating ticks registered on PTB's JobQueue (APScheduler): nudges and idle drafts."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.ext import Application

from bot.context import DubanContext
from bot.delivery.queue import Outgoing, queue_messages
from bot.i18n import lang_of, t
from data.repo.reports import take_idle_drafts
from data.repo.updates import prune
from scheduler.nudges import tick_in_worker

log = logging.getLogger("duban.jobs")

TICK_SECONDS = 60
# Telegram gives up redelivering an update long before this; the rows only guard redelivery.
KEEP_UPDATES = timedelta(days=3)


async def nudge_tick(context: DubanContext) -> None:
    """Queue whatever nudges are due now (computed from the database, in a worker process: a
    due day's tick is heavy work), then wake the sender. One tick at a time."""
    services = context.services
    queued = await services.offload.run(
        ("tick",), tick_in_worker, services.settings, context.now()
    )
    services.ticked_at = context.now()
    if queued:
        log.info("queued %d nudge message(s)", queued)
        services.wake_outbox()


async def expire_drafts(context: DubanContext) -> None:
    """End conversations idle longer than the timeout, telling each person so."""
    services = context.services
    minutes = services.settings.conversation_timeout_minutes
    now = context.now()
    async with services.sessions() as session:
        ended = await take_idle_drafts(session, before=now - timedelta(minutes=minutes))
        await queue_messages(
            session,
            [
                Outgoing(
                    chat_id=draft.chat_id,
                    kind="timeout",
                    text=t(lang_of(contact.language), "report.timed_out", minutes=minutes),
                    contact_id=contact.id,
                )
                for draft, contact in ended
            ],
            now=now,
        )
        await session.commit()
    if ended:
        services.wake_outbox()


async def forget_updates(context: DubanContext) -> None:
    """Prune the webhook's record of updates received (every worker may: it is one DELETE)."""
    async with context.sessions() as session:
        gone = await prune(session, before=context.now() - KEEP_UPDATES)
        await session.commit()
    if gone:
        log.info("forgot %d update(s) received before %s", gone, KEEP_UPDATES)


async def record_presence(context: DubanContext) -> None:
    """Write when people last wrote to the bot (noted in memory by their updates)."""
    services = context.services
    await services.presence.flush(services.sessions)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Put the ticks on the JobQueue; what is due is always read from the database."""
    queue = application.job_queue
    if queue is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot[job-queue] is not installed")
    queue.run_repeating(nudge_tick, interval=TICK_SECONDS, first=5, name="nudges")
    queue.run_repeating(expire_drafts, interval=TICK_SECONDS, first=30, name="idle-drafts")
    queue.run_repeating(forget_updates, interval=3600, first=120, name="forget-updates")
    queue.run_repeating(record_presence, interval=TICK_SECONDS, first=15, name="presence")

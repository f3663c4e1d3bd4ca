"""The composition root: builds the PTB Application, its services and every handler."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import callback_data as callbacks
from bot.calendar.clock import Clock, system_clock
from bot.calendar.workdays import Calendar, calendar_for
from bot.context import DubanContext, Services
from bot.delivery.gate import Limits, RateGate, SharedLimiter
from bot.delivery.sender import OutboxSender
from bot.ledger.jobs import warm_up
from bot.lights import LightThresholds
from bot.notices import notify_blocked
from bot.sequencing import ChatSequencedProcessor
from bot.settings import Settings
from data.db import make_engine, make_sessionmaker
from data.models import OutboxMessage
from data.repo.coordinators import coordinators, former_coordinators
from handlers import (
    admin,
    broadcast,
    errors,
    imports,
    late,
    lights,
    messages,
    nudges,
    oversight,
    people,
    private,
    replies,
    report,
    review,
    start,
    targets,
    tasks,
)
from handlers.access import Request, anyone
from handlers.menus import hide_coordinator_menu, set_default_menus, show_coordinator_menu
from scheduler import jobs

log = logging.getLogger("duban.app")

DubanApp = Application[Any, DubanContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


class MissingTokenError(RuntimeError):
    """No Telegram token is configured."""


@anyone
async def _unknown_command(req: Request) -> None:
    """Any other /command: say so, and point at /help."""
    await req.reply(req.t("unknown_command"))


@anyone
async def _stale_button(req: Request) -> None:
    """A button this version no longer knows (or malformed data): answer, never ignore."""
    await req.refuse("callback.stale")


def register_handlers(application: DubanApp) -> None:
    """Every handler, in one place. Order matters inside group 0: PTB runs the first match, so
    the catch-alls for unknown commands and stale buttons come last."""
    add = application.add_handler
    # Before everything: groups and channels get a pointer to the private chat, nothing more.
    add(TypeHandler(Update, private.private_only), group=-1)
    # An edited message is not new input (PTB would run it through the handlers again).
    add(MessageHandler(filters.UpdateType.EDITED, messages.edited_input))
    commands = {
        "start": start.start,
        "help": start.help_command,
        "whoami": start.whoami,
        "lang": start.lang_command,
        "mytasks": tasks.mytasks,
        "task": tasks.task_command,
        "lights": lights.lights_command,
        "report": report.report_command,
        "cancel": report.cancel_command,
        "invite": admin.invite,
        "export": oversight.export,
        "deadline": admin.deadline,
        "assign": admin.assign,
        "period": admin.period,
        "late": late.late,
        "status": oversight.status,
        "bulletin": oversight.bulletin,
        "targets": targets.targets_command,
        "broadcast": broadcast.broadcast_command,
        "people": people.people,
        "leave": people.leave,
        "coordinators": people.coordinators_command,
        "import": imports.import_command,
    }
    for name, command in commands.items():
        add(CommandHandler(name, command))

    # Buttons: every pattern is anchored, so no two of them match the same data.
    buttons = (
        (callbacks.MYTASKS_PAGE, tasks.mytasks_page),
        (callbacks.TASK_OPEN, tasks.task_open),
        (callbacks.LANG_PICK, start.lang_pick),
        (callbacks.REPORT, report.report_callback),
        (callbacks.REPLY_STATUS, replies.reply_status),
        (callbacks.REVIEW, review.review_callback),
        (callbacks.SNOOZE, nudges.snooze),
        (callbacks.LATE, late.chase_callback),
        (callbacks.LATE_PAGE, late.late_page),
        (callbacks.STATUS, oversight.status_callback),
        (callbacks.ACK, late.ack_callback),
        (callbacks.BROADCAST, broadcast.broadcast_callback),
        (callbacks.PEOPLE, people.people_callback),
        (callbacks.LEAVE, people.leave_callback),
        (callbacks.REVOKE, people.coordinators_callback),
        (callbacks.TARGETS, targets.targets_callback),
    )
    for kind, pressed in buttons:
        add(CallbackQueryHandler(pressed, pattern=kind.pattern))
    # 确认导入 / 取消 under a plan's import preview (its own line: a twelfth row would split
    # the table above into two look-alike halves).
    add(CallbackQueryHandler(imports.import_callback, pattern=callbacks.IMPORT.pattern))

    # Plain messages: text feeds a conversation step (or files a reply to a prompt); media are
    # evidence; anything else is told what is expected (handlers/messages.py routes them).
    # Commands never reach these; the catch-alls come last.
    add(MessageHandler(filters.TEXT & ~filters.COMMAND, messages.text_input))
    add(MessageHandler(filters.PHOTO | filters.Document.ALL, messages.media_input))
    add(MessageHandler(filters.COMMAND, _unknown_command))
    add(MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, messages.other_input))
    add(CallbackQueryHandler(_stale_button))
    application.add_error_handler(errors.on_error)


async def _post_init(application: DubanApp) -> None:
    services: Services = application.bot_data["services"]
    services.bot_username = application.bot.username or services.bot_username
    await set_default_menus(application.bot)
    dashboard = services.settings.dashboard_url
    async with services.sessions() as session:
        people = await coordinators(session, extra_ids=services.settings.coordinators)
        revoked = await former_coordinators(session, extra_ids=services.settings.coordinators)
    for person in people:
        if person.unreachable_at is None:
            await show_coordinator_menu(
                application.bot,
                application.bot_data,
                chat_id=person.chat_id,
                chosen=person.language,
                dashboard=dashboard,
            )
    for person in revoked:  # rights taken while the bot was down (duban coordinators --revoke)
        if person.unreachable_at is None:
            await hide_coordinator_menu(
                application.bot, application.bot_data, chat_id=person.chat_id, dashboard=dashboard
            )
    if services.outbox is not None:
        # The sender runs beside update handling, so replies never queue behind a broadcast.
        application.bot_data["outbox_task"] = asyncio.create_task(services.outbox.run())
    # The workers for charts and workbooks start now, not when the first coordinator asks.
    services.offload.warm(warm_up)
    log.info("bot @%s ready", services.bot_username)


async def _post_stop(application: DubanApp) -> None:
    services: Services = application.bot_data["services"]
    await services.presence.flush(services.sessions)
    task: asyncio.Task[None] | None = application.bot_data.pop("outbox_task", None)
    if services.outbox is not None and task is not None:
        services.outbox.stop()
        try:
            await asyncio.wait_for(task, timeout=30)
        except TimeoutError:
            # Shutting down must go on (the database and HTTP pools are closed next); rows
            # still in hand are retaken when their lease lapses.
            log.warning(
                "the outbox did not stop within 30 s; its unsent rows wait for their lease"
            )


async def _post_shutdown(application: DubanApp) -> None:
    services: Services = application.bot_data["services"]
    services.offload.shutdown()
    outbox_bot: Bot | None = application.bot_data.get("outbox_bot")
    if outbox_bot is not None:
        await outbox_bot.shutdown()
    engine: AsyncEngine = application.bot_data["engine"]
    await engine.dispose()


def _outbox_bot(settings: Settings, token: str) -> Bot:
    # Its own connection pool: a draining outbox must not hold the connections that
    # interactive replies need.
    api = settings.telegram_api_url
    return Bot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=HTTPXRequest(connection_pool_size=settings.send_concurrency + 2),
    )


async def _tell_coordinators_blocked(application: DubanApp, message: OutboxMessage) -> None:
    """A liaison blocked the bot: every coordinator hears of it (through the outbox)."""
    services: Services = application.bot_data["services"]
    async with services.sessions() as session:
        await notify_blocked(
            session,
            contact_id=message.contact_id,
            now=services.clock(),
            extra_coordinators=services.settings.coordinators,
        )
        await session.commit()
    services.wake_outbox()


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    clock: Clock = system_clock,
    calendar: Calendar | None = None,
    engine: AsyncEngine | None = None,
    polling: bool = True,
) -> DubanApp:
    """The real Application: settings, database, clock, calendar and every handler.

    ``request`` replaces the HTTP layer (the terminal console and tests use their own);
    ``token`` overrides the configured one for the same reason. Without ``polling`` there is
    no Updater: updates come from the webhook (bot/web/).
    """
    secret = token or (
        settings.telegram_token.get_secret_value() if settings.telegram_token else None
    )
    if not secret:
        raise MissingTokenError("DUBAN_TELEGRAM_TOKEN is not set")
    api = settings.telegram_api_url
    builder = (
        ApplicationBuilder()
        .token(secret)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(ContextTypes(context=DubanContext))
        # One chat's updates in order, different chats side by side (bot/sequencing.py).
        .concurrent_updates(ChatSequencedProcessor())
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    gate = RateGate(settings.send_rate_per_s, reply_reserve_per_s=settings.reply_reserve_per_s)
    if not polling:
        builder = builder.updater(None)
    if request is not None:
        builder = builder.request(request)
        if polling:
            builder = builder.get_updates_request(request)
    else:
        # Replies and the outbox share Telegram's 30/s: replies are counted, never delayed.
        builder = builder.rate_limiter(SharedLimiter(gate))
    application: DubanApp = builder.build()
    engine = engine or make_engine(settings.database_url)
    application.bot_data["engine"] = engine
    application.bot_data["services"] = Services(
        settings=settings,
        sessions=make_sessionmaker(engine),
        clock=clock,
        calendar=calendar or calendar_for(settings.calendar_file),
        thresholds=LightThresholds(),
    )
    services: Services = application.bot_data["services"]
    outbox_bot = application.bot if request is not None else _outbox_bot(settings, secret)
    if request is None:
        application.bot_data["outbox_bot"] = outbox_bot
    services.outbox = OutboxSender(
        sessions=services.sessions,
        bot=outbox_bot,
        clock=lambda: clock().astimezone(UTC),
        limits=Limits(
            rate_per_s=settings.send_rate_per_s,
            reply_reserve_per_s=settings.reply_reserve_per_s,
            per_chat_interval_s=settings.per_chat_interval_s,
            concurrency=settings.send_concurrency,
        ),
        on_blocked=lambda message: _tell_coordinators_blocked(application, message),
        gate=gate,
    )
    register_handlers(application)
    jobs.register(application)
    # Broadcast progress is Telegram-facing (it edits a message), so it is registered here.
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            broadcast.progress_tick, interval=5, first=5, name="broadcast-progress"
        )
    return application

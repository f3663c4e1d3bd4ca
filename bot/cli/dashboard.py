"""`duban dashboard`: the coordinators' dashboard on 127.0.0.1, with a one-time login link."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import TelegramError

from bot.calendar.clock import system_clock
from bot.calendar.workdays import calendar_for
from bot.cli.db import CliError, checked_engine, require_plan, with_session
from bot.context import Services
from bot.lights import LightThresholds
from bot.settings import Settings
from data.db import make_sessionmaker
from data.models import Contact
from data.repo.contacts import get_contact, upsert_contact
from data.repo.coordinators import scope_of

log = logging.getLogger("duban.dashboard")


async def _person(session: AsyncSession, telegram_id: int | None, settings: Settings) -> Contact:
    """Who the login link signs in: a coordinator named by Telegram id, or else the console's
    coordinator (as `duban console --coordinator` makes them)."""
    from bot.cli.console import COORDINATOR_ID, coordinate_every_plan

    if telegram_id is None:
        contact = await upsert_contact(
            session,
            telegram_id=COORDINATOR_ID,
            chat_id=COORDINATOR_ID,
            full_name="督查室(本机)",
            username=None,
        )
        await coordinate_every_plan(session, contact, now=datetime.now(UTC))
        await session.commit()
        return contact
    found = await get_contact(session, telegram_id=telegram_id)
    if found is None:
        raise CliError(f"nobody with Telegram id {telegram_id} (see 'duban coordinators')")
    if (
        telegram_id not in settings.coordinators
        and not (await scope_of(session, contact_id=found.id)).any
    ):
        raise CliError(f"{telegram_id} coordinates no plan (see 'duban coordinators')")
    return found


async def _file_bot(settings: Settings) -> Bot | None:
    """The bot that fetches attachments from Telegram, when a token is set and works."""
    if settings.telegram_token is None:
        return None
    api = settings.telegram_api_url
    bot = Bot(
        settings.telegram_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
    )
    try:
        await bot.initialize()
    except TelegramError as exc:
        log.warning("attachments cannot be fetched from Telegram: %s", exc.message)
        return None
    return bot


async def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the dashboard on 127.0.0.1 and print a one-time login link."""
    from bot.dashboard.auth import LocalLogins
    from bot.dashboard.server import (
        bound_port,
        dashboard_app,
        listening_socket,
        local_server,
        start,
    )

    await with_session(settings, require_plan)
    engine = checked_engine(settings)
    services = Services(
        settings=settings,
        sessions=make_sessionmaker(engine),
        clock=system_clock,
        calendar=calendar_for(settings.calendar_file),
        thresholds=LightThresholds(),
    )
    logins = LocalLogins(
        clock=system_clock, session_ttl=timedelta(minutes=settings.dashboard_max_age_minutes)
    )
    files = await _file_bot(settings)
    try:
        async with services.sessions() as session:
            person = await _person(session, args.as_id, settings)
        app = dashboard_app(services, files=files, logins=logins)
        server = local_server(app, port=args.port)
        try:
            # Bound here: uvicorn exits the whole process when it cannot bind.
            serving = await start(server, listening_socket("127.0.0.1", args.port))
        except (OSError, SystemExit) as exc:
            raise CliError(f"cannot listen on 127.0.0.1:{args.port} (is the port taken?)") from exc
        code = logins.issue(person.id)
        base = f"http://127.0.0.1:{bound_port(server)}/dashboard"
        print(f"dashboard on {base}/ (Ctrl-C stops it)")
        print(f"sign in as {person.full_name or person.telegram_id} within 10 minutes, once:")
        print(f"{base}/login?code={code}", flush=True)
        await serving
    finally:
        services.offload.shutdown()
        if files is not None:
            await files.shutdown()
        await engine.dispose()
    return 0

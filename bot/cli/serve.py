"""The commands that run the bot's own machinery: serve Telegram, the console, nudges, export
and the bulletin."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.db import CliError, require_plan, with_session
from bot.cli.plans import plan_named
from bot.settings import Settings
from data.models import Plan
from data.repo.contacts import set_aside_console_people
from data.repo.plans import open_plans

if TYPE_CHECKING:  # the ledger's jobs load when a command needs them
    from bot.ledger.jobs import LedgerJob

log = logging.getLogger("duban")


async def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    """Chat with the real handlers in the terminal, as a unit's liaison or a coordinator."""
    from bot.cli.console import ConsoleError, run_console

    await with_session(settings, require_plan)
    try:
        return await run_console(
            settings, as_unit=args.as_unit, coordinator=args.coordinator, lang=args.lang
        )
    except ConsoleError as exc:
        raise CliError(str(exc)) from exc


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the ledger workbook (the same as /export) to a file."""
    from bot.ledger.jobs import export_workbook

    target = _target(args.file, ".xlsx")
    job = await _ledger_job(args, settings)
    built = await asyncio.to_thread(export_workbook, job, args.all_years)
    await _write(target, built.data)
    print(f"wrote {target}: {built.tasks} tasks, {built.reports} reports, {built.units} units")
    return 0


async def cmd_bulletin(args: argparse.Namespace, settings: Settings) -> int:
    """Write the bulletin (通报, the same as /bulletin) to a .docx file."""
    from bot.ledger.jobs import bulletin_document

    target = _target(args.file, ".docx")
    job = await _ledger_job(args, settings)
    try:
        built = await asyncio.to_thread(bulletin_document, job, args.period)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    await _write(target, built.data)
    parts = "; ".join(
        f"{ledger.short_name} {ledger.moment.span.label_en}: {len(ledger.tasks)} tasks"
        for ledger in built.ledgers
    )
    print(f"wrote {target}: {parts}")
    return 0


def _target(name: str, suffix: str) -> Path:
    """The file to write, checked before any work is done."""
    target = Path(name)
    if target.suffix.lower() != suffix:
        raise CliError(f"{target}: the file name must end in {suffix}")
    if not target.parent.resolve().is_dir():
        raise CliError(f"folder {target.parent} does not exist")
    return target


async def _ledger_job(args: argparse.Namespace, settings: Settings) -> LedgerJob:
    """The ledger job for the plan named with --plan, or every open plan, in --lang."""
    from bot.i18n import lang_of
    from bot.ledger.jobs import ledger_job
    from bot.lights import LightThresholds

    async def chosen(session: AsyncSession) -> list[Plan]:
        if args.plan:
            return [await plan_named(session, args.plan)]
        plans = await open_plans(session)
        if not plans:
            raise CliError("no open plan: import one, or name a closed one with --plan")
        return plans

    plans = await with_session(settings, chosen)
    return ledger_job(
        settings,
        plan_ids=[plan.id for plan in plans],
        lang=lang_of(args.lang),
        now=datetime.now(UTC),
        thresholds=LightThresholds(),
    )


async def _write(target: Path, data: bytes) -> None:
    try:
        await asyncio.to_thread(target.write_bytes, data)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from exc


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve Telegram (long polling, or a webhook); without a token, open the console."""
    from bot.app import build_application

    asyncio.run(with_session(settings, require_plan))
    if settings.telegram_token is None:
        print(
            "duban: no DUBAN_TELEGRAM_TOKEN set: opening the terminal console instead "
            "(type /help; set the token to serve Telegram)",
            file=sys.stderr,
        )
        args.as_unit, args.lang = None, None
        args.coordinator = True
        return int(asyncio.run(cmd_console(args, settings)))
    set_aside = asyncio.run(with_session(settings, _set_aside_console_people))
    if set_aside:
        log.info("%d console contact(s) set aside: not reachable on Telegram", set_aside)
    _quiet_http_logs()
    from telegram.error import InvalidToken

    try:
        _serve(build_application(settings), args, settings)
    except InvalidToken as exc:
        # PTB's message quotes the token itself: never print it.
        raise CliError("Telegram rejected DUBAN_TELEGRAM_TOKEN") from exc
    return 0


async def _set_aside_console_people(session: AsyncSession) -> int:
    count = await set_aside_console_people(session, now=datetime.now(UTC))
    await session.commit()
    return count


def _serve(application: Any, args: argparse.Namespace, settings: Settings) -> None:
    if args.webhook:
        if settings.webhook_secret is None:
            raise CliError("--webhook needs DUBAN_WEBHOOK_SECRET (Telegram's secret token)")
        path = make_url_path(args.webhook)
        application.run_webhook(
            listen=args.listen,
            port=args.port,
            url_path=path,
            webhook_url=args.webhook,
            secret_token=settings.webhook_secret.get_secret_value(),
        )
    else:
        application.run_polling()


def make_url_path(webhook_url: str) -> str:
    """The local path Telegram will POST to, taken from the public webhook URL."""
    from urllib.parse import urlparse

    parsed = urlparse(webhook_url)
    if parsed.scheme != "https" or not parsed.netloc:
        raise CliError(f"webhook URL must be https://host/path, got {webhook_url!r}")
    return parsed.path.lstrip("/")


def _quiet_http_logs() -> None:
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("duban").setLevel(logging.INFO)
    logging.getLogger("telegram").setLevel(logging.INFO)

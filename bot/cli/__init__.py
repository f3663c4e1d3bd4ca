"""The operator's command line, `duban` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot import logs
from bot.calendar.workdays import CalendarFileError, calendar_for
from bot.plan.directory import DEFAULT_DIRECTORY, DirectoryError, load_directory
from bot.plan.loader import PlanFileError, import_plan, read_plan_file
from bot.plan.numerals import section_numeral
from bot.plan.parser import PlanParseError
from bot.settings import Settings
from data.db import DatabaseUrlError, make_engine, make_sessionmaker, migrate
from data.repo.contacts import set_aside_console_people
from data.repo.plans import get_plan, plan_tree
from data.repo.units import list_units

log = logging.getLogger("duban")


class CliError(Exception):
    """A user mistake or an unusable environment: one line on stderr, exit 1."""


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable URL>"


def load_settings() -> Settings:
    """Settings from the environment, with pydantic's complaint turned into one line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "DUBAN_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise CliError(f"bad setting {name}: {first['msg']}") from exc


async def _with_session(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]], *, check: bool = True
) -> Any:
    engine = _engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            if check:
                await _check_schema(session, settings.database_url)
            return await work(session)
    except (OperationalError, DBAPIError) as exc:
        raise CliError(f"database {_redacted(settings.database_url)}: {_reason(exc)}") from exc
    finally:
        await engine.dispose()


def _engine(settings: Settings) -> AsyncEngine:
    try:
        return make_engine(settings.database_url)
    except DatabaseUrlError as exc:
        raise CliError(str(exc)) from exc


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


async def _check_schema(session: AsyncSession, url: str) -> None:
    try:
        version = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except (OperationalError, ProgrammingError) as exc:
        await session.rollback()
        raise CliError(
            f"database {_redacted(url)} is not initialised: run 'duban init' first"
        ) from exc
    if version is None:
        raise CliError(f"database {_redacted(url)} is not initialised: run 'duban init' first")


# --- commands -----------------------------------------------------------------------------


async def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Create or migrate the database schema to the latest revision."""
    _engine(settings)  # validates the URL before Alembic does, for a clearer message
    try:
        await migrate(settings.database_url)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise CliError(f"database {_redacted(settings.database_url)}: {_reason(exc)}") from exc
    print(f"database ready: {_redacted(settings.database_url)}")
    return 0


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import (or re-import) a plan document."""
    try:
        directory = load_directory(Path(args.directory))
        plan_text = read_plan_file(Path(args.path))
    except (DirectoryError, PlanFileError) as exc:
        raise CliError(str(exc)) from exc

    async def work(session: AsyncSession) -> Any:
        summary = await import_plan(
            session, text=plan_text, directory=directory, now=datetime.now(UTC), year=args.year
        )
        await session.commit()
        return summary

    try:
        summary = await _with_session(settings, work)
    except PlanParseError as exc:
        shown = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        raise CliError(f"{args.path}: {shown}{more}; nothing was imported") from exc
    print(summary.line())
    if summary.unknown_units:
        print(
            f"warning: {len(summary.unknown_units)} unit(s) not in the directory "
            f"(imported as written): {'、'.join(summary.unknown_units)}",
            file=sys.stderr,
        )
    return 0


async def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    """Print the imported plan, as text or JSON."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        plan = await get_plan(session, document=args.document)
        if plan is None:
            wanted = f"plan {args.document!r}" if args.document else "plan"
            raise CliError(f"no {wanted} imported yet: run 'duban import PLAN' first")
        sections = []
        for section, tasks in await plan_tree(session, plan_id=plan.id):
            sections.append(
                {
                    "number": section.number,
                    "title": section.title,
                    "tasks": [_task_json(task) for task in tasks],
                }
            )
        return {
            "document": plan.document,
            "title": plan.title,
            "year": plan.year,
            "sections": sections,
        }

    tree = await _with_session(settings, work)
    if args.json:
        print(json.dumps(tree, ensure_ascii=False, indent=2))
        return 0
    print(f"{tree['document']}  {tree['title']}  ({tree['year']})")
    for section in tree["sections"]:
        print(f"\n{section_numeral(section['number'])}、{section['title']}")
        for task in section["tasks"]:
            units = "、".join(task["lead_units"]) + " 主办"
            if task["co_units"]:
                units += ";" + "、".join(task["co_units"]) + " 协办"
            print(f"  {task['number']:>3}. {_short(task['text'])}  [{units}]")
    return 0


def _task_json(task: Any) -> dict[str, Any]:
    units = sorted(task.units, key=lambda tu: tu.position)
    return {
        "number": task.number,
        "text": task.text,
        "lead_units": [tu.unit.name for tu in units if tu.role == "lead"],
        "co_units": [tu.unit.name for tu in units if tu.role == "co"],
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "targets": [
            {"metric": t.metric, "value": t.value, "unit": t.unit, "comparator": t.comparator}
            for t in task.targets
        ],
    }


def _short(text_: str, limit: int = 40) -> str:
    return text_ if len(text_) <= limit else text_[: limit - 1] + "…"


async def cmd_units(args: argparse.Namespace, settings: Settings) -> int:
    """List units with their lead and co task counts, and collectives with their members."""
    rows = await _with_session(settings, lambda s: list_units(s))
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        if row.kind == "collective":
            tag = "relevant collective" if row.relevant else "collective"
            print(f"{row.name}  [{tag}]  lead {row.lead}, co {row.co}")
            print(f"    members: {'、'.join(row.members) or '-'}")
        else:
            note = "" if row.in_directory else "  (not in directory)"
            print(f"{row.name}  lead {row.lead}, co {row.co}{note}")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    """The bot's username: asked from Telegram when a token is set, else the setting."""
    if settings.telegram_token is None:
        return settings.bot_username
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    bot = Bot(
        settings.telegram_token.get_secret_value(),
        base_url=f"{settings.telegram_api_url}/bot",
        base_file_url=f"{settings.telegram_api_url}/file/bot",
    )
    try:
        async with bot:
            return bot.username
    except InvalidToken as exc:
        # PTB's message quotes the token itself: never print it.
        raise CliError("Telegram rejected DUBAN_TELEGRAM_TOKEN") from exc
    except TelegramError as exc:
        raise CliError(f"Telegram did not answer getMe: {exc.message}") from exc


async def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    """Create (or revoke) one-time invite codes and print the deep link."""
    from bot.linking import create_invite, deep_link, revoke
    from data.repo.units import resolve_unit

    async def work(session: AsyncSession) -> str:
        now = datetime.now(UTC)
        unit = None
        if args.unit:
            unit = await resolve_unit(session, name=args.unit)
            if unit is None:
                raise CliError(f"unknown unit {args.unit!r} (see 'duban units')")
        if args.revoke or args.revoke_unit:
            count = await revoke(session, now=now, code=args.revoke, unit=unit)
            await session.commit()
            return f"revoked {count} invite(s)"
        if unit is not None and unit.kind == "collective":
            raise CliError(f"{unit.name} is a collective: invite one of its member units")
        code = await create_invite(session, unit=unit, now=now, ttl_days=settings.invite_ttl_days)
        await session.commit()
        return code

    if args.revoke_unit:
        args.unit = args.revoke_unit
    if not (args.unit or args.coordinator or args.revoke):
        raise CliError("name a unit, or pass --coordinator, --revoke CODE or --revoke-unit UNIT")
    if args.unit and args.coordinator:
        raise CliError("give either a unit or --coordinator, not both")
    # Ask Telegram first: a bad token must not leave an invite behind.
    username = None if (args.revoke or args.revoke_unit) else await _bot_username(settings)
    result = await _with_session(settings, work)
    if args.revoke or args.revoke_unit:
        print(result)
        return 0
    who = "coordinator" if args.coordinator else args.unit
    print(f"invite code for {who} (single use, expires in {settings.invite_ttl_days} days):")
    print(result)
    if username:
        print(deep_link(username, result))
    else:
        print(
            "warning: set DUBAN_BOT_USERNAME (or DUBAN_TELEGRAM_TOKEN) to print the t.me link",
            file=sys.stderr,
        )
    return 0


async def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    """Chat with the real handlers in the terminal, as a unit's liaison or a coordinator."""
    from bot.cli.console import ConsoleError, run_console

    await _with_session(settings, lambda s: _require_plan(s))
    try:
        return await run_console(
            settings,
            as_unit=args.as_unit,
            coordinator=args.coordinator,
            lang=args.lang,
            stdin=sys.stdin,
            stdout=sys.stdout,
        )
    except ConsoleError as exc:
        raise CliError(str(exc)) from exc


async def cmd_nudges(args: argparse.Namespace, settings: Settings) -> int:
    """Show what the scheduler would send at a moment (nothing is queued or claimed)."""
    from scheduler.nudges import tick

    if not args.dry_run:
        raise CliError("only --dry-run is supported: the running bot sends nudges itself")
    at = datetime.now(UTC)
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError as exc:
            raise CliError(f"--at: not an ISO date-time: {args.at!r}") from exc
        if at.tzinfo is None:
            at = at.replace(tzinfo=settings.tz)
    engine = _engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            await _check_schema(session, settings.database_url)
        report = await tick(
            make_sessionmaker(engine),
            settings=settings,
            calendar=calendar_for(settings.calendar_file),
            now=at,
            dry_run=True,
        )
    except (OperationalError, DBAPIError) as exc:
        raise CliError(f"database {_redacted(settings.database_url)}: {_reason(exc)}") from exc
    finally:
        await engine.dispose()
    local = at.astimezone(settings.tz)
    print(f"at {local:%Y-%m-%d %H:%M %Z}: {len(report.planned)} message(s) would be sent")
    for gone in report.skipped:
        print(f"  skipped (missed): {gone}")
    for planned in report.planned:
        who = planned.contact.full_name or f"user {planned.contact.telegram_id}"
        tasks = ",".join(str(i.number) for i in planned.items)
        print(
            f"  {planned.kind:<12} {planned.step:<12} -> {who} (chat {planned.contact.chat_id})"
            + (f": tasks {tasks}" if tasks else "")
        )
    return 0


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the ledger workbook (the same as /export) to a file."""
    from bot.i18n import lang_of
    from bot.ledger.jobs import export_workbook, ledger_job
    from bot.lights import LightThresholds

    target = Path(args.file)
    if target.suffix.lower() != ".xlsx":
        raise CliError(f"{target}: the file name must end in .xlsx")
    if not target.parent.resolve().is_dir():
        raise CliError(f"folder {target.parent} does not exist")
    plan = await _with_session(settings, lambda s: get_plan(s))
    if plan is None:
        raise CliError("no plan imported yet: run 'duban import PLAN' first")
    job = ledger_job(
        settings,
        plan_id=plan.id,
        lang=lang_of(args.lang),
        now=datetime.now(UTC),
        thresholds=LightThresholds(),
    )
    built = await asyncio.to_thread(export_workbook, job, args.all_years)
    try:
        await asyncio.to_thread(target.write_bytes, built.data)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from exc
    print(f"wrote {target}: {built.tasks} tasks, {built.reports} reports, {built.units} units")
    return 0


async def _require_plan(session: AsyncSession) -> None:
    if await get_plan(session) is None:
        raise CliError("no plan imported yet: run 'duban import PLAN' first")


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve Telegram (long polling, or a webhook); without a token, open the console."""
    from bot.app import build_application

    asyncio.run(_with_session(settings, lambda s: _require_plan(s)))
    if settings.telegram_token is None:
        print(
            "duban: no DUBAN_TELEGRAM_TOKEN set: opening the terminal console instead "
            "(type /help; set the token to serve Telegram)",
            file=sys.stderr,
        )
        args.as_unit, args.lang = None, None
        args.coordinator = True
        return int(asyncio.run(cmd_console(args, settings)))
    set_aside = asyncio.run(_with_session(settings, _set_aside_console_people))
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


# --- parser and entry point ----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(
        prog="duban", description="督办 Duban: work-plan supervision bot (operator commands)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("init", help="create or migrate the database")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("import", help="import (or re-import) a plan document")
    p.add_argument("path", help="the plan as a text file (UTF-8 or GB18030)")
    p.add_argument("--year", type=int, help="override the plan's year (rehearse a past plan)")
    p.add_argument("--directory", default=str(DEFAULT_DIRECTORY), help="unit directory YAML")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("plan", help="show the imported plan")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--document", help="document number (default: the latest plan)")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("units", help="list units, their task counts and collectives")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_units)

    p = sub.add_parser("invite", help="create a one-time invite link (or revoke invites)")
    p.add_argument("unit", nargs="?", help="the unit whose liaison is invited")
    p.add_argument("--coordinator", action="store_true", help="invite a coordinator")
    p.add_argument("--revoke", metavar="CODE", help="revoke an unused invite code")
    p.add_argument("--revoke-unit", metavar="UNIT", help="revoke every open invite of a unit")
    p.set_defaults(func=cmd_invite)

    p = sub.add_parser("console", help="try the bot in the terminal (no Telegram needed)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--as", dest="as_unit", metavar="UNIT", help="act as this unit's liaison")
    who.add_argument("--coordinator", action="store_true", help="act as a coordinator")
    p.add_argument("--lang", choices=["zh", "en"], help="language (default Chinese)")
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("export", help="write the ledger workbook (.xlsx)")
    p.add_argument("file", help="the .xlsx file to write")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="headers' language")
    p.add_argument(
        "--all-years", action="store_true", help="every report version, not only the plan year's"
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("nudges", help="show the nudges due at a moment (--dry-run)")
    p.add_argument("--dry-run", action="store_true", help="only print; required")
    p.add_argument("--at", metavar="ISO-TIME", help="the moment (default now; local time zone)")
    p.set_defaults(func=cmd_nudges)

    p = sub.add_parser("run", help="serve Telegram (long polling); console without a token")
    p.add_argument("--webhook", metavar="URL", help="use a webhook at this public https URL")
    p.add_argument("--listen", default="127.0.0.1", help="webhook listen address")
    p.add_argument("--port", type=int, default=8443, help="webhook listen port")
    p.set_defaults(func=cmd_run)
    return parser


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit."""
    print(f"duban: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; user mistakes end in one line on stderr and a non-zero exit."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "year", None) is not None and not 2000 <= args.year <= 2100:
        fail("--year must be between 2000 and 2100")
    try:
        settings = load_settings()
        logs.install(
            secret.get_secret_value()
            for secret in (settings.telegram_token, settings.webhook_secret)
            if secret is not None
        )
        result = args.func(args, settings)
        return int(asyncio.run(result) if asyncio.iscoroutine(result) else result)
    except (CliError, CalendarFileError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        # The reader (| head) went away: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The `duban` command line: the argument parser and the entry point."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn

from bot import logs
from bot.calendar.workdays import CalendarFileError
from bot.cli.dashboard import cmd_dashboard
from bot.cli.db import CliError, cmd_init, load_settings
from bot.cli.nudges import cmd_nudges
from bot.cli.people import cmd_coordinators, cmd_invite, cmd_people, cmd_unlink
from bot.cli.plans import cmd_import, cmd_plan, cmd_plans, cmd_units
from bot.cli.serve import cmd_bulletin, cmd_console, cmd_export, cmd_run
from bot.plan.directory import DEFAULT_DIRECTORY
from bot.settings import Settings


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
    p.add_argument("path", help="the plan: .docx, .xlsx or text (UTF-8 or GB18030)")
    p.add_argument("--year", type=int, help="override the plan's year (rehearse a past plan)")
    p.add_argument("--directory", default=str(DEFAULT_DIRECTORY), help="unit directory YAML")
    p.add_argument("--name", help="the plan's short name (default: from its title, e.g. 民生实事)")
    p.add_argument("--period", choices=["month", "quarter"], help="reporting period")
    p.add_argument("--due-day", type=int, choices=range(1, 32), metavar="DAY", help="due day")
    p.add_argument(
        "--due-next-month",
        action="store_true",
        help="reports fall due in the month after the period (e.g. by the 10th)",
    )
    p.add_argument(
        "--first-unit-leads",
        action="store_true",
        help="the first unit named for a task leads (as notices say 列第一位的为牵头单位)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would change and write nothing"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("plans", help="list the plans, or close, reopen or archive one")
    p.add_argument("--json", action="store_true", help="print JSON")
    states = p.add_mutually_exclusive_group()
    for verb in ("close", "reopen", "archive"):
        states.add_argument(f"--{verb}", metavar="PLAN", help=f"{verb} a plan (number or name)")
    p.set_defaults(func=cmd_plans)

    p = sub.add_parser("plan", help="show a plan")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--document", "--plan", help="document number or short name (default: the latest)"
    )
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("units", help="list units, their task counts and collectives")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_units)

    p = sub.add_parser("invite", help="create a one-time invite link (or revoke invites)")
    p.add_argument("unit", nargs="?", help="the unit whose liaison is invited")
    p.add_argument("--coordinator", action="store_true", help="invite a coordinator")
    p.add_argument("--plan", help="with --coordinator: of this plan only")
    p.add_argument("--revoke", metavar="CODE", help="revoke an unused invite code")
    p.add_argument("--revoke-unit", metavar="UNIT", help="revoke every open invite of a unit")
    p.add_argument("--leader", action="store_true", help="invite the unit's leader (read only)")
    p.add_argument(
        "--replaces",
        metavar="TELEGRAM_ID",
        type=int,
        help="hand the unit over: this liaison is unlinked when the invite is used",
    )
    p.set_defaults(func=cmd_invite)

    p = sub.add_parser("people", help="each unit's liaisons and leaders (unreachable first)")
    p.add_argument("unit", nargs="?", help="only this unit")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_people)

    p = sub.add_parser("unlink", help="take a person off their unit(s) at once")
    p.add_argument("telegram_id", metavar="TELEGRAM_ID", type=int, help="the person's user id")
    p.add_argument("--unit", help="only this unit (default: every unit)")
    p.set_defaults(func=cmd_unlink)

    p = sub.add_parser("coordinators", help="list coordinators, or revoke one's rights")
    p.add_argument("--revoke", metavar="TELEGRAM_ID", type=int, help="take a person's rights")
    p.set_defaults(func=cmd_coordinators)

    p = sub.add_parser("console", help="try the bot in the terminal (no Telegram needed)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--as", dest="as_unit", metavar="UNIT", help="act as this unit's liaison")
    who.add_argument("--coordinator", action="store_true", help="act as a coordinator")
    p.add_argument("--lang", choices=["zh", "en"], help="language (default Chinese)")
    p.add_argument(
        "--files",
        metavar="DIR",
        help="save the pictures and files the bot sends here (default ./duban-console-files)",
    )
    p.set_defaults(func=_console)

    p = sub.add_parser("export", help="write the ledger workbook (.xlsx)")
    p.add_argument("file", help="the .xlsx file to write")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="headers' language")
    p.add_argument("--plan", help="this plan only (default: every open plan)")
    p.add_argument(
        "--all-years", action="store_true", help="every report version, not only the plan year's"
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bulletin", help="write the period's bulletin (通报, .docx)")
    p.add_argument("file", help="the .docx file to write")
    p.add_argument("--period", help="the period, e.g. 2026-06 or 2026-Q2 (default: the current)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="the bulletin's language")
    p.add_argument("--plan", help="this plan only (default: every open plan)")
    p.set_defaults(func=cmd_bulletin)

    p = sub.add_parser("nudges", help="show the nudges due at a moment (--dry-run)")
    p.add_argument("--dry-run", action="store_true", help="only print; required")
    p.add_argument("--at", metavar="ISO-TIME", help="the moment (default now; local time zone)")
    p.set_defaults(func=cmd_nudges)

    p = sub.add_parser("dashboard", help="serve the coordinators' dashboard on 127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free one)")
    p.add_argument(
        "--as", dest="as_id", metavar="TELEGRAM_ID", type=int, help="sign in as this coordinator"
    )
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser(
        "run", help="serve Telegram (long polling or a webhook); console without a token"
    )
    p.add_argument("--webhook", metavar="URL", help="use a webhook at this public https URL")
    p.add_argument("--listen", default="127.0.0.1", help="the web app's listen address")
    p.add_argument(
        "--port",
        type=_port,
        metavar="N",
        help="the web app's port (webhook, /healthz, dashboard; default 8443 with --webhook or "
        "DUBAN_DASHBOARD_URL; with long polling, giving it serves the web app)",
    )
    p.set_defaults(func=cmd_run)
    # A stray option is reported with its own sub-command's usage, not the top-level one.
    for command in sub.choices.values():
        command.set_defaults(command_parser=command)
    return parser


def _port(value: str) -> int:
    if not value.isdecimal() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {value!r}")
    return int(value)


def _console(args: argparse.Namespace, settings: Settings) -> Coroutine[Any, Any, int]:
    """`duban console`: --files is the console_files setting for this run."""
    if args.files:
        settings = settings.model_copy(update={"console_files": Path(args.files)})
    return cmd_console(args, settings)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit."""
    print(f"duban: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; user mistakes end in one line on stderr and a non-zero exit."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
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

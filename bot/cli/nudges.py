"""`duban nudges --dry-run [--at TIME]`: what the clock would send at a moment, unit by unit,
and why nothing when nothing would go."""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.calendar.workdays import calendar_for
from bot.cli.db import CliError, check_schema, checked_engine, unusable
from bot.settings import Settings
from data.db import make_sessionmaker

# Why a tick sends nothing at all, as the operator reads it.
HELD = {
    "no_plan": "no plan is open",
    "not_running": "no open plan runs at this moment (before or after its year)",
    "day_off": "{day} is not a working day (nudges go out on working days only)",
    "early": "nudges go out from {nudge} on working days; it is {time}",
    "quiet": "{time} is in quiet hours ({start}-{end}); nudges wait for {nudge} on a working day",
}


class _SimulatedTime(logging.Formatter):
    """Log lines stamped with the moment simulated, not the wall clock."""

    def __init__(self, at: datetime) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.at = at

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return f"{self.at:%Y-%m-%d %H:%M %Z} (simulated)"


@contextmanager
def _stamped(at: datetime) -> Iterator[None]:
    """While the tick runs, warnings (a missed step, a calendar year unknown) carry `at`."""
    handlers = logging.getLogger().handlers
    before = [handler.formatter for handler in handlers]
    for handler in handlers:
        handler.setFormatter(_SimulatedTime(at))
    try:
        yield
    finally:
        for handler, formatter in zip(handlers, before, strict=True):
            handler.setFormatter(formatter)


def _moment(args: argparse.Namespace, settings: Settings) -> datetime:
    if not args.at:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError as exc:
        raise CliError(f"--at: not an ISO date-time: {args.at!r}") from exc
    return at.replace(tzinfo=settings.tz) if at.tzinfo is None else at


async def cmd_nudges(args: argparse.Namespace, settings: Settings) -> int:
    """Show what the scheduler would send at a moment (nothing is queued or claimed): one line
    per unit and step, with the tasks and how many people get it."""
    from scheduler.nudges import tick

    if not args.dry_run:
        raise CliError("only --dry-run is supported: the running bot sends nudges itself")
    at = _moment(args, settings)
    local = at.astimezone(settings.tz)
    engine = checked_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            await check_schema(session, settings.database_url)
        with _stamped(local):
            report = await tick(
                make_sessionmaker(engine),
                settings=settings,
                calendar=calendar_for(settings.calendar_file),
                now=at,
                dry_run=True,
            )
    except (OperationalError, DBAPIError) as exc:
        raise unusable(settings, exc) from exc
    finally:
        await engine.dispose()
    count = len(report.planned)
    line = f"at {local:%Y-%m-%d %H:%M %Z} ({local:%A}): {count} message(s) would be sent"
    if report.held is not None:
        reason = HELD[report.held].format(
            day=f"{local:%Y-%m-%d}",
            time=f"{local:%H:%M}",
            nudge=f"{settings.nudge_time:%H:%M}",
            start=f"{settings.quiet_hours_start:%H:%M}",
            end=f"{settings.quiet_hours_end:%H:%M}",
        )
        line += f": {reason}"
    elif not count:
        line += ": no step falls due now for a unit with someone to send to (see duban people)"
    print(line)
    for gone in report.skipped:
        print(f"  skipped (missed): {gone}")
    # One line per (kind, step, units): people serving the same units get the same message.
    groups: dict[tuple[str, str, str, str], set[int]] = defaultdict(set)
    for planned in report.planned:
        units = "、".join(dict.fromkeys(i.unit for i in planned.items)) or "coordinators"
        tasks = ",".join(str(n) for n in dict.fromkeys(i.number for i in planned.items))
        groups[(planned.kind, str(planned.step), units, tasks)].add(planned.contact.id)
    for (kind, step, units, tasks), people in groups.items():
        print(
            f"  {kind:<12} {step:<12} -> {units} ({len(people)} person(s))"
            + (f": tasks {tasks}" if tasks else "")
        )
    return 0

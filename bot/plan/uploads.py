"""A plan a coordinator sends to the bot: read it, preview its import without writing anything,
and import it on 确认 (checked to be the very file that was previewed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.plan.directory import load_directory
from bot.plan.loader import ImportSummary, import_plan
from bot.plan.sources import PlanFileError, PlanSource, read_plan_bytes
from bot.settings import Settings
from data.repo.plans import ClockRules


async def preview_upload(
    sessions: async_sessionmaker[AsyncSession],
    *,
    data: bytes,
    file_name: str,
    settings: Settings,
    now: datetime,
) -> tuple[PlanSource, ImportSummary]:
    """The file as read and what importing it would change: a dry run in a session of its
    own, rolled back (the caller's session is left as it was). Raises PlanFileError or
    PlanParseError."""
    source = read_plan_bytes(data, file_name)
    async with sessions() as scratch:
        summary = await _import(scratch, source, settings, now, dry_run=True, actor="preview")
    return source, summary


async def import_upload(
    session: AsyncSession,
    *,
    data: bytes,
    file_name: str,
    fingerprint: str,
    settings: Settings,
    now: datetime,
    actor: str,
) -> ImportSummary:
    """Import the previewed file in the session's transaction (the caller commits)."""
    source = read_plan_bytes(data, file_name)
    if source.fingerprint() != fingerprint:
        raise PlanFileError(f"{file_name} is not the file that was previewed")
    return await _import(session, source, settings, now, dry_run=False, actor=actor)


async def _import(
    session: AsyncSession,
    source: PlanSource,
    settings: Settings,
    now: datetime,
    *,
    dry_run: bool,
    actor: str,
) -> ImportSummary:
    # The office's usual reporting rule, for a new plan whose notice states none.
    usual = ClockRules(settings.period_kind, settings.due_day, 0)
    return await import_plan(
        session,
        source=source,
        directory=load_directory(),
        now=now,
        usual_clock=usual,
        dry_run=dry_run,
        actor=actor,
    )

"""The CLI's footing: its one error type, settings, and a checked database session."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.settings import Settings
from data.db import DatabaseUrlError, make_engine, make_sessionmaker, migrate
from data.repo.plans import get_plan


class CliError(Exception):
    """A user mistake or an unusable environment: one line on stderr, exit 1."""


def redacted(url: str) -> str:
    """A database URL fit to print: the password hidden."""
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


async def with_session(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]], *, check: bool = True
) -> Any:
    """Run ``work`` in one session on an initialised database; database trouble is a CliError."""
    engine = checked_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            if check:
                await check_schema(session, settings.database_url)
            return await work(session)
    except (OperationalError, DBAPIError) as exc:
        raise unusable(settings, exc) from exc
    finally:
        await engine.dispose()


def checked_engine(settings: Settings) -> AsyncEngine:
    """The engine of the configured database; a malformed URL is a CliError."""
    try:
        return make_engine(settings.database_url)
    except DatabaseUrlError as exc:
        raise CliError(str(exc)) from exc


def unusable(settings: Settings, exc: Exception) -> CliError:
    """The database failed: its (redacted) URL and the driver's first line."""
    orig = getattr(exc, "orig", None) or exc
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return CliError(f"database {redacted(settings.database_url)}: {reason}")


async def check_schema(session: AsyncSession, url: str) -> None:
    """Refuse a database that 'duban init' has not migrated yet."""
    try:
        version = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except (OperationalError, ProgrammingError) as exc:
        await session.rollback()
        raise CliError(
            f"database {redacted(url)} is not initialised: run 'duban init' first"
        ) from exc
    if version is None:
        raise CliError(f"database {redacted(url)} is not initialised: run 'duban init' first")


async def require_plan(session: AsyncSession) -> None:
    """Refuse to go on before a plan is imported."""
    if await get_plan(session) is None:
        raise CliError("no plan imported yet: run 'duban import PLAN' first")


async def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Create or migrate the database schema to the latest revision."""
    checked_engine(settings)  # validates the URL before Alembic does, for a clearer message
    try:
        await migrate(settings.database_url)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise unusable(settings, exc) from exc
    print(f"database ready: {redacted(settings.database_url)}")
    return 0

"""The people command: one-time invite codes and links for liaisons and coordinators."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.db import CliError, with_session
from bot.cli.plans import plan_named
from bot.linking import create_invite, deep_link, revoke
from bot.settings import Settings
from data.repo import audit
from data.repo.contacts import get_contact
from data.repo.coordinators import GrantRow, grant_rows, revoke_grants
from data.repo.units import resolve_unit


async def bot_username(settings: Settings) -> str | None:
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
        plan_id = (await plan_named(session, args.plan)).id if args.plan else None
        code = await create_invite(
            session, unit=unit, now=now, ttl_days=settings.invite_ttl_days, plan_id=plan_id
        )
        await session.commit()
        return code

    if args.revoke_unit:
        args.unit = args.revoke_unit
    if not (args.unit or args.coordinator or args.revoke):
        raise CliError("name a unit, or pass --coordinator, --revoke CODE or --revoke-unit UNIT")
    if args.unit and args.coordinator:
        raise CliError("give either a unit or --coordinator, not both")
    if args.plan and not args.coordinator:
        raise CliError("--plan goes with --coordinator (a coordinator of that plan only)")
    # Ask Telegram first: a bad token must not leave an invite behind.
    username = None if (args.revoke or args.revoke_unit) else await bot_username(settings)
    result = await with_session(settings, work)
    if args.revoke or args.revoke_unit:
        print(result)
        return 0
    who = "coordinator" if args.coordinator else args.unit
    if args.plan:
        who += f" of {args.plan}"
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


async def cmd_coordinators(args: argparse.Namespace, settings: Settings) -> int:
    """List the coordinators (from DUBAN_COORDINATORS and from invites), or revoke one's
    invited rights."""

    async def work(session: AsyncSession) -> str | list[GrantRow]:
        if args.revoke is not None:
            contact = await get_contact(session, telegram_id=args.revoke)
            count = 0
            if contact is not None:
                count = await revoke_grants(
                    session, contact_id=contact.id, by=None, now=datetime.now(UTC)
                )
            if not count:
                raise CliError(f"user {args.revoke} has no coordinator rights from an invite")
            detail = {"grants": count}
            target = ("contact", contact.id if contact else None)
            audit.record(
                session, "cli", "coordinator.revoke", target, at=datetime.now(UTC), detail=detail
            )
            await session.commit()
            return f"revoked the coordinator rights of user {args.revoke}"
        return await grant_rows(session)

    result = await with_session(settings, work)
    if isinstance(result, str):
        print(result)
        if args.revoke in settings.coordinators:
            print(
                f"warning: {args.revoke} is also in DUBAN_COORDINATORS: take it out there too",
                file=sys.stderr,
            )
        return 0
    for telegram_id in settings.coordinators:
        print(f"{telegram_id}  (DUBAN_COORDINATORS)  every plan")
    for row in result:
        plan = row.plan or "every plan"
        print(f"{row.telegram_id}  {row.name}  {plan}  since {row.granted_at:%Y-%m-%d}")
    return 0

"""The people command: one-time invite codes and links for liaisons and coordinators."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.db import CliError, with_session
from bot.cli.plans import plan_named
from bot.linking import create_invite, deep_link, revoke
from bot.people import Unlinked, plan_roster, revoke_coordinator, unlink
from bot.settings import Settings
from data.repo.contacts import get_contact
from data.repo.coordinators import GrantRow, grant_rows
from data.repo.people import UnitRoster
from data.repo.plans import open_plans
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
        replaces = None
        if args.replaces is not None and unit is not None:
            replaces = await get_contact(session, telegram_id=args.replaces)
            if replaces is None or all(cu.unit_id != unit.id for cu in replaces.units):
                raise CliError(f"user {args.replaces} is not a liaison of {unit.name}")
        code = await create_invite(
            session,
            unit=unit,
            now=now,
            ttl_days=settings.invite_ttl_days,
            plan_id=plan_id,
            role="leader" if args.leader else "liaison",
            replaces=replaces,
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
    if (args.leader or args.replaces is not None) and not args.unit:
        raise CliError("--leader and --replaces go with a unit")
    if args.leader and args.replaces is not None:
        raise CliError("--replaces hands over a liaison's place: not with --leader")
    # Ask Telegram first: a bad token must not leave an invite behind.
    username = None if (args.revoke or args.revoke_unit) else await bot_username(settings)
    result = await with_session(settings, work)
    if args.revoke or args.revoke_unit:
        print(result)
        return 0
    who = "coordinator" if args.coordinator else args.unit
    if args.leader:
        who = f"the leader of {args.unit}"
    elif args.replaces is not None:
        who += f" (taking over from user {args.replaces})"
    if args.plan:
        who += f" of {args.plan}"
    print(f"invite code for {who} (single use, expires in {settings.invite_ttl_days} days):")
    print(result)
    if username:
        print(deep_link(username, result))
    else:
        # No token and no DUBAN_BOT_USERNAME: say exactly how to make the link.
        print(
            "no link yet: the bot's username is unknown. Set DUBAN_BOT_USERNAME to it (without"
            " @, in the environment or .env) or set DUBAN_TELEGRAM_TOKEN, then run this again;"
            f" the link is {deep_link('<bot username>', result)}. Or the person sends the bot:"
            f" /start {result}",
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
                count = await revoke_coordinator(
                    session, person=contact, by=None, now=datetime.now(UTC)
                )
            if not count:
                raise CliError(f"user {args.revoke} has no coordinator rights from an invite")
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


async def cmd_people(args: argparse.Namespace, settings: Settings) -> int:
    """Each unit's liaisons and leaders: linked since, last seen, reachable; units nobody can
    be reached at first."""

    async def work(session: AsyncSession) -> list[UnitRoster]:
        plans = await open_plans(session)
        if not args.unit:
            return await plan_roster(session, plans=plans)
        unit = await resolve_unit(session, name=args.unit)
        if unit is None or unit.kind == "collective":
            raise CliError(f"unknown unit {args.unit!r} (see 'duban units')")
        return await plan_roster(session, plans=plans, unit_id=unit.id)

    units = await with_session(settings, work)
    if args.json:
        rows = [
            {
                "unit": unit.name,
                "reachable": unit.reachable,
                "people": [
                    {
                        "role": p.role,
                        "name": p.name,
                        "telegram_id": p.telegram_id,
                        "username": p.username,
                        "since": _iso(p.since),
                        "last_seen": _iso(p.last_seen),
                        "reachable": p.reachable,
                        "language": p.language,
                    }
                    for p in unit.people
                ],
            }
            for unit in units
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for unit in units:
        print(f"{unit.name}{'' if unit.reachable else '  (nobody reachable)'}")
        for p in unit.people:
            seen = f"{p.last_seen:%Y-%m-%d}" if p.last_seen else "never"
            state = "reachable" if p.reachable else "blocked"
            print(
                f"  {p.role:<8}{p.telegram_id:<14}{p.name}  since {p.since:%Y-%m-%d}"
                f"  seen {seen}  {state}  {p.language or '-'}"
            )
    return 0


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


async def cmd_unlink(args: argparse.Namespace, settings: Settings) -> int:
    """Take a person off one unit, or all of theirs: access ends at their next update, their
    draft is discarded, their queued unit messages are cancelled; audited as the CLI."""

    async def work(session: AsyncSession) -> Unlinked:
        person = await get_contact(session, telegram_id=args.telegram_id)
        if person is None:
            raise CliError(f"no contact with Telegram id {args.telegram_id}")
        unit_id = None
        if args.unit:
            unit = await resolve_unit(session, name=args.unit)
            if unit is None:
                raise CliError(f"unknown unit {args.unit!r} (see 'duban units')")
            unit_id = unit.id
        done = await unlink(
            session,
            person=person,
            unit_id=unit_id,
            by=None,
            now=datetime.now(UTC),
            reason="unlinked from the command line",
        )
        if not done.units:
            where = f" of {args.unit}" if args.unit else " of any unit"
            raise CliError(f"user {args.telegram_id} is not a liaison or leader{where}")
        await session.commit()
        return done

    done = await with_session(settings, work)
    print(
        f"unlinked user {args.telegram_id} from {'、'.join(done.units)}: "
        f"{done.drafts} draft(s) discarded, {done.cancelled} queued message(s) cancelled"
    )
    return 0

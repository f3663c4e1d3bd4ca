"""Who is asking the dashboard: Telegram's signed initData, or a one-time local login.

Every API call is checked afresh: the initData's signature and age (init-data-py, HMAC-SHA256
with the key Telegram derives from "WebAppData" and the bot token), then the person's rights
as they stand now (DUBAN_COORDINATORS read from the settings, grants from the database).
Nothing about a person's rights is kept between calls, so a revocation counts at the next one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from init_data_py import errors, validate_by_hash
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.clock import Clock
from bot.i18n import Lang, pick_language
from bot.settings import Settings
from data.models import Contact, Plan
from data.repo.contacts import get_contact, upsert_contact
from data.repo.coordinators import EVERY_PLAN, Scope, scope_of
from data.repo.plans import open_plans

# The header every API call carries inside Telegram: "Authorization: tma <initData>".
AUTH_SCHEME = "tma"
SESSION_COOKIE = "duban_dashboard"
# A local login link is good for one visit within this time.
LOGIN_TTL = timedelta(minutes=10)


class Refused(Exception):
    """The call is not let in: 401 (who is asking is unknown) or 403 (not theirs to see)."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key  # the catalog text that says why


@dataclass(frozen=True)
class TelegramUser:
    """The user Telegram vouches for in a Mini App's initData."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None


def telegram_user(raw: str, *, token: str, max_age: timedelta, now: datetime) -> TelegramUser:
    """The user of valid, fresh initData; Refused(401) when it is forged, tampered or old."""
    try:
        data = validate_by_hash(raw, token, expires_in=max_age, now=now)
    except errors.ExpiredError as exc:
        raise Refused(401, "dash.auth_expired") from exc
    except errors.InvalidInitDataError as exc:
        raise Refused(401, "dash.auth_invalid") from exc
    user = data.user
    if user is None:
        raise Refused(401, "dash.auth_invalid")
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return TelegramUser(user.id, name, user.username, user.language_code)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class LocalLogins:
    """One-time login links printed by `duban dashboard`, and the sessions they open.

    Kept in the serving process only (its links are printed by that process and good for one
    visit within minutes); only digests are held, as invite codes are stored. A session names
    a person, never their rights: those are read at every call.
    """

    def __init__(self, *, clock: Clock, session_ttl: timedelta) -> None:
        self._clock = clock
        self._session_ttl = session_ttl
        self._links: dict[str, tuple[int, datetime]] = {}
        self._sessions: dict[str, tuple[int, datetime]] = {}

    def issue(self, contact_id: int) -> str:
        """A new one-time login code for a person."""
        code = secrets.token_urlsafe(32)
        self._links[_digest(code)] = (contact_id, self._clock() + LOGIN_TTL)
        return code

    def redeem(self, code: str) -> str | None:
        """Use a login code (once): a new session id, or None when unknown, used or expired."""
        found = self._links.pop(_digest(code), None)
        if found is None or found[1] < self._clock():
            return None
        session_id = secrets.token_urlsafe(32)
        self._sessions[_digest(session_id)] = (found[0], self._clock() + self._session_ttl)
        return session_id

    def contact_of(self, session_id: str) -> int | None:
        """The person a live session belongs to."""
        key = _digest(session_id)
        found = self._sessions.get(key)
        if found is None or found[1] < self._clock():
            self._sessions.pop(key, None)
            return None
        return found[0]


@dataclass(frozen=True)
class Viewer:
    """A coordinator looking at the dashboard now: their contact, language and plans."""

    contact: Contact
    scope: Scope
    lang: Lang
    plans: tuple[Plan, ...]

    def plan(self, plan_id: int | None) -> Plan:
        """The plan asked for (the first in view when none is named); Refused(403) when it is
        not one they coordinate."""
        if plan_id is None:
            return self.plans[0]
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        raise Refused(403, "dash.not_yours")


async def viewer_for_user(
    session: AsyncSession, user: TelegramUser, *, settings: Settings
) -> Viewer:
    """The coordinator behind initData (a configured one seen for the first time gets a
    contact, as in chat); Refused(403) for anyone else."""
    contact = await get_contact(session, telegram_id=user.id)
    if contact is None and user.id in settings.coordinators:
        contact = await upsert_contact(
            session,
            telegram_id=user.id,
            chat_id=user.id,  # a private chat's id is the user's
            full_name=user.first_name,
            username=user.username,
        )
        await session.commit()
    if contact is None:
        raise Refused(403, "dash.coordinators_only")
    return await _viewer(session, contact, settings=settings, client_lang=user.language_code)


async def viewer_for_contact(
    session: AsyncSession, contact_id: int, *, settings: Settings
) -> Viewer:
    """The coordinator a local session names, with their rights as they are now."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise Refused(401, "dash.auth_invalid")
    return await _viewer(session, contact, settings=settings, client_lang=None)


async def _viewer(
    session: AsyncSession, contact: Contact, *, settings: Settings, client_lang: str | None
) -> Viewer:
    # The setting is read at every call (never copied); grants come from invites.
    if contact.telegram_id in settings.coordinators:
        scope = EVERY_PLAN
    else:
        scope = await scope_of(session, contact_id=contact.id)
    if not scope.any:
        raise Refused(403, "dash.coordinators_only")
    plans = tuple(p for p in await open_plans(session) if scope.covers(p.id))
    if not plans:
        raise Refused(403, "dash.no_plan")
    lang = pick_language(contact.language, client_lang)
    return Viewer(contact, scope, lang, plans)

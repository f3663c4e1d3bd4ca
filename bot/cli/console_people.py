"""The console's people: a coordinator and a liaison of as many units as asked for, with ids no
Telegram user can have; who they are, how the screen names them, and what they left unfinished."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.calendar.clock import Clock
from bot.cli.chrome import CHROME
from bot.cli.emulator import JSONDict
from bot.i18n import Lang, pick_language
from data.models import Contact, ReportDraft, Task
from data.repo.contacts import (
    CONSOLE_IDS_FROM,
    console_contacts,
    get_contact,
    link_unit,
    upsert_contact,
)
from data.repo.coordinators import grant, scope_of
from data.repo.reports import get_draft
from data.repo.units import resolve_unit

# Fixed ids for the console's people, beyond any real Telegram user's (see CONSOLE_IDS_FROM):
# a database tried out in the console and then served on Telegram gives nobody their rights.
LIAISON_ID: Final = CONSOLE_IDS_FROM + 1
COORDINATOR_ID: Final = CONSOLE_IDS_FROM + 2


class ConsoleError(Exception):
    """The console cannot act as asked (e.g. an unknown unit): one line for the CLI, and a
    chrome key (with the unit) for the console's own screen."""

    def __init__(self, message: str, *, key: str = "", unit: str = "") -> None:
        super().__init__(message)
        self.key, self.unit = key, unit


@dataclass
class Person:
    """One of the console's people, as the updates carry them."""

    user: JSONDict
    chat: JSONDict
    lang: Lang
    units: list[str]  # the units they serve (a liaison's, or a coordinator's redeemed ones)
    added: str | None = None  # the unit this take linked them to, if it was new

    @property
    def id(self) -> int:
        """Their Telegram id (also their private chat's id)."""
        return int(self.user["id"])

    @property
    def coordinator(self) -> bool:
        """Whether this is the console's coordinator."""
        return self.id == COORDINATOR_ID


async def coordinate_every_plan(session: AsyncSession, contact: Contact, *, now: datetime) -> None:
    """Make the console's person a coordinator of every plan, unless they are one already."""
    if not (await scope_of(session, contact_id=contact.id)).every_plan:
        grant(session, contact_id=contact.id, plan_id=None, by=None, now=now)


class ConsolePeople:
    """The console's people in the database: taking the console as one of them never unlinks
    anything (a liaison keeps every unit and every redeemed invite; /leave drops one)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock, lang: Lang | None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._lang = lang
        self._taken: set[int] = set()  # who took the console this session already

    async def wake(self) -> None:
        """`duban run` set the console's people aside (unreachable on Telegram); here they are
        reachable again, so what the bot sends them on its own reaches the console."""
        async with self._sessions() as session:
            for contact in await console_contacts(session):
                contact.unreachable_at = None
            await session.commit()

    async def take(self, unit_name: str | None) -> Person:
        """The console's coordinator (no unit), or its liaison, linked to the unit if they were
        not yet; raises ConsoleError for a unit that does not exist or is a collective."""
        telegram_id = LIAISON_ID if unit_name is not None else COORDINATOR_ID
        async with self._sessions() as session:
            unit = None
            if unit_name is not None:
                name = unit_name.strip()
                unit = await resolve_unit(session, name=name)
                if unit is None:
                    raise ConsoleError(
                        f"unknown unit {name!r} (see 'duban units')", key="unknown_unit", unit=name
                    )
                if unit.kind == "collective":
                    raise ConsoleError(
                        f"{unit.name} is a collective: pick one of its member units",
                        key="collective",
                        unit=unit.name,
                    )
            contact = await upsert_contact(
                session,
                telegram_id=telegram_id,
                chat_id=telegram_id,
                full_name=CHROME[self._lang or "zh"]["user_name"],
                username=None,
            )
            if unit is None:
                await coordinate_every_plan(session, contact, now=self._clock())
            added = unit is not None and link_unit(
                session, contact=contact, unit_id=unit.id, now=self._clock()
            )
            if telegram_id not in self._taken:
                # Each session starts in the language asked for (Chinese by default), whatever
                # an earlier session chose with /lang: the console person is a demo.
                contact.language = self._lang
                self._taken.add(telegram_id)
            shown_lang = pick_language(contact.language, self._lang)
            # The name the updates carry, so identify() has nothing to refresh.
            first_name = contact.full_name = CHROME[shown_lang]["user_name"]
            await session.commit()
            contact = await get_contact(session, telegram_id=telegram_id) or contact
            units = _names(contact)
        user: JSONDict = {
            "id": telegram_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en" if self._lang == "en" else "zh-hans",
        }
        chat: JSONDict = {"id": telegram_id, "type": "private", "first_name": first_name}
        return Person(user, chat, shown_lang, units, unit.name if added and unit else None)

    async def labels(self, lang: Lang) -> dict[int, str]:
        """How the screen names each of the console's people: 市发改委、市财政局 · 控制台用户."""
        chrome = CHROME[lang]
        async with self._sessions() as session:
            contacts = await console_contacts(session)
        labels: dict[int, str] = {}
        for contact in contacts:
            units = "、".join(_names(contact))
            who = chrome["coordinator"] if contact.telegram_id == COORDINATOR_ID else units
            labels[contact.chat_id] = f"{who or '—'} · {chrome['user_name']}"
        return labels

    async def language(self, person: Person) -> Lang:
        """The person's language now (/lang may have changed it)."""
        async with self._sessions() as session:
            contact = await get_contact(session, telegram_id=person.id)
        return pick_language(contact.language if contact else None, person.user["language_code"])

    async def unfinished(self, person: Person) -> tuple[ReportDraft, int | None] | None:
        """The person's conversation in progress, if any, with its task's number."""
        async with self._sessions() as session:
            contact = await get_contact(session, telegram_id=person.id)
            draft = await get_draft(session, contact_id=contact.id) if contact else None
            if draft is None:
                return None
            task = await session.get(Task, draft.task_id) if draft.task_id else None
        return draft, task.number if task else None


def _names(contact: Contact) -> list[str]:
    """The names of the units a contact serves, in the directory's order (as /whoami says)."""
    return [cu.unit.name for cu in sorted(contact.units, key=lambda cu: cu.unit_id)]

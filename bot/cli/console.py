"""The terminal console: try the real handlers and database with no Telegram account."""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol, TextIO

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from telegram import Update

from bot.app import DubanApp, build_application
from bot.calendar.clock import Clock, system_clock
from bot.cli.emulator import BotApiEmulator, JSONDict, typed_text
from bot.cli.screen import CHROME, Screen
from bot.i18n import Lang, pick_language
from bot.settings import Settings
from data.models import Contact
from data.repo.contacts import CONSOLE_IDS_FROM, get_contact, link_unit, upsert_contact
from data.repo.coordinators import grant, scope_of
from data.repo.units import resolve_unit

# A dummy token: the console never talks to Telegram, but PTB insists on having one.
CONSOLE_TOKEN: Final = "0:console"  # noqa: S105 - a dummy; nothing is sent anywhere
CONSOLE_BOT_ID: Final = 10_000_000
CONSOLE_BOT_NAME: Final = "督办 Duban"
CONSOLE_BOT_USERNAME: Final = "duban_console_bot"
# Fixed ids for the console's people, beyond any real Telegram user's (see CONSOLE_IDS_FROM):
# a database tried out in the console and then served on Telegram gives nobody their rights.
LIAISON_ID: Final = CONSOLE_IDS_FROM + 1
COORDINATOR_ID: Final = CONSOLE_IDS_FROM + 2
QUIT_WORDS: Final = frozenset({"quit", "exit"})
# A line starting with this is sent as text as it is: how to type "50" when numbers press buttons.
VERBATIM: Final = "'"


class LineSource(Protocol):
    """Where the console reads from: ``sys.stdin``, a ``StringIO``, a test's typist."""

    def readline(self) -> str:
        """The next line with its newline; "" at the end of input."""

    def isatty(self) -> bool:
        """Whether a person is typing (then the console shows a prompt)."""


class ConsoleError(Exception):
    """The console cannot start as asked (e.g. an unknown unit): one line for the CLI."""


def console_api(screen: Screen, *, clock: Clock, username: str) -> BotApiEmulator:
    """The Bot API emulator as the console uses it: every answer shown on ``screen``."""
    api = BotApiEmulator(
        username=username, bot_id=CONSOLE_BOT_ID, first_name=CONSOLE_BOT_NAME, clock=clock
    )
    # Methods the emulator does not know are accepted silently, so a new call in a handler
    # never breaks the console (the tests' emulator refuses them instead).
    api.accept_unknown = True
    api.observe(screen.show)
    return api


async def coordinate_every_plan(session: AsyncSession, contact: Contact, *, now: datetime) -> None:
    """Make the console's person a coordinator of every plan, unless they are one already."""
    if not (await scope_of(session, contact_id=contact.id)).every_plan:
        grant(session, contact_id=contact.id, plan_id=None, by=None, now=now)


@dataclass
class _Person:
    user: JSONDict
    chat: JSONDict
    lang: Lang
    unit: str | None


async def _prepare_person(
    application: DubanApp,
    *,
    as_unit: str | None,
    lang: Lang | None,
    clock: Clock,
) -> _Person:
    """Make sure the console's person exists: the unit's liaison, or else a coordinator."""
    telegram_id = LIAISON_ID if as_unit is not None else COORDINATOR_ID
    sessions = application.bot_data["services"].sessions
    async with sessions() as session:
        unit = None
        if as_unit is not None:
            unit = await resolve_unit(session, name=as_unit.strip())
            if unit is None:
                raise ConsoleError(f"unknown unit {as_unit!r} (see 'duban units')")
            if unit.kind == "collective":
                raise ConsoleError(f"{unit.name} is a collective: pick one of its member units")
        contact = await upsert_contact(
            session,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            full_name=CHROME[lang or "zh"]["user_name"],
            username=None,
        )
        if unit is None:
            await coordinate_every_plan(session, contact, now=clock())
        if unit is not None:
            # The console liaison serves exactly the unit asked for, not every unit tried before.
            contact.units[:] = [cu for cu in contact.units if cu.unit_id == unit.id]
            link_unit(session, contact=contact, unit_id=unit.id, now=clock())
        # Each session starts in the language asked for (Chinese by default), whatever an
        # earlier session chose with /lang: the console person is a demo, not a real user.
        contact.language = lang
        shown_lang = pick_language(contact.language, lang)
        # The name the updates carry, so identify() has nothing to refresh.
        first_name = contact.full_name = CHROME[shown_lang]["user_name"]
        await session.commit()
    user: JSONDict = {
        "id": telegram_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "en" if lang == "en" else "zh-hans",
    }
    chat: JSONDict = {"id": telegram_id, "type": "private", "first_name": first_name}
    return _Person(user, chat, shown_lang, unit.name if unit is not None else None)


class _Updates:
    """Updates as Telegram would send them, from the console's person."""

    def __init__(self, application: DubanApp, api: BotApiEmulator, person: _Person) -> None:
        self._bot = application.bot
        self._api = api
        self._person = person
        self._last_update_id = 0

    def message(self, text: str) -> Update:
        """A text message; a leading /word is marked as a command, as clients do."""
        person = self._person
        return self._update(
            message=self._api.user_message(person.user, person.chat, typed_text(text))
        )

    def press(self, data: str, message: JSONDict) -> tuple[Update, str]:
        """A press on an inline button of a message the bot sent; also the query id."""
        query = self._api.button_press(self._person.user, data, message)
        return self._update(callback_query=query), str(query["id"])

    def _update(self, **payload: JSONDict) -> Update:
        self._last_update_id += 1
        return Update.de_json({"update_id": self._last_update_id, **payload}, self._bot)


async def _read_line(stdin: LineSource) -> str:
    """One line of input; on a terminal it is read in a thread so Ctrl-C still ends the loop."""
    if not stdin.isatty():
        return stdin.readline()
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def read() -> None:
        try:
            line = stdin.readline()
        except Exception as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, line, None)

    # A daemon thread: a read still blocked when the console ends must not keep it alive.
    threading.Thread(target=read, name="duban-console-input", daemon=True).start()
    return await future


async def run_console(
    settings: Settings,
    *,
    as_unit: str | None = None,
    coordinator: bool = False,
    lang: Lang | None = None,
    stdin: LineSource | None = None,
    stdout: TextIO | None = None,
    clock: Clock = system_clock,
) -> int:
    """Chat with the real handlers in a terminal, as a unit's liaison or a coordinator.

    Without a unit the person is a coordinator. Lines starting with ``/`` are commands, a bare
    number presses that button of the latest message with buttons, other text is a message
    (a leading ``'`` sends the rest as it is, e.g. ``'50``); ``quit``, ``exit`` or end of input
    leave. Reads ``stdin`` and writes ``stdout`` (by default the process's). Returns the exit
    code.
    """
    if as_unit is not None and coordinator:
        raise ConsoleError("give either a unit or coordinator, not both")
    stdin = stdin or sys.stdin
    screen = Screen(out=stdout or sys.stdout, lang=lang or "zh", user_chat_id=0)
    api = console_api(screen, clock=clock, username=settings.bot_username or CONSOLE_BOT_USERNAME)
    application = build_application(settings, token=CONSOLE_TOKEN, request=api, clock=clock)
    engine: AsyncEngine = application.bot_data["engine"]
    try:
        person = await _prepare_person(application, as_unit=as_unit, lang=lang, clock=clock)
        screen.lang, screen.user_chat_id = person.lang, int(person.chat["id"])
        api.register_chat(person.chat)
        await application.initialize()
        try:
            _banner(screen, person)
            await _loop(application, api, screen, person, stdin)
        finally:
            await application.shutdown()
    finally:
        # PTB runs post_shutdown only from run_polling/run_webhook: clean up here.
        application.bot_data["services"].offload.shutdown()
        await engine.dispose()
    return 0


def _banner(screen: Screen, person: _Person) -> None:
    who = (
        screen.chrome("banner_unit", unit=person.unit)
        if person.unit is not None
        else screen.chrome("banner_coordinator")
    )
    screen.line(screen.chrome("banner", who=who))
    screen.line()


async def _loop(
    application: DubanApp,
    api: BotApiEmulator,
    screen: Screen,
    person: _Person,
    stdin: LineSource,
) -> None:
    updates = _Updates(application, api, person)
    interactive = stdin.isatty()
    while True:
        if interactive:
            screen.out.write("> ")
            screen.out.flush()
        raw = await _read_line(stdin)
        if not raw:  # end of input
            if interactive:
                screen.line()
            return
        line = raw.strip()
        if not line:
            continue
        if line.lower() in QUIT_WORDS:
            if interactive:
                screen.line(screen.chrome("bye"))
            return
        shown = screen.shown
        if line.startswith(VERBATIM) and len(line) > 1:
            await application.process_update(updates.message(line[1:]))
        elif line.isascii() and line.isdigit():
            await _press(application, api, screen, updates, int(line))
        else:
            await application.process_update(updates.message(line))
        # /lang may have changed the person's language: the chrome follows it.
        screen.lang = await _language(application, person)
        if screen.shown == shown:
            screen.note("no_reply")


async def _language(application: DubanApp, person: _Person) -> Lang:
    async with application.bot_data["services"].sessions() as session:
        contact = await get_contact(session, telegram_id=int(person.user["id"]))
    return pick_language(contact.language if contact else None, person.user["language_code"])


async def _press(
    application: DubanApp, api: BotApiEmulator, screen: Screen, updates: _Updates, number: int
) -> None:
    message, buttons = screen.buttons_message, screen.buttons
    if message is None or not buttons:
        screen.note("no_buttons")
        return
    if not 1 <= number <= len(buttons):
        screen.note("bad_button", n=number, count=len(buttons))
        return
    button = buttons[number - 1]
    if button.callback_data is None:
        screen.note("link_button", url=button.url or "")
        return
    update, query_id = updates.press(button.callback_data, message)
    await application.process_update(update)
    if query_id not in api.answered_queries:
        screen.note("unanswered")

"""The terminal console: try the real handlers and database with no Telegram account."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
from typing import Final, Protocol, TextIO

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import TelegramError

from bot.app import DubanApp, build_application
from bot.calendar.clock import Clock, system_clock
from bot.cli.console_files import AttachError, ConsoleFiles, upload
from bot.cli.console_people import (
    COORDINATOR_ID,
    LIAISON_ID,
    ConsoleError,
    ConsolePeople,
    Person,
    coordinate_every_plan,
)
from bot.cli.emulator import BotApiEmulator, JSONDict, typed_text
from bot.cli.screen import Screen, button_key
from bot.context import DubanContext
from bot.i18n import Lang
from bot.settings import Settings
from data.repo.contacts import CONSOLE_IDS_FROM
from handlers.broadcast import progress_tick

__all__ = [
    "CONSOLE_TOKEN",
    "COORDINATOR_ID",
    "LIAISON_ID",
    "ConsoleError",
    "console_api",
    "coordinate_every_plan",
    "run_console",
]

log = logging.getLogger("duban.console")

# A dummy token: the console never talks to Telegram, but PTB insists on having one.
CONSOLE_TOKEN: Final = "0:console"  # noqa: S105 - a dummy; nothing is sent anywhere
CONSOLE_BOT_ID: Final = 10_000_000
CONSOLE_BOT_NAME: Final = "督办 Duban"
CONSOLE_BOT_USERNAME: Final = "duban_console_bot"
QUIT_WORDS: Final = frozenset({"quit", "exit"})
# A line starting with this is sent as text as it is: how to type "a" when letters press buttons.
VERBATIM: Final = "'"
# A line starting with this is the console's own command (:as, :coordinator, :who, :file).
CONSOLE_COMMAND: Final = ":"
# While a person at a terminal thinks, what falls due (a scheduled broadcast) still arrives.
IDLE_SETTLE_S: Final = 5.0
_ONE_LETTER: Final = re.compile(r"[a-z]")
_TWO_LETTERS: Final = re.compile(r"[a-z]{2}")


class LineSource(Protocol):
    """Where the console reads from: ``sys.stdin``, a ``StringIO``, a test's typist."""

    def readline(self) -> str:
        """The next line with its newline; "" at the end of input."""

    def isatty(self) -> bool:
        """Whether a person is typing (then the console shows a prompt)."""


def console_api(screen: Screen, *, clock: Clock, username: str) -> BotApiEmulator:
    """The Bot API emulator as the console uses it: every answer shown on ``screen``."""
    api = BotApiEmulator(
        username=username, bot_id=CONSOLE_BOT_ID, first_name=CONSOLE_BOT_NAME, clock=clock
    )
    # Methods the emulator does not know are accepted silently, so a new call in a handler
    # never breaks the console (the tests' emulator refuses them instead).
    api.accept_unknown = True
    api.observe(screen.show)
    screen.store = api.files
    return api


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

    Without a unit the person is a coordinator. Lines starting with ``/`` are commands, a
    letter presses that button of the latest message with buttons, a line starting with ``:``
    is a console command, other text (numbers too) is a message (a leading ``'`` sends the rest
    as it is, e.g. ``'a``); ``quit``, ``exit`` or end of input leave. What the bot sends on its
    own goes through the outbox to the console's people. Reads ``stdin`` and writes ``stdout``
    (by default the process's). Returns the exit code.
    """
    if as_unit is not None and coordinator:
        raise ConsoleError("give either a unit or coordinator, not both")
    # The emulator is not Telegram: there is no per-chat flood limit to wait out.
    settings = settings.model_copy(update={"per_chat_interval_s": 0.0})
    screen = Screen(
        out=stdout or sys.stdout,
        lang=lang or "zh",
        user_chat_id=0,
        files=ConsoleFiles(settings.console_files),
    )
    api = console_api(screen, clock=clock, username=settings.bot_username or CONSOLE_BOT_USERNAME)
    application = build_application(settings, token=CONSOLE_TOKEN, request=api, clock=clock)
    services = application.bot_data["services"]
    # The console delivers to its own people only; anyone else's messages wait for the bot
    # that serves Telegram.
    services.outbox.chats_from = CONSOLE_IDS_FROM
    engine: AsyncEngine = application.bot_data["engine"]
    try:
        people = ConsolePeople(services.sessions, clock=clock, lang=lang)
        await people.wake()
        person = await people.take(as_unit)
        await application.initialize()
        try:
            session = _Session(application, api, screen, people, person)
            await session.open()
            await session.loop(stdin or sys.stdin)
        finally:
            await application.shutdown()
    finally:
        # PTB runs post_shutdown only from run_polling/run_webhook: clean up here.
        services.offload.shutdown()
        await engine.dispose()
    return 0


class _Session:
    """One console session: who is at the console, what they type, what reaches them."""

    def __init__(
        self,
        application: DubanApp,
        api: BotApiEmulator,
        screen: Screen,
        people: ConsolePeople,
        person: Person,
    ) -> None:
        self.application = application
        self.api = api
        self.screen = screen
        self.people = people
        self.person = person
        self._last_update_id = 0

    async def open(self) -> None:
        """The banner, where files go, an unfinished draft; then what waited in the outbox."""
        screen, person = self.screen, self.person
        screen.lang, screen.user_chat_id = person.lang, person.id
        self.api.register_chat(person.chat)
        await self._refresh_people()
        who = (
            screen.chrome("banner_coordinator")
            if person.coordinator
            else screen.chrome("banner_units", units="、".join(person.units))
        )
        screen.line(screen.chrome("banner", who=who))
        if person.added is not None and len(person.units) > 1:
            screen.line(screen.chrome("banner_kept", unit=person.added))
        screen.line(screen.chrome("banner_commands"))
        files = screen.files
        if files is not None:
            screen.line(screen.chrome("files_at", folder=files.folder.absolute()))
        screen.line()
        await self._unfinished()
        await self.settle()

    async def loop(self, stdin: LineSource) -> None:
        """Read and act on lines until quit or the end of input (Ctrl-D); then say goodbye."""
        screen = self.screen
        interactive = stdin.isatty()
        while True:
            if interactive:
                screen.out.write("> ")
                screen.out.flush()
            raw = await self._read_line(stdin)
            if not raw:  # end of input (Ctrl-D on a terminal)
                if interactive:
                    screen.line()
                break
            line = raw.strip()
            if not line:
                continue
            if line.lower() in QUIT_WORDS:
                break
            shown = screen.shown
            await self.act(line)
            await self.settle()
            screen.lang = await self.people.language(self.person)  # /lang changes the chrome
            if screen.shown == shown:
                screen.note("no_reply")
        screen.line(screen.chrome("bye"))

    async def act(self, line: str) -> None:
        """One line: a console command, a button press, or a message to the bot."""
        key = line.lower()
        if line.startswith(VERBATIM) and len(line) > 1:
            await self._process(message=self._message(typed_text(line[1:])))
        elif line.startswith(CONSOLE_COMMAND):
            await self._console_command(line[1:].strip())
        elif _ONE_LETTER.fullmatch(key) or (
            len(self.screen.buttons) > 26 and _TWO_LETTERS.fullmatch(key)
        ):
            await self._press(key)
        else:
            await self._process(message=self._message(typed_text(line)))

    async def settle(self) -> None:
        """Deliver what the bot queued on its own (the real outbox, to the console's people),
        then bring live broadcasts' progress messages up to date, as the running bot's
        sender and its progress job would."""
        services = self.application.bot_data["services"]
        try:
            await services.outbox.drain()
            await progress_tick(DubanContext(self.application))
        except TelegramError:
            # e.g. a broadcast's progress message from an earlier visit, unknown to this one.
            log.info("console: a progress message could not be updated", exc_info=True)

    # --- what the person does ------------------------------------------------------------------

    async def _console_command(self, text: str) -> None:
        verb, _, rest = text.partition(" ")
        verb = verb.lower()
        if verb == "as" and rest.strip():
            await self._switch(rest.strip())
        elif verb == "coordinator":
            await self._switch(None)
        elif verb == "who":
            await self._who()
        elif verb == "file" and rest.strip():
            await self._send_file(rest)
        else:
            self.screen.note("bad_command", command=f":{text}")

    async def _switch(self, unit: str | None) -> None:
        """Take the console as the coordinator or as the liaison (linked to `unit` as well)."""
        try:
            person = await self.people.take(unit)
        except ConsoleError as error:
            self.screen.note(error.key, unit=error.unit)
            return
        self.person = person
        self.api.register_chat(person.chat)
        await self._refresh_people()
        self.screen.switch(person.id, person.lang)
        if person.added is not None and len(person.units) > 1:
            self.screen.note("banner_kept", unit=person.added)
        await self._unfinished()

    async def _who(self) -> None:
        screen = self.screen
        screen.line(screen.chrome("people"))
        for chat_id, label in screen.people.items():
            mark = "*" if chat_id == self.person.id else " "
            screen.line(f"  {mark} {label}")
        screen.line()
        screen.shown += 1

    async def _send_file(self, path_text: str) -> None:
        try:
            sent = upload(path_text)
        except AttachError as error:
            self.screen.note("no_file", reason=str(error))
            return
        self.api.add_file(sent.file_id, sent.data)
        await self._process(message=self._message(sent.content))

    async def _press(self, key: str) -> None:
        screen = self.screen
        message, buttons = screen.buttons_message, screen.buttons
        if message is None or not buttons:
            screen.note("no_buttons")
            return
        keys = [button_key(i) for i in range(len(buttons))]
        if key not in keys:
            screen.note("bad_button", n=key, last=keys[-1])
            return
        button = buttons[keys.index(key)]
        if button.callback_data is None:
            screen.note("link_button", url=button.url or "")
            return
        query = self.api.button_press(self.person.user, button.callback_data, message)
        await self._process(callback_query=query)
        if str(query["id"]) not in self.api.answered_queries:
            screen.note("unanswered")

    # --- helpers -------------------------------------------------------------------------------

    def _message(self, content: JSONDict) -> JSONDict:
        """A message from the person at the console, as Telegram delivers it."""
        return self.api.user_message(self.person.user, self.person.chat, content)

    async def _process(self, **payload: JSONDict) -> None:
        """Hand one update to the real Application, as Telegram would send it."""
        self._last_update_id += 1
        update = Update.de_json(
            {"update_id": self._last_update_id, **payload}, self.application.bot
        )
        await self.application.process_update(update)
        await self._refresh_people()  # /start CODE or /leave may have changed who they are

    async def _refresh_people(self) -> None:
        self.screen.people = await self.people.labels(self.screen.lang)

    async def _unfinished(self) -> None:
        """Reopening with a conversation in progress: say so, and how to go on or drop it."""
        found = await self.people.unfinished(self.person)
        if found is None:
            return
        draft, number = found
        if draft.kind == "return":
            self.screen.note("draft_return")
        else:
            step = self.screen.chrome(f"step.{draft.step}")
            self.screen.note("draft", task=number or "", step=step)

    async def _read_line(self, stdin: LineSource) -> str:
        """One line of input. On a terminal it is read in a thread, so Ctrl-C still ends the
        loop and what falls due meanwhile is delivered."""
        if not stdin.isatty():
            return stdin.readline()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def settle_future(line: str | None, error: BaseException | None) -> None:
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
                loop.call_soon_threadsafe(settle_future, None, exc)
            else:
                loop.call_soon_threadsafe(settle_future, line, None)

        # A daemon thread: a read still blocked when the console ends must not keep it alive.
        threading.Thread(target=read, name="duban-console-input", daemon=True).start()
        while not future.done():
            await asyncio.wait({future}, timeout=IDLE_SETTLE_S)
            if not future.done():
                await self.settle()
        return future.result()

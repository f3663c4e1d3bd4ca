"""The one way into a handler: a session per update, the caller, the plans, refusal by role.

Every callback registered in bot/app.py is wrapped by one of three decorators, which say who
may use it and what the handler is given:

- `anyone`: everybody, strangers too; the handler gets a `Request`.
- `linked`: a unit's liaison or a coordinator, while a plan is open; the handler gets a
  `Member` (contact certain, and every open plan). Anyone else hears `not_linked`.
- `coordinator`: coordinators only, with the open plans they coordinate (a `Member`: a
  coordinator scoped to some plans never sees the others); `coordinator(plan=False)` for what
  needs no plan (a `Known`). Anyone else hears `coordinator_only`.

A refusal is said the same way everywhere: a message gets a reply, a button press an alert.

Commits: the caller's refreshed contact (first visit of a configured coordinator, a new name
or chat, writing again after blocking the bot) is committed as soon as they are identified,
when something changed, before any refusal and before the handler runs: a refusal never
drops it and a failing handler never takes it back. Everything else a handler writes, it
commits itself before it answers (a contact `Request.register` creates goes with that).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update

from bot import callback_data
from bot.context import DubanContext
from bot.i18n import Lang, pick_language, t
from bot.validation import TextProblem
from data.models import Contact, Plan
from data.repo.contacts import get_contact, upsert_contact
from data.repo.coordinators import EVERY_PLAN, NO_PLAN, Scope, scope_of
from data.repo.plans import open_plans
from handlers.common import reply, text_refusal

R = TypeVar("R", bound="Request")
T = TypeVar("T")
Callback = Callable[[Update, DubanContext], Coroutine[Any, Any, None]]
Handler = Callable[[R], Awaitable[None]]


@dataclass
class Caller:
    """The person behind an update, as far as the database knows them."""

    contact: Contact | None
    lang: Lang
    scope: Scope  # the plans they coordinate (none: not a coordinator)
    refreshed: bool = False  # the contact was created or changed and waits for a commit

    @property
    def coordinator(self) -> bool:
        """Whether the person coordinates (every plan, or some)."""
        return self.scope.any

    @property
    def linked(self) -> bool:
        """Whether the person may see the plan (a liaison or a leader of some unit, or a
        coordinator)."""
        return self.coordinator or bool(
            self.contact and (self.contact.units or self.contact.leads)
        )


async def identify(
    update: Update, context: DubanContext, session: AsyncSession, *, register: bool = False
) -> Caller:
    """Load (or, when asked or when configured as coordinator, create) the caller's contact."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None  # noqa: S101 - handlers are registered for user updates only
    configured = user.id in context.settings.coordinators
    known = await get_contact(session, telegram_id=user.id)
    contact = known
    if known is not None or register or configured:
        contact = await upsert_contact(
            session,
            telegram_id=user.id,
            chat_id=chat.id if chat else user.id,
            full_name=user.full_name,
            username=user.username,
            known=known,
        )
        context.services.presence.note(contact, now=context.now())
    refreshed = contact is not None and (known is None or session.is_modified(contact))
    # The setting is read at every update (never copied); grants come from invites.
    scope = EVERY_PLAN if configured else NO_PLAN
    if contact is not None and not configured and contact.id is not None:
        scope = await scope_of(session, contact_id=contact.id)
    lang = pick_language(contact.language if contact else None, user.language_code)
    return Caller(contact, lang, scope, refreshed)


def _present(part: T | None) -> T:
    """A part of the update its handler's registration guarantees (a query, a message)."""
    assert part is not None  # noqa: S101 - asked only by handlers registered for it
    return part


@dataclass(frozen=True)
class Request:
    """What every handler gets: the update, its context, the update's session and the caller."""

    update: Update
    context: DubanContext
    session: AsyncSession
    caller: Caller

    @property
    def lang(self) -> Lang:
        """The caller's language."""
        return self.caller.lang

    @property
    def args(self) -> list[str]:
        """The words after the command."""
        return list(self.context.args or [])

    @property
    def query(self) -> CallbackQuery:
        """The pressed button (for callbacks registered as CallbackQueryHandler)."""
        return _present(self.update.callback_query)

    @property
    def data(self) -> callback_data.Parsed | None:
        """The pressed button's data, parsed (None when malformed)."""
        return callback_data.parse(self.query.data)

    @property
    def pressed_on(self) -> Message | None:
        """The message under the pressed button (None once Telegram no longer shows it)."""
        message = self.query.message
        return message if isinstance(message, Message) else None

    @property
    def message(self) -> Message:
        """The message that came in (for callbacks registered as MessageHandler)."""
        return _present(self.update.effective_message)

    @property
    def chat_id(self) -> int | None:
        """The chat the update came from."""
        chat = self.update.effective_chat
        return chat.id if chat else None

    def t(self, key: str, /, **values: object) -> str:
        """A catalog text in the caller's language."""
        return t(self.caller.lang, key, **values)

    def now(self) -> datetime:
        """The current moment (UTC) from the injected clock."""
        return self.context.now()

    async def reply(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
        """Send a message to the update's chat (HTML, within Telegram's length)."""
        return await reply(self.update, text, markup)

    async def refuse(self, key: str, /, **values: object) -> None:
        """Say no with a catalog text: an alert for a button press, a reply to a message."""
        await self.say_no(self.t(key, **values))

    async def say_no(self, text: str) -> None:
        """Say no with a text already written: an alert for a button press, else a reply."""
        if self.update.callback_query is not None:
            await self.update.callback_query.answer(text, show_alert=True)
        else:
            await self.reply(text)

    async def explain(self, problem: TextProblem, raw: str) -> None:
        """Say why typed text was refused (a text too long comes back whole, to copy)."""
        for text in text_refusal(self.lang, problem, raw):
            await self.reply(text)

    async def register(self) -> Contact:
        """The caller's contact, created now if they have none (committed with the handler's
        own work)."""
        if self.caller.contact is None:
            caller = await identify(self.update, self.context, self.session, register=True)
            self.caller.contact = caller.contact
        assert self.caller.contact is not None  # noqa: S101 - register=True creates it
        return self.caller.contact

    async def queued(self) -> None:
        """Commit messages queued in the outbox, and let the sender look at once."""
        await self.session.commit()
        self.context.services.wake_outbox()


@dataclass(frozen=True)
class Known(Request):
    """A request from someone with a contact (a coordinator, where no plan is needed)."""

    contact: Contact


@dataclass(frozen=True)
class Member(Known):
    """A request from a liaison or a coordinator, with the open plans they work on (a liaison:
    every open plan; a coordinator: those they coordinate), oldest first, never none."""

    plans: tuple[Plan, ...]

    @property
    def several(self) -> bool:
        """Whether more than one plan is in view (then plans are named wherever it matters)."""
        return len(self.plans) > 1

    @property
    def reads_only(self) -> bool:
        """A unit's leader who is no liaison: sees the unit's tasks, reports nothing."""
        return not self.contact.units and not self.caller.coordinator

    def plan_of(self, plan_id: int) -> Plan | None:
        """One of the plans in view by id (None: not one of theirs, or not open)."""
        return next((p for p in self.plans if p.id == plan_id), None)


def _entry(handler: Handler[R], admit: Callable[[Request], Awaitable[R | str]]) -> Callback:
    """Wrap a handler: session, caller (refresh committed), role check, then the handler."""

    @functools.wraps(handler)
    async def callback(update: Update, context: DubanContext) -> None:
        async with context.sessions() as session:
            caller = await identify(update, context, session)
            if caller.refreshed:
                await session.commit()
            request = Request(update, context, session, caller)
            admitted = await admit(request)
            if isinstance(admitted, str):
                await request.refuse(admitted)
                return
            await handler(admitted)

    return callback


async def _anyone(request: Request) -> Request:
    return request


async def _with_plan(
    request: Request, *, allowed: bool, refusal: str, scope: Scope | None
) -> Member | str:
    contact = request.caller.contact
    if not allowed or contact is None:
        return refusal
    plans = tuple(await open_plans(request.session))
    if scope is not None:
        plans = tuple(p for p in plans if scope.covers(p.id))
    if not plans:
        return "not_linked"
    return Member(request.update, request.context, request.session, request.caller, contact, plans)


async def admit_linked(request: Request) -> Member | str:
    """The request as a liaison's or coordinator's with their plans, or the refusal's key
    (for a handler open to anyone that takes some input from members only)."""
    return await _with_plan(
        request, allowed=request.caller.linked, refusal="not_linked", scope=None
    )


async def _coordinator(request: Request) -> Member | str:
    caller = request.caller
    return await _with_plan(
        request, allowed=caller.coordinator, refusal="coordinator_only", scope=caller.scope
    )


async def _coordinator_any_plan(request: Request) -> Known | str:
    contact = request.caller.contact
    if not request.caller.coordinator or contact is None:
        return "coordinator_only"
    return Known(request.update, request.context, request.session, request.caller, contact)


def anyone(handler: Handler[Request]) -> Callback:
    """For everybody, strangers too: nothing is refused."""
    return _entry(handler, _anyone)


def linked(handler: Handler[Member]) -> Callback:
    """For a unit's liaisons and coordinators, with the plan; others hear `not_linked`."""
    return _entry(handler, admit_linked)


@overload
def coordinator(handler: Handler[Member], /) -> Callback: ...
@overload
def coordinator(*, plan: Literal[False]) -> Callable[[Handler[Known]], Callback]: ...
def coordinator(
    handler: Handler[Member] | None = None, /, *, plan: bool = True
) -> Callback | Callable[[Handler[Known]], Callback]:
    """For coordinators only (others hear `coordinator_only`): with the plan (`not_linked`
    without one), or with `plan=False` for what needs none."""
    if handler is not None:
        return _entry(handler, _coordinator)
    assert not plan  # noqa: S101 - the overloads allow only plan=False without a handler

    def without_plan(handler: Handler[Known]) -> Callback:
        return _entry(handler, _coordinator_any_plan)

    return without_plan

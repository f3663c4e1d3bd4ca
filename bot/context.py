"""The per-update context handlers receive: settings, database sessions, clock and calendar."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.calendar.clock import Clock, PlanMoment, plan_moment
from bot.calendar.workdays import Calendar
from bot.delivery.sender import OutboxSender
from bot.lights import LightThresholds
from bot.offload import Offload
from bot.presence import Presence
from bot.settings import Settings
from data.models import Plan

# Set while a webhook worker handles an update in a transaction of its own (bot/web/updates.py).
UPDATE_SESSIONS: ContextVar[async_sessionmaker[AsyncSession] | None] = ContextVar(
    "update_sessions", default=None
)


class Services:
    """What the composition root hands every handler and job (kept in bot_data)."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        calendar: Calendar,
        thresholds: LightThresholds,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.calendar = calendar
        self.thresholds = thresholds
        self.bot_username: str | None = settings.bot_username
        self.outbox: OutboxSender | None = None
        # Workbooks and charts are built in worker processes (bot/offload.py).
        self.offload = Offload()
        # When the clock last ticked here (GET /healthz reports it).
        self.ticked_at: datetime | None = None
        # When people last wrote, written by a job rather than by their updates.
        self.presence = Presence()

    def wake_outbox(self) -> None:
        """Messages were queued: let the sender look now."""
        if self.outbox is not None:
            self.outbox.wake()


class DubanContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to our services."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        """The shared services."""
        services = self.bot_data["services"]
        assert isinstance(services, Services)  # noqa: S101 - set once by bot.app
        return services

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Open one session per update: `async with context.sessions() as session`.

        A webhook worker on PostgreSQL hands out sessions inside the update's own transaction
        (bot/web/updates.py), so what the handlers write commits with the update, or not at all.
        """
        return UPDATE_SESSIONS.get() or self.services.sessions

    @property
    def settings(self) -> Settings:
        """The settings."""
        return self.services.settings

    def now(self) -> datetime:
        """The current moment from the injected clock, in UTC."""
        return self.services.clock().astimezone(UTC)

    def moment(self, plan: Plan) -> PlanMoment:
        """Where the plan stands now: local day, period in force, due day."""
        return plan_moment(
            plan, now=self.now(), tz=self.settings.tz, calendar=self.services.calendar
        )

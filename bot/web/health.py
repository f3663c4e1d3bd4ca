"""GET /healthz: whether this worker should get traffic (database, outbox backlog, clock)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.context import Services
from data.repo.outbox import backlog

# A database that does not answer within this is as good as down for a load balancer.
DATABASE_TIMEOUT_S = 5.0


@dataclass
class Liveness:
    """The worker's own state, shared by its routes."""

    started_at: datetime
    stopping: bool = False


class Health:
    """The endpoint: 200 with the figures when healthy, 503 with the problems when not."""

    def __init__(self, services: Services, liveness: Liveness) -> None:
        self.services = services
        self.liveness = liveness

    async def check(self, request: Request) -> JSONResponse:
        """Check the database, the outbox's oldest due message and the clock's last tick."""
        settings = self.services.settings
        now = self.services.clock().astimezone(UTC)
        problems: list[str] = []
        body: dict[str, Any] = {"database": "ok"}
        if self.liveness.stopping:
            problems.append("stopping")
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_S), self.services.sessions() as session:
                waiting, oldest = await backlog(session, now=now)
        except (OperationalError, DBAPIError, OSError, TimeoutError) as exc:
            body["database"] = f"unreachable: {type(exc).__name__}"
            problems.append("database unreachable")
        else:
            age = (now - oldest).total_seconds() if oldest is not None else 0.0
            body["outbox_backlog"] = waiting
            body["outbox_oldest_age_s"] = round(age, 1)
            if age > settings.health_outbox_max_age_minutes * 60:
                problems.append("outbox backlog too old")
        ticked = self.services.ticked_at
        body["last_tick"] = ticked.isoformat() if ticked is not None else None
        since = ticked or self.liveness.started_at
        if now - since > timedelta(minutes=settings.health_tick_max_age_minutes):
            problems.append("clock tick too old")
        body["status"] = "unhealthy" if problems else "ok"
        body["problems"] = problems
        return JSONResponse(body, status_code=503 if problems else 200)

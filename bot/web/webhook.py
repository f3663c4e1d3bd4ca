"""POST /telegram: Telegram's webhook, answered once the update is handled."""

from __future__ import annotations

import hmac
import json
import logging

from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.requests import Request
from starlette.responses import Response
from telegram import Bot, Update

from bot.web.health import Liveness
from bot.web.updates import UpdateGate

log = logging.getLogger("duban.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class Webhook:
    """The endpoint: the secret checked in constant time, then the update through the gate.

    Answering only after handling lets Telegram redeliver an update whose handling failed, and
    keeps the next update of a chat from arriving before this one is done. While the worker
    stops it answers 503, so Telegram (or nginx, at once) takes the update to another worker.
    """

    def __init__(self, gate: UpdateGate, bot: Bot, *, secret: str, liveness: Liveness) -> None:
        self.gate = gate
        self.bot = bot
        self._secret = secret.encode()
        self.liveness = liveness

    async def receive(self, request: Request) -> Response:
        """Handle one update POSTed by Telegram."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
            update = Update.de_json(data, self.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            return Response(status_code=400)
        # No await between this check and the gate counting the update in hand.
        if self.liveness.stopping:
            return Response(status_code=503, headers={"Retry-After": "1"})
        try:
            await self.gate.handle(update)
        except (OperationalError, DBAPIError, OSError) as exc:
            # Telegram retries: the update is not lost, only late.
            log.warning("update %s not handled: %s", update.update_id, type(exc).__name__)
            return Response(status_code=503, headers={"Retry-After": "1"})
        return Response(status_code=200)

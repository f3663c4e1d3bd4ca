"""The one ASGI application of a worker: the webhook, the health check and the dashboard.

Served by uvicorn (bot/web/server.py) beside the PTB Application, as python-telegram-bot's
`customwebhookbot` examples do; in long polling only the health check and the dashboard.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route
from telegram import Bot

from bot.context import Services
from bot.dashboard.routes import dashboard_routes
from bot.web.health import Health, Liveness
from bot.web.webhook import Webhook

HEALTH_PATH = "/healthz"


def web_app(
    services: Services,
    liveness: Liveness,
    *,
    webhook: Webhook | None = None,
    webhook_path: str = "/telegram",
    files: Bot | None = None,
) -> Starlette:
    """The routes of one worker; `files` fetches the dashboard's attachments from Telegram."""
    routes: list[BaseRoute] = [
        Route(HEALTH_PATH, Health(services, liveness).check, methods=["GET"])
    ]
    if webhook is not None:
        routes.append(Route(webhook_path, webhook.receive, methods=["POST"]))
    routes.extend(dashboard_routes(services, files=files))
    return Starlette(routes=routes)

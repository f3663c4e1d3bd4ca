"""The dashboard served on its own (`duban dashboard`, the tests and the benchmark): a small
Starlette app around `dashboard_routes`, run by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from telegram import Bot
from uvicorn import Config, Server

from bot.context import Services
from bot.dashboard.auth import LocalLogins
from bot.dashboard.routes import PREFIX, dashboard_routes


async def _home(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/")


def dashboard_app(
    services: Services, *, files: Bot | None = None, logins: LocalLogins | None = None
) -> Starlette:
    """An ASGI app serving only the dashboard (and / pointing at it)."""
    return Starlette(
        routes=[Route("/", _home), *dashboard_routes(services, files=files, logins=logins)]
    )


class _Served(Server):
    """uvicorn leaving SIGINT and SIGTERM to its caller (a worker stops in its own order)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def local_server(
    app: Starlette, *, port: int, host: str = "127.0.0.1", own_signals: bool = True
) -> Server:
    """uvicorn serving `app` on 127.0.0.1 (or `host`; port 0: any free port), quiet.
    With `own_signals` False, Ctrl-C and SIGTERM are the caller's to handle."""
    config = Config(app, host=host, port=port, log_level="warning", access_log=False)
    return Server(config) if own_signals else _Served(config)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (OSError when it cannot be): binding it here rather than in
    uvicorn, which exits the whole process when it cannot bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def start(server: Server, sock: socket.socket | None = None) -> asyncio.Task[None]:
    """Start serving (on `sock` when given); returns once it listens (OSError when it cannot)."""
    serving = asyncio.create_task(server.serve(sockets=[sock] if sock is not None else None))
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.02)
    if serving.done():
        raise OSError("the dashboard could not listen (is the port taken?)")
    return serving


def bound_port(server: Server) -> int:
    """The port a started server listens on."""
    return int(server.servers[0].sockets[0].getsockname()[1])

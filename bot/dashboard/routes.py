"""The dashboard's routes: the page, its parts (HTML rendered here), its two writes, files.

`dashboard_routes(services)` is one `Mount("/dashboard", …)` that any ASGI app of Duban's can
include: the web app beside the webhook, or `duban dashboard`'s own (bot/dashboard/server.py).
Every part and write is let in by `Dashboard.viewer` only (see bot/dashboard/auth.py).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from telegram import Bot
from telegram.error import TelegramError

from bot.context import Services
from bot.dashboard import actions, views
from bot.dashboard.auth import (
    AUTH_SCHEME,
    SESSION_COOKIE,
    LocalLogins,
    Refused,
    Viewer,
    telegram_user,
    viewer_for_contact,
    viewer_for_user,
)
from bot.dashboard.figures import FiguresCache
from bot.i18n import Lang, date_text, t
from bot.lights import Light
from data.repo.dashboard import attachment_in_plan
from data.repo.tasks import plan_of_task

HERE = Path(__file__).resolve().parent
PREFIX = "/dashboard"
# Writes carry this header: a form on another site cannot send it (CORS), so a session
# cookie alone never makes a write.
WRITE_HEADER = "x-duban"

Part = Callable[["Dashboard", Request, AsyncSession, Viewer], Awaitable[Response]]


def plain(text: str) -> str:
    """A catalog text written for Telegram's HTML, as plain text for the page."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdecimal() and len(value) < 12 else None


def _client_lang(request: Request) -> Lang:
    """The language of a page shown before anyone is known: ?lang=en, else Chinese."""
    return "en" if request.query_params.get("lang", "").lower().startswith("en") else "zh"


class Dashboard:
    """The dashboard's endpoints over the bot's services."""

    def __init__(
        self, services: Services, *, files: Bot | None, logins: LocalLogins | None
    ) -> None:
        self.services = services
        self.files = files  # downloads attachments from Telegram (None: names only)
        self.logins = logins
        self.figures = FiguresCache(services)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, lang: Lang, status: int = 200, **values: Any) -> HTMLResponse:
        """A template in a language (every text from the catalog)."""
        page = self.env.get_template(name).render(
            t=functools.partial(t, lang),
            lang=lang,
            date=functools.partial(date_text, lang),
            Light=Light,
            prefix=PREFIX,
            **values,
        )
        return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})

    async def viewer(self, request: Request, session: AsyncSession) -> Viewer:
        """The coordinator behind this call, by initData or a local session; Refused if none."""
        settings = self.services.settings
        scheme, _, raw = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == AUTH_SCHEME and raw:
            if settings.telegram_token is None:
                raise Refused(401, "dash.auth_invalid")
            user = telegram_user(
                raw.strip(),
                token=settings.telegram_token.get_secret_value(),
                max_age=timedelta(minutes=settings.dashboard_max_age_minutes),
                now=self.services.clock().astimezone(UTC),
            )
            return await viewer_for_user(session, user, settings=settings)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id and self.logins is not None:
            contact_id = self.logins.contact_of(session_id)
            if contact_id is not None:
                return await viewer_for_contact(session, contact_id, settings=settings)
        raise Refused(401, "dash.auth_missing")

    # --- the page and its parts --------------------------------------------------------------

    async def shell(self, request: Request) -> Response:
        """The page itself: no data, only where the parts go and the script that fetches them."""
        return self.render("shell.html", _client_lang(request))

    async def overview(self, request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """This period's rate, lights by section, units not yet reported, the trends."""
        plan = viewer.plan(_int(request.query_params.get("plan")))
        shown = await self.figures.of(session, plan)
        page = views.overview_page(viewer.lang, shown.figures)
        return self.render(
            "overview.html", viewer.lang, viewer=viewer, plan=plan, shown=shown, **page
        )

    async def matrix(self, request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """Tasks × lead units by light, filtered by section, light and unit."""
        query = request.query_params
        plan = viewer.plan(_int(query.get("plan")))
        light = query.get("light")
        wanted = views.MatrixFilter(
            section=_int(query.get("section")),
            light=Light(light) if light in {x.value for x in Light} else None,
            unit=_int(query.get("unit")),
            page=_int(query.get("page")) or 1,
        )
        shown = await self.figures.of(session, plan)
        page = views.matrix_page(viewer.lang, shown.figures, wanted)
        return self.render(
            "matrix.html", viewer.lang, viewer=viewer, plan=plan, shown=shown, **page
        )

    async def task(self, request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """One task with every report, its versions, attachments and reviews."""
        task_id = int(request.path_params["task_id"])
        plan_id = await plan_of_task(session, task_id=task_id)
        if plan_id is None:
            raise Refused(404, "dash.not_found")
        plan = viewer.plan(plan_id)
        page = await views.task_page(session, self.services, viewer, plan, task_id)
        if page is None:
            raise Refused(404, "dash.not_found")
        return self.render("task.html", viewer.lang, viewer=viewer, plan=plan, **page)

    async def units(self, request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """Units ranked by on-time rate, with their liaisons and 催办."""
        plan = viewer.plan(_int(request.query_params.get("plan")))
        shown = await self.figures.of(session, plan)
        page_no = _int(request.query_params.get("page")) or 1
        page = await views.units_page(
            session, self.services, viewer.lang, plan, shown.figures, page_no
        )
        return self.render(
            "units.html", viewer.lang, viewer=viewer, plan=plan, shown=shown, **page
        )

    # --- writes: the chat's own services -----------------------------------------------------

    async def review(self, request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """采纳, or 退回 with a reason: as the buttons under a report in chat do."""
        body = await _json(request)
        done = await actions.review(
            session,
            self.services,
            viewer,
            report_id=int(request.path_params["report_id"]),
            accepting=body.get("decision") == "accept",
            reason=str(body.get("reason") or ""),
        )
        return JSONResponse({"ok": done.ok, "message": plain(done.message)}, done.status)

    async def chase(self, request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """催办 one late unit of a plan, or all of them: as /late's buttons do."""
        body = await _json(request)
        plan = viewer.plan(_int(str(body.get("plan", ""))))
        unit = str(body.get("unit", ""))
        done = await actions.chase(
            session,
            self.services,
            viewer,
            plan=plan,
            unit_id=None if unit == "all" else _int(unit),
        )
        return JSONResponse({"ok": done.ok, "message": plain(done.message)}, done.status)

    async def file(self, request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """An attachment's bytes, fetched from Telegram (which keeps them)."""
        found = await attachment_in_plan(
            session, attachment_id=int(request.path_params["attachment_id"])
        )
        if found is None:
            raise Refused(404, "dash.not_found")
        attachment, plan_id = found
        viewer.plan(plan_id)
        await session.commit()
        if self.files is None:
            raise Refused(404, "dash.file_unavailable")
        try:
            data = await (await self.files.get_file(attachment.file_id)).download_as_bytearray()
        except TelegramError as exc:
            raise Refused(404, "dash.file_unavailable") from exc
        name = attachment.file_name or f"{attachment.kind}-{attachment.id}.jpg"
        return Response(
            bytes(data),
            media_type=attachment.mime_type or "image/jpeg",
            headers={
                "Content-Disposition": f"inline; filename*=UTF-8''{_quote(name)}",
                "Cache-Control": "private, no-store",
            },
        )

    # --- local login -------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        """A one-time link from `duban dashboard`: a session cookie, then the page."""
        code = request.query_params.get("code", "")
        session_id = self.logins.redeem(code) if self.logins is not None and code else None
        if session_id is None:
            lang = _client_lang(request)
            return self.render("refused.html", lang, 401, message=t(lang, "dash.login_used"))
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=self.services.settings.dashboard_max_age_minutes * 60,
            path=PREFIX,
            httponly=True,
            samesite="strict",
        )
        return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _part(dashboard: Dashboard, handler: Part, *, write: bool = False) -> Callable[..., Any]:
    """An endpoint that needs a coordinator: a session, the viewer, refusals as pages."""

    async def endpoint(request: Request) -> Response:
        if write and request.headers.get(WRITE_HEADER) != "1":
            return JSONResponse({"ok": False, "message": "missing header"}, 400)
        async with dashboard.services.sessions() as session:
            try:
                viewer = await dashboard.viewer(request, session)
                return await handler(dashboard, request, session, viewer)
            except Refused as refused:
                lang = _client_lang(request)
                message = t(lang, refused.key)
                if write:
                    return JSONResponse({"ok": False, "message": message}, refused.status)
                return dashboard.render("refused.html", lang, refused.status, message=message)

    return endpoint


def dashboard_routes(
    services: Services, *, files: Bot | None = None, logins: LocalLogins | None = None
) -> list[BaseRoute]:
    """The dashboard under /dashboard: include these routes in an ASGI app. `files` fetches
    attachments (the bot); `logins` enables `duban dashboard`'s one-time local login."""
    dash = Dashboard(services, files=files, logins=logins)
    routes: list[BaseRoute] = [
        Route("/", dash.shell),
        Route("/api/overview", _part(dash, Dashboard.overview)),
        Route("/api/matrix", _part(dash, Dashboard.matrix)),
        Route("/api/task/{task_id:int}", _part(dash, Dashboard.task)),
        Route("/api/units", _part(dash, Dashboard.units)),
        Route("/api/file/{attachment_id:int}", _part(dash, Dashboard.file)),
        Route(
            "/api/review/{report_id:int}",
            _part(dash, Dashboard.review, write=True),
            methods=["POST"],
        ),
        Route("/api/chase", _part(dash, Dashboard.chase, write=True), methods=["POST"]),
        Route("/login", dash.login),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return [Mount(PREFIX, routes=routes)]

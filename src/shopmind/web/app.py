"""Mounting the console on the REST API's app: its pages under ``/admin``, its vendored static files, its error
pages.

>>> from shopmind.api import create_app
>>> from shopmind.web import mount_console
>>> app = mount_console(create_app(service, api_settings), web_settings)   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from shopmind.settings import ApiSettings, WebSettings
from shopmind.web.console import Console, Refused, SignInRequired, render
from shopmind.web.routes import PAGES, ROUTERS
from shopmind.web.sessions import Sessions, SessionSigner

logger = logging.getLogger(__name__)

#: The vendored JavaScript and CSS (htmx, the console's own), served at ``/admin/static``.
STATIC = Path(__file__).parent / "static"
#: Where uploads go (the only console path with a larger body limit).
UPLOAD_PATH = "/admin/data/import"


def _number(value: object, digits: int = 0) -> str:
    """``1234567`` -> ``1,234,567``; None -> an en dash."""
    if value is None:
        return "–"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def _percent(value: object, digits: int = 1) -> str:
    return "–" if not isinstance(value, int | float) else f"{100 * value:.{digits}f}%"


def templates() -> jinja2.Environment:
    """The console's Jinja2 templates (autoescaped; an undefined name is an error, not an empty string)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("shopmind.web", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = _number
    env.filters["percent"] = _percent
    return env


class NamedMount(Mount):
    """A mount that names itself as the request's route, so the API's metrics count the console's static files
    under ``/admin/static`` (and the Overview leaves them out) rather than as unmatched requests."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await super().handle(scope, receive, send)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):  # a part of a page: send the whole page to the sign-in form
        return Response(status_code=401, headers={"HX-Redirect": "/admin/signin"})
    return RedirectResponse(f"/admin/signin?next={target}", status_code=303)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)  # registered for Refused only
    partial = bool(request.headers.get("hx-request"))
    return render(request, "partials/refused.html" if partial else "refused.html", status_code=exc.status,
                  message=exc.message)


def mount_console(app: FastAPI, settings: WebSettings | None = None) -> FastAPI:
    """Add the console to ``app`` (made by :func:`shopmind.api.create_app`): pages at ``/admin`` behind API-key
    sign-in with the keys of the app's :class:`ApiSettings`. Returns ``app``."""
    settings = settings or WebSettings()
    api: ApiSettings = app.state.settings
    if settings.session_secret is not None:
        secret = settings.session_secret.get_secret_value().encode()
    else:
        secret = secrets.token_bytes(32)  # sessions end when the process does
    keyring = getattr(app.state, "keyring", None)
    stored = None
    if keyring is not None:

        def stored(key: str) -> frozenset[str] | None:
            info = keyring.lookup(key)
            return None if info is None else info.scopes

    sessions = Sessions(SessionSigner(secret, settings.session_hours * 3600), api.keys, stored,
                        stored_any=keyring is not None and keyring.enabled)
    app.state.console = Console(settings, sessions, templates(), list(PAGES))
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.router.routes.append(NamedMount("/admin/static", StaticFiles(directory=STATIC), name="console-static"))
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(Refused, _refused)
    limits = getattr(app.state, "body_limits", None)
    if isinstance(limits, dict):
        limits[UPLOAD_PATH] = settings.max_upload_bytes
    for page in PAGES:
        if page.startup is not None:
            page.startup(app)
    if sessions.development:
        logger.warning("console at /admin: no API keys configured, so anyone who reaches this server can use it")
    return app

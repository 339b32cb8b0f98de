"""What every console page shares: the :class:`Console` on ``app.state.console``, the :class:`Page` registration,
the guards of reading and acting, and :func:`render`.

A page is one module under :mod:`shopmind.web.routes` that defines ``router`` (its routes, under ``/admin``)
and ``PAGE = Page("/admin/thing", "Thing", router)``; one line in ``routes/__init__.py`` adds it to the
navigation. Pages read the same objects the REST API reads (``app.state.service``, ``app.state.metrics``,
``app.state.settings``): there is no second path to the data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from shopmind import __version__
from shopmind.api.metrics import Metrics
from shopmind.pipeline.service import RecommendationService
from shopmind.settings import ApiSettings, WebSettings
from shopmind.web.sessions import COOKIE, COOKIE_PATH, CSRF_FIELD, CSRF_HEADER, Session, Sessions, csrf_ok


@dataclass(frozen=True)
class Page:
    """A page of the navigation: where it lives, its name, the router serving it (and its parts), and what to do
    when the console is mounted (e.g. start counting something in the background), if anything."""

    path: str
    title: str
    router: APIRouter
    startup: Callable[[FastAPI], None] | None = None


@dataclass
class Console:
    """The console's own state, next to the service it shows (``app.state.console``)."""

    settings: WebSettings
    sessions: Sessions
    templates: jinja2.Environment
    pages: list[Page]
    started: float = field(default_factory=time.time)
    #: Objects the pages keep between requests (import jobs, rate samples, caches), by name; made on first use.
    parts: dict[str, Any] = field(default_factory=dict)

    def part(self, name: str, make: Callable[[], Any]) -> Any:
        """The shared object ``name``, made by ``make`` the first time."""
        if name not in self.parts:
            self.parts[name] = make()
        return self.parts[name]


class SignInRequired(Exception):
    """The request has no signed-in session: the page answers with the sign-in page."""


class Refused(Exception):
    """A request the console will not carry out (CSRF check, read-only key, bad input): shown to the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def service_of(request: Request) -> RecommendationService:
    service: RecommendationService = request.app.state.service
    return service


def metrics_of(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def api_settings_of(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


async def viewer(request: Request) -> Session:
    """Dependency of every page: a signed-in session (any scope), else :class:`SignInRequired`."""
    if not hasattr(request.state, "console_t0"):
        request.state.console_t0 = time.perf_counter()
    session = console_of(request).sessions.of(request)
    if not session.signed_in:
        raise SignInRequired()
    return session


async def sender(request: Request) -> Session:
    """Dependency of a form that asks something and changes no shop data (e.g. a chat turn with the shopping
    assistant, which the REST API answers for a ``read`` key too): signed in, any scope, the session's CSRF
    token."""
    session = await viewer(request)
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")):
        value = (await request.form()).get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not csrf_ok(session, presented):
        raise Refused(403, "This form expired or did not come from the console (the CSRF check failed): "
                           "reload the page and try again.")
    return session


async def actor(request: Request) -> Session:
    """Dependency of every state-changing request: signed in, the session's CSRF token, a ``write`` key."""
    session = await sender(request)
    if not session.can_act:
        raise Refused(403, "This key can read but not act (read scope): sign in with a key that has the "
                           "write scope to change anything.")
    return session


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page or a part of one: ``template`` with the session, the navigation and ``context``; the response
    carries the session cookie when it is new and a ``Server-Timing`` header with the server's time."""
    console = console_of(request)
    session = console.sessions.of(request)
    html = console.templates.get_template(template).render(
        request=request, session=session, pages=console.pages, path=request.url.path, version=__version__,
        csrf=session.csrf, csrf_field=CSRF_FIELD, **context)
    response = HTMLResponse(html, status_code=status_code)
    start = getattr(request.state, "console_t0", None)
    if start is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
    if getattr(request.state, "console_new_cookie", False):
        set_session_cookie(request, response, console.sessions.cookie_value(session.data))
    return response


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    """Hand out the session cookie: HttpOnly, SameSite=Strict, only for ``/admin``, Secure over HTTPS."""
    response.set_cookie(COOKIE, value, max_age=int(console_of(request).sessions.signer.max_age), path=COOKIE_PATH,
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")

"""Signing in with an API key and out again (not a page of the navigation)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shopmind.web.console import console_of, render, set_session_cookie
from shopmind.web.sessions import CSRF_FIELD, csrf_ok

router = APIRouter()


def _next(target: object) -> str:
    """Where to go after signing in: a console path, never another site."""
    text = str(target or "")
    return text if text.startswith("/admin") and not text.startswith("//") else "/admin"


@router.get("/admin/signin", response_class=HTMLResponse)
async def signin_page(request: Request) -> Response:
    """The sign-in form (development mode, without keys, goes straight to the console)."""
    console = console_of(request)
    session = console.sessions.of(request)
    if session.signed_in:
        return RedirectResponse(_next(request.query_params.get("next")), status_code=303)
    return render(request, "signin.html", next=_next(request.query_params.get("next")), error=None)


@router.post("/admin/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    """Check the CSRF token of the sign-in form and the key; a known key opens a session with its scopes."""
    console = console_of(request)
    form = await request.form()
    session = console.sessions.of(request)
    target = _next(form.get("next"))
    token = form.get(CSRF_FIELD)
    if not csrf_ok(session, token if isinstance(token, str) else None):
        return render(request, "signin.html", status_code=403, next=target,
                      error="The sign-in form expired (CSRF check failed): please try again.")
    key = form.get("api_key")
    data = console.sessions.sign_in(key) if isinstance(key, str) and key.strip() else None
    if data is None:
        return render(request, "signin.html", status_code=401, next=target,
                      error="Unknown API key. Use a key from SHOPMIND_API_KEYS (read or write scope).")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, console.sessions.cookie_value(data))
    return response


@router.post("/admin/signout")
async def signout(request: Request) -> Response:
    """End the session (a new anonymous one replaces it) and show the sign-in form."""
    console = console_of(request)
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not csrf_ok(console.sessions.of(request), token if isinstance(token, str) else None):
        return render(request, "signin.html", status_code=403, next="/admin",
                      error="The sign-out form expired (CSRF check failed): reload the page and try again.")
    response = RedirectResponse("/admin/signin", status_code=303)
    set_session_cookie(request, response, console.sessions.cookie_value(console.sessions.signer.new()))
    return response

"""Users: find a shopper, their profile and history, the recommendations the API would serve them now (with the
same reasons), and shoppers alike. Deleting a user is what ``DELETE /users/{id}`` does; exporting a user's
data waits for the privacy endpoints."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.privacy.erasure import Eraser
from shopmind.web.console import Page, Refused, actor, console_of, render, service_of, viewer
from shopmind.web.lookup import Lookup

router = APIRouter(dependencies=[Depends(viewer)])
#: Items of the history shown, recommendations shown, shoppers alike shown.
HISTORY, RECOMMENDED, ALIKE = 20, 10, 8


def lookup_of(request: Request) -> Lookup:
    service = service_of(request)
    lookup: Lookup = console_of(request).part("lookup", lambda: Lookup(service))
    return lookup


def _busiest(request: Request, n: int = 8) -> list[tuple[str, int]]:
    """The shoppers with the longest stored histories (somewhere to start)."""
    history = service_of(request).state.history
    lengths = np.diff(history.indptr)
    top = np.argsort(-lengths, kind="stable")[:n]
    return [(history.users.raw(int(u)), int(lengths[u])) for u in top if lengths[u] > 0]


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, q: str = "") -> HTMLResponse:
    return render(request, "users.html", q=q, found=lookup_of(request).users(q), busiest=_busiest(request))


@router.get("/admin/users/find", response_class=HTMLResponse)
def find(request: Request, q: str = "") -> HTMLResponse:
    """Users whose id starts with ``q`` (as the person types)."""
    return render(request, "partials/user_matches.html", q=q, found=lookup_of(request).users(q))


def _user(request: Request, user_id: str) -> dict[str, Any]:
    service = service_of(request)
    profile = service.store.get_user(user_id)
    history = service.state.history
    ctx = service.state.sessions.context(user_id, history, recent=HISTORY)
    if profile is None and user_id not in history and not ctx.has_activity:
        raise Refused(404, f"No user {user_id!r}: neither a profile nor any history.")
    catalog = service.state.catalog
    recent = [{"item_id": catalog.raw(i), "title": catalog.label(i), "kind": kind} for i, kind in ctx.anchors]
    rec = service.recommend(user_id, n=RECOMMENDED)
    return {"user_id": user_id, "profile": profile, "recent": recent, "stored": len(history.seen(user_id)),
            "rec": rec, "alike": lookup_of(request).similar_users(user_id, ALIKE)}


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, user_id: str) -> HTMLResponse:
    return render(request, "user.html", **_user(request, user_id))


@router.get("/admin/users/{user_id}/confirm-delete", response_class=HTMLResponse)
def confirm_delete(request: Request, user_id: str) -> HTMLResponse:
    return render(request, "partials/confirm_delete_user.html", user_id=user_id)


@router.post("/admin/users/{user_id}/delete", response_class=HTMLResponse, dependencies=[Depends(actor)])
def delete_user(request: Request, user_id: str) -> HTMLResponse:
    """Erase the user everywhere, as ``DELETE /users/{id}`` does (store, live state, model versions, saved
    artifacts; logged in the deletion log)."""
    service = service_of(request)
    settings = request.app.state.settings
    eraser = Eraser(service.store, service, settings.models_dir, getattr(request.app.state, "privacy_secret", None))
    try:
        receipt = eraser.erase(user_id, source="console")
    except UnknownIdError:
        return render(request, "partials/user_deleted.html", user_id=user_id, deleted=0)
    except ShopmindError as exc:
        raise Refused(409, str(exc)) from None
    return render(request, "partials/user_deleted.html", user_id=user_id, deleted=sum(receipt["deleted"].values()))


PAGE = Page("/admin/users", "Users", router)

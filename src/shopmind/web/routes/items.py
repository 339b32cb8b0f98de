"""Items: find an item, its record and fact sheet, similar and bought-together items (as ``/items/{id}/similar``
and ``/bought-together`` serve them), and a generated description with the checker's verdict on each claim."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopmind.content import ContentService
from shopmind.content.lexicon import Lang
from shopmind.errors import ShopmindError
from shopmind.web.console import Page, Refused, console_of, render, service_of, viewer
from shopmind.web.routes.users import lookup_of

router = APIRouter(dependencies=[Depends(viewer)])
#: Items in the similar and bought-together lists.
LISTED = 8
#: Languages of generated copy.
LANGS: tuple[Lang, ...] = ("en", "zh")


def language(text: str) -> Lang:
    """``text`` as a language of generated copy (a :class:`Refused` 422 for any other)."""
    for lang in LANGS:
        if text == lang:
            return lang
    raise Refused(422, f"Unknown language {text!r}: choose en or zh.")


def content_of(request: Request) -> ContentService:
    """The console's content service (template backend: grounded and deterministic)."""
    content: ContentService = console_of(request).part("content", ContentService)
    return content


@router.get("/admin/items", response_class=HTMLResponse)
def items_page(request: Request, q: str = "") -> HTMLResponse:
    service = service_of(request)
    popular = [(service.state.catalog.raw(int(i)), service.state.catalog.label(int(i)))
               for i in service.state.signals.popular_top(8)]
    return render(request, "items.html", q=q, found=lookup_of(request).items(q), popular=popular)


@router.get("/admin/items/find", response_class=HTMLResponse)
def find(request: Request, q: str = "") -> HTMLResponse:
    """Items whose id starts with ``q`` or whose title holds its words (as the person types)."""
    return render(request, "partials/item_matches.html", q=q, found=lookup_of(request).items(q))


def _item(request: Request, item_id: str, lang: str) -> dict[str, Any]:
    service = service_of(request)
    record = service.store.get_item(item_id)
    if record is None or not service.state.catalog.is_known(item_id):
        raise Refused(404, f"No item {item_id!r} in the catalog.")
    try:
        similar = service.similar_items(item_id, n=LISTED)
        together = service.bought_together(item_id, n=LISTED)
    except ShopmindError as exc:
        raise Refused(404, str(exc)) from None
    content = content_of(request)
    return {"item": record, "similar": similar, "together": together,
            "copy": content.describe(record, lang=language(lang)), "lang": lang, "langs": LANGS}


@router.get("/admin/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: str, lang: str = "en") -> HTMLResponse:
    return render(request, "item.html", **_item(request, item_id, lang))


PAGE = Page("/admin/items", "Items", router)

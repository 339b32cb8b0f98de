"""Content studio: write and check copy for an item (description, selling points, ad copy) or for a user (headline,
reasons, e-mail, push over the items the API would recommend them now), with every claim's verdict."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopmind.content import ContentRequest, ContentType, GeneratedText, Length, Tone
from shopmind.errors import ShopmindError
from shopmind.web.console import Page, Refused, render, service_of, viewer
from shopmind.web.routes.items import LANGS, content_of, language

router = APIRouter(dependencies=[Depends(viewer)])
#: What the studio writes, by whom it is about.
ITEM_TYPES = (ContentType.PRODUCT_DESCRIPTION, ContentType.SELLING_POINTS, ContentType.AD_COPY)
USER_TYPES = (ContentType.RECO_HEADLINE, ContentType.RECO_REASONS, ContentType.EMAIL, ContentType.PUSH)
#: Items of a user's slate and of their history given to the writer.
SLATE, HISTORY = 5, 5


def _options() -> dict[str, Any]:
    return {"item_types": [t.value for t in ITEM_TYPES], "user_types": [t.value for t in USER_TYPES],
            "tones": [t.value for t in Tone], "lengths": [x.value for x in Length], "langs": LANGS}


@router.get("/admin/studio", response_class=HTMLResponse)
def studio_page(request: Request) -> HTMLResponse:
    return render(request, "studio.html", **_options())


def _request(request: Request, kind: str, subject: str, lang: str, tone: str, length: str) -> ContentRequest:
    service, content = service_of(request), content_of(request)
    if kind in (t.value for t in ITEM_TYPES):
        item = service.store.get_item(subject)
        if item is None:
            raise Refused(404, f"No item {subject!r} in the catalog.")
        return content.request(kind, [item], lang=language(lang), tone=tone, length=length)
    if kind not in (t.value for t in USER_TYPES):
        raise Refused(422, f"Unknown kind of copy {kind!r}.")
    catalog = service.state.catalog
    ctx = service.state.sessions.context(subject, service.state.history, recent=HISTORY)
    history = [(service.store.get_item(catalog.raw(i)) or {"item_id": catalog.raw(i)}, k) for i, k in ctx.anchors]
    slate = [service.store.get_item(i.item_id) or {"item_id": i.item_id}
             for i in service.recommend(subject, n=SLATE).items]
    return content.request(kind, slate, lang=language(lang), tone=tone, length=length,
                           user=content.user(history, user_id=subject) if history else None)


@router.get("/admin/studio/write", response_class=HTMLResponse)
def write(request: Request, kind: str = "product_description", subject: str = "", lang: str = "en",
          tone: str = "friendly", length: str = "medium") -> HTMLResponse:
    """Generate, filter and check one piece of copy (nothing is stored: the template backend is deterministic)."""
    if not subject.strip():
        raise Refused(422, "Give an item id (item copy) or a user id (personal copy).")
    try:
        out: GeneratedText = content_of(request).generate(_request(request, kind, subject.strip(), lang, tone,
                                                                   length))
    except ShopmindError as exc:
        raise Refused(422, str(exc)) from None
    return render(request, "partials/copy.html", copy=out)


PAGE = Page("/admin/studio", "Content studio", router)

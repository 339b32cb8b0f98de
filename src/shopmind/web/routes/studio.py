"""Content studio: write and check copy for an item (description, selling points, ad copy) or for a user (headline,
reasons, e-mail, push), with every claim's verdict.

Personal copy goes through :class:`~shopmind.marketing.personal_copy.PersonalCopy` over the console's serving
pipeline - the same slate (model, rules, diversity and exploration), history, profile price band and copy path
as ``POST /content/headline`` and ``POST /content/email`` - so the console shows what the API serves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopmind.content import ContentType, GeneratedText, Length, Tone
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.marketing.personal_copy import PersonalCopy
from shopmind.web.console import Page, Refused, render, service_of, viewer
from shopmind.web.routes.items import LANGS, content_of, language

router = APIRouter(dependencies=[Depends(viewer)])
#: What the studio writes, by whom it is about.
ITEM_TYPES = (ContentType.PRODUCT_DESCRIPTION, ContentType.SELLING_POINTS, ContentType.AD_COPY)
USER_TYPES = (ContentType.RECO_HEADLINE, ContentType.RECO_REASONS, ContentType.EMAIL, ContentType.PUSH)
#: Items of a user's slate: the API's defaults (/content/headline 5, /content/email 4).
SLATE = {ContentType.EMAIL.value: 4, ContentType.PUSH.value: 4}


def _options() -> dict[str, Any]:
    return {"item_types": [t.value for t in ITEM_TYPES], "user_types": [t.value for t in USER_TYPES],
            "tones": [t.value for t in Tone], "lengths": [x.value for x in Length], "langs": LANGS}


@router.get("/admin/studio", response_class=HTMLResponse)
def studio_page(request: Request) -> HTMLResponse:
    return render(request, "studio.html", **_options())


def _item_copy(request: Request, kind: str, subject: str, lang: str, tone: str, length: str) -> GeneratedText:
    item = service_of(request).store.get_item(subject)
    if item is None:
        raise Refused(404, f"No item {subject!r} in the catalog.")
    content = content_of(request)
    return content.generate(content.request(kind, [item], lang=language(lang), tone=tone, length=length))


def _personal_copy(request: Request, kind: str, subject: str, lang: str, tone: str) -> GeneratedText:
    """What the API's /content/headline and /content/email give this user (their pipeline slate)."""
    service = service_of(request)
    personal = PersonalCopy(service.store, content_of(request), recommender=service)
    try:
        personal.history(subject)
    except UnknownIdError:
        raise Refused(404, f"No user {subject!r}: no record and no events.") from None
    return personal.write(kind, subject, k=SLATE.get(kind, 5), lang=language(lang), tone=tone)


@router.get("/admin/studio/write", response_class=HTMLResponse)
def write(request: Request, kind: str = "product_description", subject: str = "", lang: str = "en",
          tone: str = "friendly", length: str = "medium") -> HTMLResponse:
    """Generate, filter and check one piece of copy (nothing is stored: the template backend is deterministic).
    ``length`` applies to item copy; personal copy takes the API's defaults."""
    if not subject.strip():
        raise Refused(422, "Give an item id (item copy) or a user id (personal copy).")
    subject = subject.strip()
    try:
        if kind in (t.value for t in ITEM_TYPES):
            out = _item_copy(request, kind, subject, lang, tone, length)
        elif kind in (t.value for t in USER_TYPES):
            out = _personal_copy(request, kind, subject, lang, tone)
        else:
            raise Refused(422, f"Unknown kind of copy {kind!r}.")
    except ShopmindError as exc:
        raise Refused(422, str(exc)) from None
    return render(request, "partials/copy.html", copy=out)


PAGE = Page("/admin/studio", "Content studio", router)

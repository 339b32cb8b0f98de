"""Search: try a query with its filters and facets (what ``GET /search`` answers, through the same request
parsing and :class:`~shopmind.search.service.SearchService`), and the search analytics ``GET /search/analytics``
gives: top and zero-result queries, click-through rate overall and by position; and the shop's synonym groups
(``GET /search/synonyms``), added and deleted from the page with a ``write`` key (``POST /search/synonyms``,
``DELETE /search/synonyms/{id}``); each zero-result query links to the add form, filled in.

The analytics read the ``search`` and ``click`` events back from the store (the database filters them by type;
no other event is read out). They are computed in the background and shown for up to :data:`ANALYTICS_TTL`
seconds, so the page never waits for them after the first time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from shopmind.api.errors import ApiError
from shopmind.api.routes.search import request_from_query
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.search.request import SORTS
from shopmind.search.service import SearchService
from shopmind.search.synonyms import read_groups
from shopmind.web.cache import Refreshing
from shopmind.web.charts import column_chart
from shopmind.web.console import Console, Page, Refused, actor, console_of, render, viewer

router = APIRouter(dependencies=[Depends(viewer)])
#: Seconds the analytics are shown before they are computed again (in the background).
ANALYTICS_TTL = 30.0
#: How long the first request waits for the analytics (later ones never wait).
FIRST_WAIT = 60.0
#: Queries in the top and zero-result lists; results on the page; longest synonym line taken.
LISTED, RESULTS, MAX_LINE = 15, 20, 2000
#: Filters of the form that the facets set (the rest of the query string is kept when one is clicked).
FILTERS = ("q", "category", "brand", "price_min", "price_max", "in_stock", "sort")
#: What the console's own searches carry in their logged context (they are real searches of the index).
CONSOLE_CONTEXT = {"channel": "console"}


def search_of(request: Request) -> SearchService | None:
    """The server's search service (``app.state.search``; None when the server runs without search)."""
    service: SearchService | None = getattr(request.app.state, "search", None)
    return service


def analytics_source(console: Console, search: SearchService) -> Refreshing[dict[str, Any]]:
    source: Refreshing[dict[str, Any]] = console.part(
        "search_analytics", lambda: Refreshing(lambda: search.analytics(LISTED), ANALYTICS_TTL, "search-analytics"))
    return source


def warm_up(app: FastAPI) -> None:
    """Compute the analytics once when the console starts (when the server has search)."""
    search = getattr(app.state, "search", None)
    if search is not None:
        analytics_source(app.state.console, search).peek()


def marked(highlight: str | None) -> Markup:
    """A hit's highlight (the title with ``<em>`` around matched words) as HTML: everything escaped except the
    highlight's own tags, which become ``<mark>``.

    >>> str(marked("<b>Tea</b> <em>pot</em>"))
    '&lt;b&gt;Tea&lt;/b&gt; <mark>pot</mark>'
    """
    text = str(escape(highlight or ""))
    return Markup(text.replace("&lt;em&gt;", "<mark>").replace("&lt;/em&gt;", "</mark>"))


def with_filter(params: dict[str, str], **changes: str) -> str:
    """The page's query string with ``changes`` (an empty value removes the filter)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v}
    return "/admin/search?" + urlencode(merged)


def _run(request: Request, search: SearchService) -> dict[str, Any] | None:
    params = {k: request.query_params.get(k, "") for k in FILTERS}
    if not any(params.values()):
        return None
    try:
        req = request_from_query(request)
    except ApiError as exc:
        raise Refused(422, exc.message) from None
    req.limit, req.facets, req.context = RESULTS, True, dict(CONSOLE_CONTEXT)
    result = search.search(req)
    return {"result": result, "message": result.message()}


def _analytics(request: Request, search: SearchService) -> dict[str, Any]:
    snap = analytics_source(console_of(request), search).get(timeout=FIRST_WAIT)
    if snap is None or snap.value is None:
        return {"error": snap.error if snap else "still computing; reload in a moment"}
    data = dict(snap.value)
    positions = sorted(data["ctr_by_position"].items(), key=lambda kv: int(kv[0]))
    data["position_chart"] = column_chart([str(int(p) + 1) for p, _ in positions], [v for _, v in positions],
                                          title="Click-through rate by result position", value_format="{:.1%}"
                                          ) if positions else None
    data["age"] = snap.age()
    return data


@router.get("/admin/search", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    search = search_of(request)
    params = {k: request.query_params.get(k, "") for k in FILTERS}
    if search is None:
        return render(request, "search.html", enabled=False, params=params, sorts=SORTS, found=None,
                      analytics=None, link=lambda **c: with_filter(params, **c), marked=marked)
    synonym = request.query_params.get("synonym", "").strip()[:MAX_LINE]
    return render(request, "search.html", enabled=True, params=params, sorts=SORTS, found=_run(request, search),
                  analytics=_analytics(request, search), link=lambda **c: with_filter(params, **c), marked=marked,
                  synonym_groups=search.shop_synonyms.groups(), synonym_line=f"{synonym} => " if synonym else "",
                  synonym_message="")


def _enabled(request: Request) -> SearchService:
    search = search_of(request)
    if search is None:
        raise Refused(503, "Search is not enabled on this server.")
    return search


def _groups(request: Request, search: SearchService, message: str) -> HTMLResponse:
    return render(request, "partials/synonyms.html", synonym_groups=search.shop_synonyms.groups(),
                  synonym_message=message)


@router.post("/admin/search/synonyms", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def add_synonyms(request: Request) -> HTMLResponse:
    """Add a group written as in the synonyms file: ``a, b, c`` (two-way) or ``a, b => c`` (one-way)."""
    search = _enabled(request)
    line = str((await request.form()).get("line", "")).strip()
    if not line:
        raise Refused(422, "Type the group first: sofa, couch (each finds the other) or trainers => sneakers.")
    if len(line) > MAX_LINE or len(line.splitlines()) != 1:
        raise Refused(422, f"Type one group on one line of at most {MAX_LINE:,} characters.")
    try:
        groups = read_groups(line, "the group")
    except ShopmindError as exc:
        raise Refused(422, str(exc)) from None
    if len(groups) != 1:
        raise Refused(422, "That line is only a comment: type the words of the group.")
    [(words, to)] = groups
    try:
        group = await run_in_threadpool(search.add_synonyms, words, () if to == words else to)
    except ShopmindError as exc:
        raise Refused(422, str(exc)) from None
    return await run_in_threadpool(_groups, request, search, f"Added {group.line()}: the next search uses it.")


@router.post("/admin/search/synonyms/{group_id}/delete", response_class=HTMLResponse,
             dependencies=[Depends(actor)])
def delete_synonyms(request: Request, group_id: str) -> HTMLResponse:
    search = _enabled(request)
    try:
        group = search.delete_synonyms(group_id)
    except UnknownIdError:
        raise Refused(404, f"There is no synonym group {group_id!r} (deleted already?): reload the page.") from None
    return _groups(request, search, f"Deleted {group.line()}.")


PAGE = Page("/admin/search", "Search", router, startup=warm_up)

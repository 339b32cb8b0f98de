"""Product search: `GET /search`, `GET /search/suggest`, `POST /search/click`, `GET /search/analytics`, and the
shop's synonyms: `GET /search/synonyms`, `POST /search/synonyms`, `DELETE /search/synonyms/{group_id}`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, StrictInt

from shopmind.api.deps import READ, WRITE
from shopmind.api.errors import ApiError
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.errors import ParameterError
from shopmind.search.request import MAX_QUERY_CHARS, RETRIEVERS, SORTS, SearchRequest
from shopmind.search.results import SearchResult
from shopmind.search.service import SearchService

router = APIRouter(tags=["search"], responses=ERRORS)

#: The query parameters of ``GET /search`` (plus any ``attr.<key>``); anything else is a 422.
PARAMS = {"q", "user_id", "category", "brand", "price_min", "price_max", "in_stock", "sort", "limit", "offset",
          "retriever", "facets", "session_id"}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def search_service(request: Request) -> SearchService:
    service: SearchService | None = getattr(request.app.state, "search", None)
    if service is None:
        raise ApiError(503, "search is not enabled on this server (start it with `shopmind serve`, which builds "
                       "the search index)")
    return service


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(422, f"{name}: expected a number, got {raw!r}", field=name) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ApiError(422, f"{name}: expected a finite number, got {raw!r}", field=name)
    return value


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ApiError(422, f"{name}: expected an integer, got {raw!r}", field=name) from None


def _bool(name: str, raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ApiError(422, f"{name}: expected true or false, got {raw!r}", field=name)


def request_from_query(request: Request) -> SearchRequest:
    """A :class:`SearchRequest` from the query string; unknown parameters and bad values are 422s."""
    params = request.query_params
    unknown = [k for k in params if k not in PARAMS and not (k.startswith("attr.") and len(k) > 5)]
    if unknown:
        raise ApiError(422, f"unknown parameter {unknown[0]!r}; expected {', '.join(sorted(PARAMS))} or "
                       "attr.<key>", field=unknown[0])
    out = SearchRequest(q=params.get("q", ""))
    out.user_id = params.get("user_id") or None
    out.session_id = params.get("session_id") or None
    out.category = params.get("category") or None
    out.brand = [b for v in params.getlist("brand") for b in v.split("|") if b.strip()]
    for name in ("price_min", "price_max"):
        if params.get(name) not in (None, ""):
            setattr(out, name, _number(name, params[name]))
    if params.get("in_stock") not in (None, ""):
        out.in_stock = _bool("in_stock", params["in_stock"])
    if params.get("facets") not in (None, ""):
        out.facets = _bool("facets", params["facets"])
    for name in ("limit", "offset"):
        if params.get(name) not in (None, ""):
            setattr(out, name, _integer(name, params[name]))
    out.sort = params.get("sort") or "relevance"
    out.retriever = params.get("retriever") or "hybrid"
    out.attributes = {k[5:]: v for k, v in params.items() if k.startswith("attr.")}
    try:
        return out.validate()
    except ParameterError as exc:
        raise ApiError(422, str(exc), field=exc.name) from None


def result_body(result: SearchResult) -> dict[str, Any]:
    return {
        "search_id": result.search_id, "query": result.query, "total": result.total,
        "not_in_catalog": result.not_in_catalog, "message": result.message(),
        "corrections": result.corrections, "constraints": result.constraints, "personalised": result.personalised,
        "retriever": result.retriever, "took_ms": result.took_ms,
        "items": [{"item_id": h.item_id, "score": round(h.score, 6), "title": h.title, "highlight": h.highlight,
                   "brand": h.brand, "category": h.category, "price": h.price, "in_stock": h.in_stock,
                   "sources": h.sources} for h in result.hits],
        "facets": result.facets,
    }


#: The schema of each query parameter: what ``request_from_query`` accepts (``price_min <= price_max`` is the one
#: rule across parameters that a schema cannot say; it is a 422 naming ``price_max``).
PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "q": {"type": "string", "maxLength": MAX_QUERY_CHARS}, "user_id": {"type": "string"},
    "session_id": {"type": "string"}, "category": {"type": "string"},
    "brand": {"type": "string"}, "price_min": {"type": "number", "minimum": 0},
    "price_max": {"type": "number", "minimum": 0}, "in_stock": {"type": "boolean"},
    "facets": {"type": "boolean"}, "sort": {"type": "string", "enum": list(SORTS)},
    "limit": {"type": "integer", "minimum": 0, "maximum": 200},
    "offset": {"type": "integer", "minimum": 0, "maximum": 10_000},
    "retriever": {"type": "string", "enum": list(RETRIEVERS)},
}


@router.get("/search", dependencies=READ, openapi_extra={"parameters": [
    {"name": n, "in": "query", "required": False, "schema": PARAM_SCHEMAS[n]} for n in sorted(PARAMS)]})
def search(request: Request) -> dict[str, Any]:
    """Search the catalog: hybrid BM25 + e5 retrieval with typo, pinyin, traditional-character and synonym
    handling and prices read from the query ("running shoes under 80"). Filters: `category` (path prefix),
    `brand` (repeat or `A|B`), `price_min`, `price_max`, `in_stock`, `attr.<key>=value`; `sort` is one of
    relevance, price_asc, price_desc, newest, popular. With `user_id`, the first results are re-weighed by
    the user's recommender score (bounded: relevance first). Facet counts cover the whole result set.
    `not_in_catalog: true` means the shop has nothing like the query (and `items` is empty)."""
    service = search_service(request)
    return result_body(service.search(request_from_query(request)))


@router.get("/search/suggest", dependencies=READ)
def suggest(request: Request, q: Annotated[str, Query(max_length=200)] = "",
            limit: Annotated[int, Query(ge=1, le=50)] = 10) -> dict[str, Any]:
    """Completions of `q` from titles, brands, categories and popular queries (prefix, or pinyin / pinyin
    initials of Chinese entries)."""
    return {"q": q, "suggestions": search_service(request).suggest(q, limit)}


class ClickIn(BaseModel):
    search_id: str = Field(min_length=1, max_length=64)
    item_id: str = Field(min_length=1, max_length=256)
    position: StrictInt = Field(ge=0, le=10_000, description="0-based position in the result list.")
    user_id: str | None = Field(default=None, max_length=256)
    session_id: str | None = Field(default=None, max_length=256)


@router.post("/search/click", dependencies=WRITE)
def click(body: ClickIn, request: Request) -> dict[str, Any]:
    """Log a click on a search result (a `click` event with the query and position; it feeds the
    recommender and the search analytics)."""
    return search_service(request).click(body.search_id, body.item_id, body.position, body.user_id, body.session_id)


@router.get("/search/analytics", dependencies=READ)
def analytics(request: Request, n: Annotated[int, Query(ge=1, le=200)] = 20) -> dict[str, Any]:
    """Top queries, zero-result queries, and click-through rate overall and by position."""
    return search_service(request).analytics(n)


class SynonymsIn(BaseModel):
    words: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=50, description="Words or phrases that mean the same (two-way), or, with `to`, "
                                                 "the words that also search `to` (one-way).")
    to: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="One-way targets: `words => to` (left out: two-way).")
    group_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.:-]+$",
                                 description="Replace this stored group (left out: a new group).")


@router.get("/search/synonyms", dependencies=READ)
def list_synonyms(request: Request) -> dict[str, Any]:
    """The shop's synonym groups (beside the packaged ones), in the order they were added."""
    groups = search_service(request).shop_synonyms.groups()
    return {"count": len(groups), "groups": [g.as_dict() for g in groups]}


@router.post("/search/synonyms", dependencies=WRITE)
def add_synonyms(body: SynonymsIn, request: Request) -> dict[str, Any]:
    """Add a synonym group: `{"words": ["sofa", "couch"]}` (each finds the other) or `{"words": ["trainers"],
    "to": ["sneakers"]}` (one-way). It applies to this worker's next query and to every worker on the store
    within a second; nothing is re-indexed. 422 names the word that cannot be used."""
    return search_service(request).add_synonyms(body.words, body.to, group_id=body.group_id).as_dict()


@router.delete("/search/synonyms/{group_id}", dependencies=WRITE, responses=NOT_FOUND)
def delete_synonyms(request: Request, group_id: str = Path(min_length=1, max_length=64)) -> dict[str, Any]:
    """Delete one of the shop's synonym groups (404 when unknown)."""
    return {"deleted": search_service(request).delete_synonyms(group_id).as_dict()}


__all__ = ["SORTS", "router"]

"""Query parameters of the GET list endpoints, turned into :class:`~shopmind.pipeline.rules.RerankOptions`.

Rules are written as expressions (see :mod:`shopmind.pipeline.rules`)::

    GET /recommendations/U1?n=10&filter=category:Beauty&filter=price:..50&boost=brand:Acme^1.0
        &promote=brand:Nordhaus&promote_share=0.2&pin=SKU7@0&exclude=SKU1,SKU2&diversity=0.7
        &max_per_category=2&explore=1&long_tail=0.3&context=item_id:SKU9&context=page:home

``category``, ``brand``, ``min_price``, ``max_price`` and ``attr=NAME:VALUE`` are shortcuts that add one
filter rule.

These parameters are parsed here from the raw query string rather than declared one by one to FastAPI:
FastAPI's per-parameter machinery costs about half a millisecond per request for this many parameters,
which the recommendation hot path cannot spare. :data:`OPTION_PARAMETERS` documents them in OpenAPI
(``openapi_extra``), and a bad value is a 422 naming the parameter like any other validation error.
``GET /recommendations/{user_id}`` reads its path and paging parameters the same way
(:func:`path_id`, :func:`page_from_query`, documented by :data:`PAGE_PARAMETERS`).
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request

from shopmind.pipeline.rules import (
    Promotion,
    RequestError,
    RerankOptions,
    Rule,
    parse_boost,
    parse_pin,
    parse_rule,
)

# name -> (JSON type, minimum, maximum, repeatable, description)
_SPEC: dict[str, tuple[str, float | None, float | None, bool, str]] = {
    "filter": ("string", None, None, True, "Filter rule expression, e.g. 'category:Beauty; price:..50'."),
    "category": ("string", None, None, False, "Only items under this category path."),
    "brand": ("string", None, None, False, "Only these brands ('A|B')."),
    "min_price": ("number", 0, None, False, "Lowest price."),
    "max_price": ("number", 0, None, False, "Highest price."),
    "attr": ("string", None, None, True, "Attribute equality NAME:VALUE."),
    "boost": ("string", None, None, True, "Boost RULE^WEIGHT, e.g. 'brand:Acme^0.5' (scores x 1.5)."),
    "exclude": ("string", None, None, True, "Item ids never to return (comma-separated or repeated)."),
    "pin": ("string", None, None, True, "ITEM_ID or ITEM_ID@POSITION (0-based)."),
    "promote": ("string", None, None, False, "Promotion rule expression."),
    "promote_share": ("number", 0, 1, False, "Share of the slots for promoted items (default 0.2)."),
    "diversity": ("number", 0, 1, False, "MMR lambda: 1 = by score only, lower = more diverse."),
    "max_per_category": ("integer", 1, None, False, "Cap on items sharing a category."),
    "category_level": ("integer", 0, 10, False, "Category depth for the cap: 0 full path, 1 root, ..."),
    "explore": ("integer", 0, 50, False, "Exploration slots (Thompson sampling over new/under-exposed items)."),
    "long_tail": ("number", 0, 1, False, "Share of the list for items outside the popularity head (long tail, new)."),
    "filter_seen": ("boolean", None, None, False, "Leave out items the user already engaged with (default true)."),
    "context": ("string", None, None, True, "Context KEY:VALUE; item_id:X recommends around the viewed item."),
}

#: The shape of the rule parameters (``NAME:VALUE`` ...; ``promote`` may also be empty). Which names and values
#: a rule may use is checked when it is parsed (a 422 naming the parameter).
_PATTERNS = {"filter": r"^\s*[^\s:][^:]*:", "boost": r"^\s*[^\s:][^:]*:", "attr": r"^\s*[^\s:][^:]*:",
             "context": r"^\s*[^\s:][^:]*:", "promote": r"^$|^\s*[^\s:][^:]*:"}


def _schema(name: str, kind: str, lo: float | None, hi: float | None, repeated: bool) -> dict[str, Any]:
    one: dict[str, Any] = {"type": kind, **({"minimum": lo} if lo is not None else {}),
                           **({"maximum": hi} if hi is not None else {})}
    if name in _PATTERNS:
        one["pattern"] = _PATTERNS[name]
    return {"type": "array", "items": one} if repeated else one


#: OpenAPI descriptions of the option parameters (merged into the routes' generated parameters).
OPTION_PARAMETERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "description": desc,
     "schema": _schema(name, kind, lo, hi, repeated)}
    for name, (kind, lo, hi, repeated, desc) in _SPEC.items()
]
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
#: Bounds of the paging parameters: (minimum, maximum, default, description).
_PAGE: dict[str, tuple[int, int, int, str]] = {
    "n": (1, 200, 10, "How many items."),
    "offset": (0, 10_000, 0, "Skip this many (pagination)."),
}
#: OpenAPI descriptions of ``n`` and ``offset`` for routes that read them with :func:`page_from_query`.
PAGE_PARAMETERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "description": desc,
     "schema": {"type": "integer", "minimum": lo, "maximum": hi, "default": default}}
    for name, (lo, hi, default, desc) in _PAGE.items()
]
#: Longest id accepted in a path.
MAX_ID_LENGTH = 256


def id_parameter(name: str, description: str) -> dict[str, Any]:
    """OpenAPI description of a path id read with :func:`path_id`."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH}}


def path_id(path_params: Any, name: str) -> str:
    """The path parameter ``name`` (an id of 1 to 256 characters); raises :class:`RequestError`."""
    value = str(path_params.get(name) or "")
    if not 1 <= len(value) <= MAX_ID_LENGTH:
        raise RequestError(name, f"must be 1 to {MAX_ID_LENGTH} characters long, got {len(value)}")
    return value


def page_from_query(q: Any) -> tuple[int, int]:
    """``n`` and ``offset`` of a query (defaults 10 and 0); raises :class:`RequestError` naming the one
    that is not an integer in range."""
    out = []
    for name, (lo, hi, default, _desc) in _PAGE.items():
        raw = q.get(name)
        if raw is None:
            out.append(default)
            continue
        try:
            value = int(raw)
        except ValueError:
            raise RequestError(name, f"expected an integer, got {raw!r}") from None
        if not lo <= value <= hi:
            raise RequestError(name, f"must be between {lo} and {hi}, got {value}")
        out.append(value)
    return out[0], out[1]


def _number(q: Any, name: str, integer: bool = False) -> float | int | None:
    raw = q.get(name)
    if raw is None:
        return None
    kind, lo, hi, _rep, _desc = _SPEC[name]
    try:
        value: float | int = int(raw) if integer else float(raw)
    except ValueError:
        raise RequestError(name, f"expected {'an integer' if integer else 'a number'}, got {raw!r}") from None
    if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = " and ".join(s for s in (f">= {lo:g}" if lo is not None else "", f"<= {hi:g}" if hi is not None
                                                                                   else "") if s)
        raise RequestError(name, f"must be {bounds}, got {raw!r}")
    return value


def _flag(q: Any, name: str, default: bool) -> bool:
    raw = q.get(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise RequestError(name, f"expected true or false, got {raw!r}")


def _split(values: list[str]) -> list[str]:
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


def _pairs(values: list[str], field: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        key, sep, value = v.partition(":")
        if not sep or not key.strip():
            raise RequestError(field, f"expected NAME:VALUE, got {v!r}")
        out.append((key.strip(), value.strip()))
    return out


def shortcut_rule(category: str | None, brand: str | None, min_price: float | None, max_price: float | None,
                  attr: list[str]) -> Rule | None:
    """The filter rule of the shortcut parameters, or None when none is given."""
    brands = tuple(b.strip() for b in (brand or "").split("|") if b.strip())
    rule = Rule(category or None, brands, min_price, max_price, tuple(_pairs(attr, "attr")))
    if rule == Rule():
        return None
    if min_price is not None and max_price is not None and min_price > max_price:
        raise RequestError("min_price", f"min_price {min_price:g} is above max_price {max_price:g}")
    return rule


def options_from_query(q: Any) -> RerankOptions:
    """Parse the option parameters of a query (a Starlette ``QueryParams`` or any multi-dict with ``get``
    and ``getlist`` that iterates over its keys); raises :class:`RequestError` naming the parameter."""
    if not any(key in _SPEC for key in q):
        return RerankOptions()  # the common request: no options at all
    filters = [parse_rule(f, "filter") for f in q.getlist("filter")]
    shortcut = shortcut_rule(q.get("category") or None, q.get("brand") or None, _number(q, "min_price"),
                             _number(q, "max_price"), q.getlist("attr"))
    if shortcut is not None:
        filters.append(shortcut)
    promote = q.get("promote")
    share = _number(q, "promote_share")
    promotion = Promotion(parse_rule(promote, "promote"), 0.2 if share is None else float(share)) if promote else None
    max_per_category = _number(q, "max_per_category", integer=True)
    explore = _number(q, "explore", integer=True)
    diversity = _number(q, "diversity")
    long_tail = _number(q, "long_tail")
    return RerankOptions(
        filters=tuple(filters), boosts=tuple(parse_boost(b) for b in q.getlist("boost")),
        exclude=tuple(_split(q.getlist("exclude"))),
        pins=tuple(parse_pin(p, position) for position, p in enumerate(q.getlist("pin"))),
        promotion=promotion, diversity=None if diversity is None else float(diversity),
        max_per_category=None if max_per_category is None else int(max_per_category),
        category_level=int(_number(q, "category_level", integer=True) or 0),
        explore=None if explore is None else int(explore), filter_seen=_flag(q, "filter_seen", True),
        long_tail=None if long_tail is None else float(long_tail),
        context=dict(_pairs(q.getlist("context"), "context")),
    )


async def list_options(request: Request) -> RerankOptions:
    """The re-ranking options of a GET request (a FastAPI dependency)."""
    return options_from_query(request.query_params)

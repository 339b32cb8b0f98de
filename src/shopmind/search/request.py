"""A search request: the query, filters, sort and paging, validated once.

>>> SearchRequest(q="dress", price_min=-1).validate()
Traceback (most recent call last):
...
shopmind.errors.ParameterError: The 'price_min' parameter of search must be a number >= 0.0. Got -1 instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shopmind.errors import ParameterError, check_float, check_int

SORTS = ("relevance", "price_asc", "price_desc", "newest", "popular")
RETRIEVERS = ("hybrid", "bm25", "dense")
#: Longest query accepted: a 10,000-character single token took over a minute in typo correction (found by
#: `make fuzz`); 1,000 characters take about a second at worst.
MAX_QUERY_CHARS = 1_000


@dataclass
class SearchRequest:
    """What to search for (see ``GET /search``)."""

    q: str = ""
    user_id: str | None = None
    category: str | None = None
    brand: list[str] = field(default_factory=list)
    price_min: float | None = None
    price_max: float | None = None
    in_stock: bool | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0
    retriever: str = "hybrid"
    facets: bool = True
    personalise: bool = True
    #: only items matching enough of the query's words (no partial matches, no dense-only hits): for tools
    #: such as the assistant that must not show near misses
    strict: bool = False
    session_id: str | None = None
    #: free context logged with the query (page, device, ...)
    context: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> SearchRequest:
        """Raise :class:`~shopmind.errors.ParameterError` naming the first bad field; returns self."""
        if not isinstance(self.q, str):
            raise ParameterError("search", "q", self.q, "a string")
        if len(self.q) > MAX_QUERY_CHARS:
            raise ParameterError("search", "q", f"{self.q[:20]}... ({len(self.q)} characters)",
                                 f"at most {MAX_QUERY_CHARS:,} characters")
        for name in ("price_min", "price_max"):
            value = getattr(self, name)
            if value is not None:
                check_float("search", name, value, low=0.0)
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ParameterError("search", "price_max", self.price_max, f"at least price_min ({self.price_min})")
        check_int("search", "limit", self.limit, low=0, high=200)
        check_int("search", "offset", self.offset, low=0, high=10_000)
        if self.sort not in SORTS:
            raise ParameterError("search", "sort", self.sort, f"one of {', '.join(SORTS)}")
        if self.retriever not in RETRIEVERS:
            raise ParameterError("search", "retriever", self.retriever, f"one of {', '.join(RETRIEVERS)}")
        return self

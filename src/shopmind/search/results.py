"""What a search returns: hits with scores and highlights, facet counts, and what the query was read as."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from shopmind.search.analysis import CJK, normalise, stem


@dataclass
class SearchHit:
    """One result. ``sources`` gives the 1-based rank each retriever gave it (absent: not retrieved)."""

    item_id: str
    score: float
    title: str | None
    brand: str | None
    category: str | None
    price: float | None
    in_stock: bool
    highlight: str | None = None
    sources: dict[str, int] = field(default_factory=dict)


@dataclass
class SearchResult:
    """A page of hits plus the facts about the whole result set.

    ``total`` counts every matching item (before paging); ``facets`` count over all of them. When
    ``not_in_catalog`` is true the shop holds nothing like the query (``unknown`` lists the words nothing
    matched) and ``hits`` is empty.
    """

    query: str
    total: int
    hits: list[SearchHit]
    facets: dict[str, Any] = field(default_factory=dict)
    corrections: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    not_in_catalog: bool = False
    constraints: dict[str, Any] = field(default_factory=dict)
    retriever: str = "hybrid"
    personalised: bool = False
    search_id: str | None = None
    took_ms: float = 0.0

    @property
    def item_ids(self) -> list[str]:
        return [h.item_id for h in self.hits]

    def message(self) -> str | None:
        """A sentence for the shopper when the result needs one."""
        if self.not_in_catalog:
            words = ", ".join(repr(w) for w in self.unknown) or repr(self.query)
            return f"Nothing in this shop matches {words}."
        if self.total == 0:
            return "No items match all of these conditions; try removing a filter."
        return None


_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


@lru_cache(maxsize=100_000)
def _forms(word: str) -> tuple[str, str]:
    """The normal form of one title word and its stem (titles repeat their words: a page of hits folds each
    word once, not on every query)."""
    folded = normalise(word)
    return folded, stem(folded)


def highlight(text: str | None, terms: Collection[str], *, pre: str = "<em>", post: str = "</em>") -> str | None:
    """``text`` with the words matching ``terms`` (analysed query terms) wrapped in ``pre``/``post``.

    >>> highlight("Women's Running Shoes 女士跑步鞋", {"run", "跑步鞋"})
    "Women's <em>Running</em> Shoes 女士<em>跑步鞋</em>"
    """
    if not text:
        return text
    latin = {t for t in terms if not CJK.search(t)}
    cjk = sorted((t for t in terms if CJK.search(t)), key=len, reverse=True)

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        folded, stemmed = _forms(w)
        return f"{pre}{w}{post}" if stemmed in latin or folded in latin else w

    out = _WORD.sub(word, text) if latin else text
    if cjk:
        folded = normalise(out)
        spans: list[tuple[int, int]] = []
        for t in cjk:
            for m in re.finditer(re.escape(t), folded):
                if all(m.end() <= a or m.start() >= b for a, b in spans):
                    spans.append((m.start(), m.end()))
        if len(folded) == len(out):  # same positions (folding kept the length): mark the original text
            for a, b in sorted(spans, reverse=True):
                out = out[:a] + pre + out[a:b] + post + out[b:]
    return out

"""The search service: the engine over the shop's store, kept current, personalised, logged and measured.

>>> service = SearchService.open(store, recommendations)          # doctest: +SKIP
>>> result = service.search(SearchRequest(q="running shoes under 80", user_id="U1"))   # doctest: +SKIP
>>> service.click(result.search_id, result.hits[0].item_id, 0, user_id="U1")           # doctest: +SKIP

- incremental: when built over a :class:`~shopmind.pipeline.service.RecommendationService`, every item
  write through the pipeline re-indexes the item before the write returns, and a delete hides it at once;
- personalised: with a user, the first :data:`RERANK_DEPTH` results are re-weighed by the recommender's
  score for the user, at most :data:`MAX_PERSONAL_WEIGHT` of the relevance scale (relevance first);
- logged: every query is a ``search`` event (query, result ids, count) and every click a ``click`` event (item,
  query, position, search id), written through the pipeline's write path, so they reach the store, the live
  state and the recommender like any other event; :meth:`analytics` reads them back;
- the shop's own synonyms (:mod:`shopmind.search.shop_synonyms`, in the store) join the packaged ones: a change
  made through this service applies at once, one made through another service on the store within a second.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from shopmind.errors import ParameterError, StoreError
from shopmind.pipeline.service import RecommendationService
from shopmind.search.documents import attributes_of, category_path
from shopmind.search.engine import SearchEngine
from shopmind.search.request import SearchRequest
from shopmind.search.results import SearchResult
from shopmind.search.shop_synonyms import CHECK_SECONDS, ShopSynonyms, SynonymGroup
from shopmind.search.suggest import Suggester
from shopmind.storage.base import Store
from shopmind.text.encoders import TextEncoder

logger = logging.getLogger(__name__)

#: How many of the best results personalisation may re-order.
RERANK_DEPTH = 50
#: The largest share of the relevance scale the user's recommender score may add.
MAX_PERSONAL_WEIGHT = 0.3
#: The user id logged for a query without one (events need a user).
ANONYMOUS = "anonymous"
#: Result ids kept in a search event.
LOGGED_RESULTS = 20


class SearchService:
    """Search over one store (see the module docs)."""

    def __init__(self, store: Store, engine: SearchEngine, recommendations: RecommendationService | None = None, *,
                 personal_weight: float = 0.15, log_events: bool = True) -> None:
        if not 0.0 <= personal_weight <= MAX_PERSONAL_WEIGHT:
            raise ParameterError("SearchService", "personal_weight", personal_weight,
                                 f"a number in [0, {MAX_PERSONAL_WEIGHT}] (relevance comes first)")
        self.store = store
        self.engine = engine
        self.recommendations = recommendations
        self.personal_weight = personal_weight
        self.log_events = log_events
        self.suggester = Suggester()
        self._searches: dict[str, tuple[str, str | None]] = {}
        self._fill_suggester(engine.records)
        #: the shop's synonym groups (in the store), applied to the engine's query planner
        self.shop_synonyms = ShopSynonyms(store, engine.analyzer)
        self._synonyms_version: str | None = None
        self._synonyms_checked = 0.0
        self._synonyms_lock = threading.Lock()
        self.refresh_synonyms(force=True)
        if recommendations is not None:
            recommendations.writer.item_listeners.append(self.on_items_changed)
            engine.popularity = self._popularity

    @classmethod
    def open(cls, store: Store, recommendations: RecommendationService | None = None,
             encoder: TextEncoder | None = None, *, cache: Any = None, progress: bool = False,
             english_encoder: TextEncoder | None = None, chinese_encoder: TextEncoder | None = None,
             **kwargs: Any) -> SearchService:
        """Index the store's catalog (item vectors through ``cache``, default the store itself; ``english_encoder``
        and ``chinese_encoder`` add the English and Chinese lists of the hybrid, see :class:`SearchEngine`)."""
        items = store.items_frame()
        engine = SearchEngine.from_items(items, encoder, cache if cache is not None else store, progress=progress,
                                         english_encoder=english_encoder, chinese_encoder=chinese_encoder)
        service = cls(store, engine, recommendations, **kwargs)
        service._fill_queries()
        return service

    # ------------------------------------------------------------------ the shop's synonyms
    def refresh_synonyms(self, *, force: bool = False) -> bool:
        """Apply the shop's synonym groups when they changed in the store (looked at most every
        :data:`~shopmind.search.shop_synonyms.CHECK_SECONDS`; with ``force``, now); True when they were
        applied."""
        now = time.monotonic()
        if not force and now - self._synonyms_checked < CHECK_SECONDS:
            return False
        with self._synonyms_lock:
            self._synonyms_checked = now
            try:
                version = self.shop_synonyms.version()
            except StoreError as exc:  # the store is out: search on with the synonyms applied before
                logger.warning("the shop's synonyms could not be read, searching with those applied before: %s", exc)
                return False
            if version == self._synonyms_version:  # None and None: no group ever, the packaged ones apply
                return False
            synonyms = self.shop_synonyms.synonyms(self.engine.analyzer)
            self.engine.synonyms = self.engine.planner.synonyms = synonyms
            self._synonyms_version = version
            return True

    def add_synonyms(self, words: Sequence[str], to: Sequence[str] = (), *,
                     group_id: str | None = None) -> SynonymGroup:
        """Store a synonym group and apply it to this service's searches at once."""
        group = self.shop_synonyms.add(words, to, group_id=group_id)
        self.refresh_synonyms(force=True)
        return group

    def delete_synonyms(self, group_id: str) -> SynonymGroup:
        """Delete a synonym group (:class:`~shopmind.errors.UnknownIdError` when unknown), at once."""
        group = self.shop_synonyms.delete(group_id)
        self.refresh_synonyms(force=True)
        return group

    # ------------------------------------------------------------------ catalog changes
    def on_items_changed(self, change: str, payload: Any) -> None:
        """Keep the index current: ``("upsert", item frame)`` or ``("delete", item ids)``."""
        if change == "upsert":
            records = payload.to_dict("records") if isinstance(payload, pd.DataFrame) else list(payload)
            self.engine.upsert(records)
            self._fill_suggester(records)
        elif change == "delete":
            self.engine.delete(payload)

    def upsert_items(self, items: Any) -> int:
        """Index items directly (a service without a pipeline)."""
        records = items.to_dict("records") if isinstance(items, pd.DataFrame) else list(items)
        self._fill_suggester(records)
        return self.engine.upsert(records)

    def delete_items(self, item_ids: Sequence[str]) -> int:
        return self.engine.delete(item_ids)

    def _fill_suggester(self, records: Sequence[Mapping[str, Any]]) -> None:
        brands: Counter[str] = Counter()
        leaves: Counter[str] = Counter()
        for r in records:
            attrs = attributes_of(r)
            self.suggester.add(r.get("title"), "title", 1.0)
            self.suggester.add(attrs.get("title_zh"), "title", 1.0)
            for b in (r.get("brand"), attrs.get("brand_zh")):
                if isinstance(b, str) and b:
                    brands[b] += 1
            for path in (category_path(r.get("category")), category_path(attrs.get("category_zh"))):
                if path:
                    leaves[path[-1]] += 1
            for key in ("product_type", "product_type_zh"):
                if isinstance(attrs.get(key), str):
                    leaves[attrs[key]] += 1
        for b, n in brands.items():
            self.suggester.add(b, "brand", 2.0 + np.log1p(n))
        for c, n in leaves.items():
            self.suggester.add(c, "category", 3.0 + np.log1p(n))

    def _fill_queries(self) -> None:
        """Popular past queries that found something become suggestions."""
        for query, n in self.top_queries(500, with_results=True):
            self.suggester.add(query, "query", 4.0 + np.log1p(n))

    # ------------------------------------------------------------------ reads
    def _popularity(self, docs: np.ndarray) -> np.ndarray:
        rec = self.recommendations
        if rec is None:
            return np.zeros(len(docs))
        idx = rec.state.catalog.indices([self.engine.ids[d] for d in docs.tolist()])
        out = np.zeros(len(docs))
        ok = idx >= 0
        if ok.any():
            out[ok] = rec.state.signals.popularity_of(idx[ok])
        return out

    def _personal(self, user_id: str) -> Any:
        """A rescoring function for ``user_id``, or None when the recommender cannot score the user."""
        rec = self.recommendations
        bundle = rec.versions.active if rec is not None else None
        if rec is None or bundle is None or self.personal_weight <= 0:
            return None
        user = bundle.user_index(str(user_id))
        if user < 0:
            return None

        def rescore(docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
            head = min(RERANK_DEPTH, len(docs))
            if head < 2 or float(scores[0]) <= 0:
                return scores
            idx = rec.state.catalog.indices([self.engine.ids[d] for d in docs[:head].tolist()])
            personal = np.full(head, np.nan)
            ok = idx >= 0
            if ok.any():
                personal[ok] = bundle.scores_for(user, idx[ok])
            if not np.isfinite(personal).any():
                return scores
            # the user's scores as ranks in [0, 1] (robust to each model's score scale), unscored items at 0
            finite = np.isfinite(personal)
            ranks = np.zeros(head)
            order = np.argsort(np.where(finite, personal, -np.inf), kind="stable")
            ranks[order] = np.linspace(0.0, 1.0, head)
            ranks[~finite] = 0.0
            out = scores.astype(np.float64).copy()
            out[:head] += self.personal_weight * float(scores[0]) * ranks
            # nothing personalised may pass above the head: later results keep their (lower) scores
            return out

        return rescore

    def search(self, request: SearchRequest) -> SearchResult:
        """Search, personalise (when ``request.user_id`` is known to the recommender), log the query."""
        self.refresh_synonyms()
        rescore = self._personal(request.user_id) if request.user_id and request.personalise else None
        result = self.engine.search(request, rescore=rescore)
        result.search_id = uuid.uuid4().hex
        self._searches[result.search_id] = (request.q, request.user_id)
        if len(self._searches) > 100_000:
            self._searches.clear()
        if self.log_events:
            self._log([{
                "event_id": f"search-{result.search_id}", "user_id": request.user_id or ANONYMOUS, "type": "search",
                "session_id": request.session_id,
                "context": {"query": request.q[:500], "search_id": result.search_id, "results": result.total,
                            "item_ids": result.item_ids[:LOGGED_RESULTS], "offset": request.offset,
                            "retriever": request.retriever, **({k: str(v) for k, v in request.context.items()})},
            }])
        return result

    def click(self, search_id: str, item_id: str, position: int, user_id: str | None = None,
              session_id: str | None = None) -> dict[str, Any]:
        """Log a click on a search result (``position`` is 0-based in the full result list)."""
        if position < 0:
            raise ParameterError("click", "position", position, "an int >= 0")
        query, searcher = self._searches.get(search_id, (None, None))
        user = user_id or searcher or ANONYMOUS
        event = {"user_id": user, "item_id": str(item_id), "type": "click", "session_id": session_id,
                 "context": {"source": "search", "search_id": search_id, "position": int(position),
                             **({"query": query} if query is not None else {})}}
        self._log([event])
        return {"logged": True, "search_id": search_id, "item_id": item_id, "position": position}

    def suggest(self, prefix: str, limit: int = 10) -> list[dict[str, Any]]:
        return self.suggester.suggest(prefix, limit)

    def _log(self, events: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC).isoformat()
        rows = [{**e, "timestamp": now} for e in events]
        if self.recommendations is not None:
            self.recommendations.ingest_events(rows, source="search")
        else:
            self.store.append_events([{**r, "timestamp": pd.Timestamp(now)} for r in rows])

    # ------------------------------------------------------------------ analytics
    def top_queries(self, n: int = 20, *, with_results: bool | None = None) -> list[tuple[str, int]]:
        return top_queries(self.store.events_frame(types=("search",)), n, with_results=with_results)

    def analytics(self, n: int = 20) -> dict[str, Any]:
        """Top queries, zero-result queries, click-through rate by position and overall."""
        return search_analytics(self.store, n)


def top_queries(searches: pd.DataFrame, n: int = 20, *, with_results: bool | None = None) -> list[tuple[str, int]]:
    """The most frequent queries of ``search`` events (only those that found something, or nothing, with
    ``with_results``)."""
    if searches.empty:
        return []
    ctx = searches["context"]
    queries = ctx.map(lambda c: str(c.get("query", "")).strip().lower())
    # events logged by the service say how many results there were (others, e.g. imported logs, do not)
    counted = ctx.map(lambda c: c.get("results") is not None)
    found = ctx.map(lambda c: int(c.get("results") or 0) > 0)
    if with_results is not None:
        queries = queries[counted & (found == with_results)]
    counts = Counter(q for q in queries if q)
    return counts.most_common(n)


def search_analytics(store: Store, n: int = 20) -> dict[str, Any]:
    """Top queries, zero-result queries, click-through rate by position and overall, from the store's ``search``
    and ``click`` events (one read; no index needed: what `shopmind search analytics` prints)."""
    events = store.events_frame(types=("search", "click"))  # the database filters: not every event
    searches = events[events["type"] == "search"]
    clicks = events[(events["type"] == "click")
                    & events["context"].map(lambda c: isinstance(c, dict) and c.get("source") == "search")]
    positions = Counter(int(c.get("position", -1)) for c in clicks["context"])
    total = len(searches)
    by_position = ({str(p): round(k / total, 4) for p, k in sorted(positions.items()) if 0 <= p < 20}
                   if total else {})
    clicked = {c.get("search_id") for c in clicks["context"]}
    with_click = sum(1 for c in searches["context"] if c.get("search_id") in clicked)
    return {
        "searches": total, "clicks": len(clicks),
        "ctr": round(with_click / total, 4) if total else 0.0,
        "ctr_by_position": by_position,
        "top_queries": [{"query": q, "count": k} for q, k in top_queries(searches, n)],
        "zero_result_queries": [{"query": q, "count": k} for q, k in top_queries(searches, n, with_results=False)],
    }

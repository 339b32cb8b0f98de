"""Finding users and items as a person types, and shoppers alike, over the service's live state.

The indexes are built once from the live state the service already holds (its users' stored histories and its
catalog) and rebuilt when that state changes (a new history after a restart, a catalog version bump); a
look-up is then a binary search, never a scan of the store.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from shopmind.pipeline.service import RecommendationService


@dataclass
class _Index:
    key: Any
    sorted_ids: list[str]


def prefix_matches(sorted_ids: list[str], prefix: str, limit: int) -> list[str]:
    """Up to ``limit`` ids starting with ``prefix`` from a sorted list.

    >>> prefix_matches(["U1", "U10", "U2", "V1"], "U1", 5)
    ['U1', 'U10']
    """
    start = bisect.bisect_left(sorted_ids, prefix)
    out = []
    for raw in sorted_ids[start:start + limit]:
        if not raw.startswith(prefix):
            break
        out.append(raw)
    return out


class Lookup:
    """Ids by prefix, item titles by words, similar shoppers (see the module docs)."""

    def __init__(self, service: RecommendationService) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._users: _Index | None = None
        self._items: _Index | None = None
        self._titles: tuple[int, list[tuple[int, str]]] | None = None
        self._matrix: tuple[Any, sp.csr_matrix, np.ndarray] | None = None

    def _user_ids(self) -> list[str]:
        history = self.service.state.history
        if self._users is None or self._users.key is not history:
            with self._lock:
                self._users = _Index(history, sorted(str(u) for u in history.users.raw_ids))
        return self._users.sorted_ids

    def _item_ids(self) -> list[str]:
        catalog = self.service.state.catalog
        if self._items is None or self._items.key != catalog.version:
            with self._lock:
                ids = [catalog.raw(int(i)) for i in np.flatnonzero(catalog.listed & ~catalog.deleted)]
                self._items = _Index(catalog.version, sorted(ids))
        return self._items.sorted_ids

    def users(self, prefix: str, limit: int = 10) -> list[str]:
        """Users with a stored history whose id starts with ``prefix``."""
        return prefix_matches(self._user_ids(), prefix.strip(), limit) if prefix.strip() else []

    def items(self, query: str, limit: int = 10) -> list[tuple[str, str]]:
        """(item id, title) of listed items whose id starts with ``query`` or whose title holds every word of it."""
        query = query.strip()
        if not query:
            return []
        catalog = self.service.state.catalog
        found = prefix_matches(self._item_ids(), query, limit)
        if len(found) < limit:
            if self._titles is None or self._titles[0] != catalog.version:
                with self._lock:
                    listed = np.flatnonzero(catalog.listed & ~catalog.deleted)
                    self._titles = (catalog.version, [(int(i), (catalog.titles[i] or "").lower()) for i in listed])
            words = query.lower().split()
            for i, title in self._titles[1]:
                if all(w in title for w in words) and catalog.raw(i) not in found:
                    found.append(catalog.raw(i))
                    if len(found) >= limit:
                        break
        return [(item, catalog.label(catalog.index(item))) for item in found]

    def similar_users(self, user_id: str, n: int = 8) -> list[tuple[str, float, int]]:
        """(user id, cosine similarity, items in common) of the shoppers whose stored histories overlap most with
        ``user_id``'s (distinct items, each counted once)."""
        history = self.service.state.history
        if self._matrix is None or self._matrix[0] is not history:
            with self._lock:
                rows = np.repeat(np.arange(len(history.indptr) - 1), np.diff(history.indptr))
                m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, history.items.astype(np.int64))),
                                  shape=(len(history.indptr) - 1, int(history.items.max(initial=-1)) + 1))
                m.sum_duplicates()
                m.data[:] = 1.0  # an item the user touched several times counts once
                norms = np.sqrt(np.asarray(m.sum(axis=1)).ravel())
                self._matrix = (history, m, norms)
        _, m, norms = self._matrix
        u = history.users.get(str(user_id), -1)
        if u < 0 or norms[u] == 0:
            return []
        common = np.asarray((m @ m[u].T).todense()).ravel()
        common[u] = 0
        score = common / np.maximum(norms * norms[u], 1e-9)
        top = np.argsort(-score, kind="stable")[:n]
        return [(str(history.users.raw(int(v))), float(score[v]), int(common[v])) for v in top if common[v] > 0]

"""Negative feedback: items a user asked not to see (dislike, hide, not interested, a low rating).

:class:`NegativeFeedback` keeps, per user, the catalog indices of such items - built from the stored events
and updated by every acknowledged event through :meth:`~shopmind.pipeline.state.LiveState.apply_events`, so
an item a user hides is gone from their very next list. With ``near_duplicates`` the item's near-duplicates
go too: items of the same brand and category whose title is the same before its variant (``" - ..."``).

>>> from shopmind.data.catalog import Catalog
>>> catalog = Catalog()
>>> _ = catalog.upsert_records([{"item_id": "a", "title": "Tea - Green", "brand": "B", "category": "Food"},
...                             {"item_id": "b", "title": "Tea - Black", "brand": "B", "category": "Food"},
...                             {"item_id": "c", "title": "Mug", "brand": "B", "category": "Food"}])
>>> feedback = NegativeFeedback()
>>> feedback.add(["u1"], [0])
>>> catalog.ids.raws(feedback.hidden("u1", catalog, near_duplicates=True).tolist())
['a', 'b']
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np

from shopmind.data.catalog import Catalog


def title_stem(title: str | None) -> str:
    """The part of a title before its variant: ``"Tea - Green, 100 g"`` -> ``"tea"``.

    >>> title_stem("Daily Fresh Milk Chocolate - Matcha, 100 g")
    'daily fresh milk chocolate'
    """
    if not title:
        return ""
    return str(title).split(" - ", 1)[0].split(",", 1)[0].strip().lower()


class NegativeFeedback:
    """Per-user sets of hidden catalog indices (thread-safe)."""

    def __init__(self) -> None:
        self._hidden: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._hidden)

    def add(self, users: Sequence[object], items: Iterable[int]) -> None:
        """Hide ``items[k]`` from ``users[k]``."""
        with self._lock:
            for user, item in zip(users, items, strict=True):
                self._hidden.setdefault(str(user), set()).add(int(item))

    def forget(self, user_ids: Iterable[str]) -> None:
        with self._lock:
            for u in user_ids:
                self._hidden.pop(str(u), None)

    def items(self, user_id: str) -> list[int]:
        """The items ``user_id`` gave negative feedback on (no near-duplicates), ascending."""
        with self._lock:
            return sorted(self._hidden.get(str(user_id), ()))

    def hidden(self, user_id: str, catalog: Catalog, near_duplicates: bool = False) -> np.ndarray:
        """Catalog indices never to show ``user_id``: their negative items and, optionally, the near-duplicates
        of those items."""
        items = np.array(self.items(user_id), dtype=np.int64)
        if not near_duplicates or len(items) == 0:
            return items
        n = len(catalog)
        items = items[items < n]
        stems = {(int(catalog.brand[i]), int(catalog.category[i]), title_stem(catalog.titles[i])) for i in items}
        stems = {s for s in stems if s[2]}
        if not stems:
            return items
        brands = {b for b, _, _ in stems}
        candidates = np.flatnonzero(np.isin(catalog.brand[:n], list(brands)))
        twins = [int(c) for c in candidates
                 if (int(catalog.brand[c]), int(catalog.category[c]), title_stem(catalog.titles[c])) in stems]
        return np.union1d(items, np.array(twins, dtype=np.int64))

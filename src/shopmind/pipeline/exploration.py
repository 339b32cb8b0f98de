"""Exploration: Thompson sampling over new and under-exposed items, so that they get learned.

Each item has a Beta posterior over its click-through rate: ``Beta(1 + rewards, 1 + impressions -
rewards)``, updated live from impression and click/cart/purchase/favourite events (see
:mod:`shopmind.data.signals`). An exploration slot draws one sample per pool item and takes the
highest draw: items never shown have a flat prior and get picked often; items shown a lot without clicks
fade out; items that earn clicks keep coming back.

The pool is the newest items plus a random sample of under-exposed ones (fewer than ``min_impressions``
impressions), which is how long-tail items get exposure.

>>> rng = np.random.default_rng(0)
>>> thompson_pick(np.array([7, 8]), np.array([1000.0, 0.0]), np.array([0.0, 0.0]), 1, rng).tolist()
[8]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals


def thompson_pick(ids: np.ndarray, impressions: np.ndarray, rewards: np.ndarray, k: int,
                  rng: np.random.Generator) -> np.ndarray:
    """The ``k`` ids with the highest draws from their Beta posteriors."""
    if k <= 0 or len(ids) == 0:
        return np.empty(0, np.int64)
    # the flat prior Beta(1, 1) is the uniform distribution: items never shown nor rewarded (most of the
    # pool) need no Beta draw, which costs ten times a uniform one
    draws = rng.random(len(ids))
    shown = (impressions > 0) | (rewards > 0)
    if shown.any():
        draws[shown] = rng.beta(1.0 + rewards[shown], 1.0 + np.maximum(impressions[shown] - rewards[shown], 0.0))
    # the first highest draw, as the stable sort would give it
    best = np.array([np.argmax(draws)]) if k == 1 else np.argsort(-draws, kind="stable")[:k]
    return cast("np.ndarray", np.asarray(ids, dtype=np.int64)[best])


class ExplorationPool:
    """Newest items plus a sample of under-exposed items.

    The under-exposed set is cached like the pipeline's top lists: recomputed when the catalog changes, and
    when impressions have been counted since, once it is ``refresh_seconds`` old (0: at once).
    """

    def __init__(self, min_impressions: int = 20, newest: int = 100, sample: int = 200,
                 refresh_seconds: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_impressions = min_impressions
        self.newest = newest
        self.sample = sample
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._under: np.ndarray = np.empty(0, np.int64)
        #: (catalog version, signals version, clock time) of ``_under``
        self._stamp: tuple[int, int, float] = (-1, -1, 0.0)

    def under_exposed(self, catalog: Catalog, signals: ItemSignals) -> np.ndarray:
        now = self.clock()
        catalog_version, signals_version, at = self._stamp
        if catalog_version == catalog.version and (signals_version == signals.version
                                                   or now - at < self.refresh_seconds):
            return self._under
        n = len(catalog)
        imp = np.zeros(n)
        m = min(n, len(signals.impressions))
        imp[:m] = signals.impressions[:m]
        ok = catalog.available[:n] & (imp < self.min_impressions)
        self._under = np.flatnonzero(ok)
        self._stamp = (catalog.version, signals.version, now)
        return self._under

    def draw(self, catalog: Catalog, signals: ItemSignals, newest: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
        """Pool for one request: the newest items plus a random sample of under-exposed ones."""
        under = self.under_exposed(catalog, signals)
        if len(under) > self.sample:  # sampling positions with replacement is O(sample), not O(len(under))
            under = under[rng.integers(0, len(under), self.sample)]
        return sorted_unique(np.concatenate([newest[: self.newest], under]).astype(np.int64))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` for a small 1-d array: a sort and a mask, a quarter of ``np.unique``'s time on
    the few hundred ids of one request's pool.

    >>> sorted_unique(np.array([5, 3, 5, 1])).tolist()
    [1, 3, 5]
    """
    out = np.sort(values)
    if len(out) < 2:
        return out
    keep = np.empty(len(out), dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]

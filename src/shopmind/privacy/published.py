"""The serving side of differential privacy: ``/trending`` and ``/items/{id}/bought-together`` from noisy
counts, each release paid for from the epsilon ledger.

With ``SHOPMIND_DP_EPSILON`` set, :class:`PrivateLists` answers those two endpoints instead of the exact live
counters:

- **trending** (per window): each user's weighted events in the window, bounded to ``max_items`` distinct
  items at most the largest event weight each (:func:`~shopmind.privacy.dp.private_item_counts`), plus
  Laplace noise, over the whole catalog. Items are ranked by their noisy count.
- **bought together** (per item): the number of users who bought or carted both items (a user is the
  basket here: a per-session basket would let one user count many times), each user bounded to
  ``max_items`` items (:func:`~shopmind.privacy.dp.private_cooccurrence_row`), plus Laplace noise.

A release is kept for ``refresh_seconds`` and served again for free (any top-n, offset or filter of it is
post-processing); a fresh one is drawn after that, and charged. When the period's budget is spent the
endpoints answer 429 naming the period and when it renews. The scores in the response are the noisy counts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from shopmind.data.signals import WINDOWS
from shopmind.errors import UnknownIdError
from shopmind.pipeline.candidates import SOURCE_CODE
from shopmind.pipeline.rerank import Placed
from shopmind.pipeline.results import Recommendation, build_items, new_recommendation_id
from shopmind.pipeline.rules import RequestError, Rule
from shopmind.pipeline.service import RecommendationService
from shopmind.pipeline.state import BUY_TYPES, event_arrays
from shopmind.privacy.dp import (
    BudgetLedger,
    NoisyCounts,
    laplace_measurement,
    private_cooccurrence_row,
    private_item_counts,
)
from shopmind.settings import DPSettings


class PrivateLists:
    """Differentially private trending and bought-together lists over a service's store and catalog."""

    def __init__(self, service: RecommendationService, settings: DPSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.settings = settings
        self.ledger = BudgetLedger(service.store, settings.budget, settings.period)
        self.clock = clock
        self._releases: dict[str, tuple[float, NoisyCounts]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def warm_up(self) -> None:
        """Load OpenDP's native library now rather than in the first request that releases a list."""
        laplace_measurement(1, 1.0, integer=True)

    @property
    def epsilon(self) -> float:
        if self.settings.epsilon is None:
            raise RequestError("epsilon", "differential privacy is off (set SHOPMIND_DP_EPSILON)")
        return float(self.settings.epsilon)

    def _release(self, key: str, compute: Callable[[float], NoisyCounts]) -> NoisyCounts:
        """The cached release of ``key`` while fresh, else a new one, paid for first."""
        with self._lock:
            hit = self._releases.get(key)
            now = self.clock()
            if hit is not None and now - hit[0] < self.settings.refresh_seconds:
                return hit[1]
            eps = self.epsilon
            self.ledger.charge(key, eps)  # raises PrivacyBudgetError when the period's budget is spent
            out = compute(eps)
            self._releases[key] = (now, out)
            return out

    def _events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Stored events as (user codes, catalog indices, types, epoch seconds, weights)."""
        state = self.service.state
        ev = event_arrays(self.service.store.events_frame(), state.catalog, dict(self.service.config.event_weights))
        codes = np.unique(ev.users.astype(str), return_inverse=True)[1] if len(ev.users) else np.empty(0, np.int64)
        return codes.astype(np.int64), ev.items, ev.types, ev.timestamps, ev.weights

    def trending_counts(self, window: str) -> NoisyCounts:
        """The (cached or new) noisy weighted counts of every catalog item in ``window``."""
        if window not in WINDOWS:
            raise RequestError("window", f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")

        def compute(eps: float) -> NoisyCounts:
            users, items, _, ts, weights = self._events()
            now = self.service.state.signals.clock
            inside = (weights > 0) & (ts > now - WINDOWS[window]) & (ts <= now)
            max_weight = max([w for w in self.service.config.event_weights.values() if w > 0], default=1.0)
            return private_item_counts(users[inside], items[inside], len(self.service.state.catalog), eps,
                                       max_items=self.settings.max_items, weights=weights[inside],
                                       max_weight=max_weight)

        return self._release(f"trending:{window}", compute)

    def together_counts(self, item: int) -> NoisyCounts:
        """The (cached or new) noisy bought-together counts of catalog index ``item``."""

        def compute(eps: float) -> NoisyCounts:
            users, items, types, _, _ = self._events()
            buy = np.isin(types, list(BUY_TYPES))
            return private_cooccurrence_row(users[buy], items[buy], item, len(self.service.state.catalog), eps,
                                            max_items=self.settings.max_items)

        return self._release(f"together:{self.service.state.catalog.raw(item)}", compute)

    def _respond(self, counts: NoisyCounts, ids: np.ndarray, offset: int, source: str, anchor: int = -1,
                 extra: dict[str, object] | None = None) -> Recommendation:
        code = SOURCE_CODE[source]
        slots = [Placed(int(i), float(counts.values[i]), code, anchor) for i in ids]
        mode = "together" if source == "bought_together" else "user"
        items = build_items(slots[offset:], self.service.state.catalog, {}, offset, mode)
        bundle = self.service.versions.active
        return Recommendation(new_recommendation_id(), items, None, bundle.version if bundle else None, False,
                              {**(extra or {}), "epsilon": counts.epsilon})

    def trending(self, window: str = "24h", n: int = 10, offset: int = 0, filters: Sequence[Rule] = ()
                 ) -> Recommendation:
        """``/trending`` from the noisy counts: available items passing ``filters`` with a positive noisy
        count, best first."""
        counts = self.trending_counts(window)
        catalog = self.service.state.catalog
        ids = np.flatnonzero(counts.values > 0)
        ok = catalog.is_available(ids)
        for rule in filters:
            ok &= rule.mask(catalog, ids)
        ids = counts.top(n + offset, ids[ok])
        return self._respond(counts, ids, offset, "trending", extra={"window": window})

    def bought_together(self, item_id: str, n: int = 10) -> Recommendation:
        """``/items/{id}/bought-together`` from the noisy counts (404-style :class:`UnknownIdError` for an
        unknown item)."""
        catalog = self.service.state.catalog
        if not catalog.is_known(item_id):
            raise UnknownIdError("item", item_id)
        c = catalog.index(item_id)
        counts = self.together_counts(c)
        ids = np.flatnonzero(counts.values > 0)
        ids = ids[catalog.is_available(ids) & (ids != c)]
        return self._respond(counts, counts.top(n, ids), 0, "bought_together", anchor=c)

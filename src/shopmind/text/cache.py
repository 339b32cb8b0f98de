"""Embeddings cached in the store, keyed by encoder and a hash of the text.

>>> vecs, stats = encode_cached(get_encoder("hashing"), ["红色 T 恤", "red t-shirt"], store)   # doctest: +SKIP
>>> stats                                                                                     # doctest: +SKIP
{'texts': 2, 'cached': 0, 'encoded': 2, 'seconds': 0.01}

Re-encoding an unchanged catalog costs one cache lookup; a changed title has a new hash and is encoded
again. Without a store, everything is encoded.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from shopmind.settings import default_home
from shopmind.storage import open_store
from shopmind.text.encoders import TextEncoder


def text_key(text: str, kind: str = "passage") -> str:
    """The cache key of one text in one mode (query and passage vectors differ for E5)."""
    return hashlib.sha1(f"{kind}\x00{text}".encode()).hexdigest()


def cache_model_name(encoder: TextEncoder) -> str:
    return f"{encoder.name}/{encoder.dim}"


def encode_cached(encoder: TextEncoder, texts: Sequence[str], store: Any = None, *, kind: str = "passage",
                  batch_size: int = 64, progress: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """``encoder.encode(texts)`` through the store's embedding cache; returns vectors and counts."""
    t0 = time.perf_counter()
    texts = [str(t) for t in texts]
    keys = [text_key(t, kind) for t in texts]
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    found: dict[str, np.ndarray] = {}
    model = cache_model_name(encoder)
    if store is not None and texts:
        found = store.get_embeddings(model, keys)
    missing = [i for i, k in enumerate(keys) if k not in found or len(found[k]) != encoder.dim]
    for i, k in enumerate(keys):
        if k in found and len(found[k]) == encoder.dim:
            out[i] = found[k]
    if missing:
        uniq: dict[str, int] = {}
        for i in missing:
            uniq.setdefault(keys[i], i)
        vecs = encoder.encode([texts[i] for i in uniq.values()], kind=kind, batch_size=batch_size,
                              progress=progress)
        by_key = dict(zip(uniq, vecs, strict=True))
        for i in missing:
            out[i] = by_key[keys[i]]
        if store is not None:
            store.put_embeddings(model, by_key)
    return out, {"texts": len(texts), "cached": len(texts) - len(missing), "encoded": len(missing),
                 "seconds": round(time.perf_counter() - t0, 3)}


def default_cache_store() -> Any:
    """The embedding cache used when no store is given: ``$SHOPMIND_EMBEDDING_CACHE`` (a store URL, or
    ``none`` to disable), default ``sqlite:///$SHOPMIND_HOME/embeddings.db``."""


    url = os.environ.get("SHOPMIND_EMBEDDING_CACHE") or f"sqlite:///{default_home() / 'embeddings.db'}"
    if url.lower() == "none":
        return None
    return open_store(url)

"""Embeddings cached in the store, keyed by encoder and a hash of the text.

>>> vecs, stats = encode_cached(get_encoder("hashing"), ["红色 T 恤", "red t-shirt"], store)   # doctest: +SKIP
>>> stats                                                                                     # doctest: +SKIP
{'texts': 2, 'cached': 0, 'encoded': 2, 'seconds': 0.01}

Re-encoding an unchanged catalog costs one cache lookup; a changed title has a new hash and is encoded
again. Without a store, everything is encoded.

Models that embed item text (``content``, ``coldstart``, ``fusion``, text-initialised sequence models) use the
process's cache store, which the edge configures once from the settings (``SHOPMIND_EMBEDDING_CACHE``, default
``$SHOPMIND_HOME/embeddings.db``) with :func:`set_cache_url`; until then nothing is cached.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from shopmind.storage import Store, open_store
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


#: The store URL of the process's embedding cache (None: no cache), set at the edge by :func:`set_cache_url`.
_CACHE: dict[str, str | None] = {"url": None}


def set_cache_url(url: str | None) -> None:
    """Keep item-text embeddings in the store at ``url`` (None: encode every time). Called once by the edge
    (a CLI command, ``shopmind serve``) with ``Settings.embedding_cache_url``."""
    _CACHE["url"] = url


def cache_url() -> str | None:
    """The store URL of the process's embedding cache (None: none configured)."""
    return _CACHE["url"]


def default_cache_store() -> Store | None:
    """A connection to the process's embedding cache (see :func:`set_cache_url`), or None without one. The
    caller closes it."""
    url = _CACHE["url"]
    return open_store(url) if url else None

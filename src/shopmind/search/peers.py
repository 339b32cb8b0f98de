"""Peer retrievers for the benchmark: what a developer assembles from libraries in an afternoon.

- ``bm25s``: the bm25s library over the item's text (title, brand, category, attributes, description),
  tokenised with jieba (Chinese) and the Snowball English stemmer, English stop words removed;
- ``e5``: the multilingual-e5-small vectors of the same passages our dense side uses, exact cosine;
- ``bm25s+e5``: reciprocal rank fusion (k = 60) of the two.

They know nothing of prices, pinyin, traditional characters, typos or synonyms: that is the point of the
comparison. ``bm25s``, ``jieba`` and ``PyStemmer`` are optional dependencies of the benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from shopmind.search.analysis import STOPWORDS
from shopmind.search.documents import dense_text, item_fields
from shopmind.search.fusion import rrf
from shopmind.text.cache import encode_cached
from shopmind.text.encoders import TextEncoder

PEERS = ("bm25s", "e5", "bm25s+e5")
_WORD = re.compile(r"\w+")

Retriever = Callable[[str, int], list[str]]


def plain_tokenizer() -> Callable[[str], list[str]]:
    """jieba's precise cut, lower case, Snowball stems, English stop words removed."""
    # lazy: optional benchmark dependencies
    import jieba
    import Stemmer

    stemmer = Stemmer.Stemmer("english")

    def tokenize(text: str) -> list[str]:
        words = [w for w in jieba.lcut(text.lower()) if _WORD.fullmatch(w) and w not in STOPWORDS]
        return [stemmer.stemWord(w) if w.isascii() else w for w in words]

    return tokenize


class PlainBM25:
    """bm25s over the concatenated item text (see the module docs)."""

    def __init__(self, items: Sequence[Mapping[str, Any]]) -> None:
        # lazy: optional benchmark dependency
        import bm25s

        self.ids = [str(r["item_id"]) for r in items]
        self.tokenize = plain_tokenizer()
        corpus = [self.tokenize(" ".join(item_fields(r).values())) for r in items]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        self.vocab = {t for doc in corpus for t in doc}

    def __call__(self, query: str, k: int) -> list[str]:
        tokens = [t for t in self.tokenize(query) if t in self.vocab]
        if not tokens:
            return []
        docs, scores = self.retriever.retrieve([tokens], k=min(k, len(self.ids)), show_progress=False)
        return [self.ids[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class PlainDense:
    """Exact cosine over the e5 item passages (see the module docs)."""

    def __init__(self, items: Sequence[Mapping[str, Any]], encoder: TextEncoder, cache: Any = None) -> None:
        self.ids = [str(r["item_id"]) for r in items]
        self.encoder = encoder
        self.vectors, _ = encode_cached(encoder, [dense_text(r) for r in items], cache, progress=True)

    def __call__(self, query: str, k: int) -> list[str]:
        q = self.encoder.encode([query], kind="query")[0]
        s = self.vectors @ q
        top = np.argsort(-s, kind="stable")[:k]
        return [self.ids[int(i)] for i in top]


def fused(a: Retriever, b: Retriever) -> Retriever:
    """RRF (k = 60) of two retrievers."""

    def run(query: str, k: int) -> list[str]:
        la, lb = a(query, k), b(query, k)
        names = list(dict.fromkeys([*la, *lb]))
        index = {n: i for i, n in enumerate(names)}
        docs, _ = rrf({"a": np.array([index[n] for n in la], dtype=np.int64),
                       "b": np.array([index[n] for n in lb], dtype=np.int64)})
        return [names[int(d)] for d in docs[:k]]

    return run


def build_peer(name: str, items: Sequence[Mapping[str, Any]], encoder: TextEncoder | None, cache: Any = None,
               built: dict[str, Retriever] | None = None) -> Retriever:
    """A peer retriever by name (``built`` shares the parts between ``bm25s+e5`` and its halves)."""
    built = built if built is not None else {}
    if name in built:
        return built[name]
    if name == "bm25s":
        built[name] = PlainBM25(items)
    elif name == "e5":
        if encoder is None:
            raise ValueError("the e5 peer needs an encoder")
        built[name] = PlainDense(items, encoder, cache)
    elif name == "bm25s+e5":
        built[name] = fused(build_peer("bm25s", items, encoder, cache, built),
                            build_peer("e5", items, encoder, cache, built))
    else:
        raise ValueError(f"unknown peer {name!r}; expected one of {PEERS}")
    return built[name]

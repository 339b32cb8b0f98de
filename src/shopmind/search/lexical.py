"""An incremental BM25F index: per-field weights, documents added, replaced and deleted one at a time.

Each document is a set of fields (title, brand, category, attributes, description), each a list of terms.
A term's weight in a document is the BM25F pseudo-frequency ``sum_f w_f * tf_f / (1 - b + b * len_f /
avglen_f)``, saturated as ``tf * (k1 + 1) / (tf + k1)`` and multiplied by the term's idf at query time (so
document frequencies stay exact as documents come and go).

Postings are append-only arrays; a deleted or replaced document is a tombstone in the ``alive`` mask,
skipped at once by every query, and :meth:`compact` rebuilds the arrays when tombstones pile up. That is
what makes an upsert cost microseconds instead of a rebuild.

>>> index = LexicalIndex({"title": 3.0, "brand": 2.0})
>>> index.add(0, {"title": ["red", "dress"], "brand": ["acme"]})
>>> index.add(1, {"title": ["blue", "dress"]})
>>> docs, scores = index.term_scores("red")
>>> docs.tolist()
[0]
>>> index.delete(0)
>>> index.df("red")
0
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

#: Default field weights: a word in the title or brand counts more than one in a description.
#: The leaf of the category path counts on its own as well: "nail polish" is about items whose leaf is Nail
#: Polish more than about items that mention nail polish in a longer title.
FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "brand": 3.0, "leaf": 2.5, "category": 1.5, "attributes": 1.0,
                                   "description": 0.5}


class Postings:
    """The documents holding one term and their BM25F pseudo-frequencies (append-only)."""

    __slots__ = ("_cache", "docs", "tf")

    def __init__(self) -> None:
        self.docs = array("i")
        self.tf = array("f")
        self._cache: tuple[int, np.ndarray, np.ndarray] | None = None

    def append(self, doc: int, tf: float) -> None:
        self.docs.append(doc)
        self.tf.append(tf)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(docs, tf)`` as numpy arrays (copied once per change)."""
        n = len(self.docs)
        if self._cache is None or self._cache[0] != n:
            self._cache = (n, np.array(self.docs, dtype=np.int64), np.array(self.tf, dtype=np.float32))
        return self._cache[1], self._cache[2]


class LexicalIndex:
    """BM25F over named fields (see the module docs). Documents are dense integer ids chosen by the caller."""

    def __init__(self, field_weights: Mapping[str, float] | None = None, k1: float = 1.2, b: float = 0.75) -> None:
        self.field_weights = dict(field_weights or FIELD_WEIGHTS)
        self.k1 = k1
        self.b = b
        self.postings: dict[str, Postings] = {}
        self.alive = np.zeros(0, dtype=bool)
        self.n_alive = 0
        self.dead_postings = 0
        #: live document frequency of each term (kept exact across deletes)
        self.doc_freq: Counter[str] = Counter()
        self._doc_terms: dict[int, tuple[str, ...]] = {}
        self._len_sum: Counter[str] = Counter()
        self._len_docs = 0

    # ------------------------------------------------------------------ writes
    def _avg(self, field: str) -> float:
        return max(self._len_sum[field] / self._len_docs, 1.0) if self._len_docs else 1.0

    def _grow(self, doc: int) -> None:
        if doc >= len(self.alive):
            grown = np.zeros(max(doc + 1, 2 * len(self.alive), 1024), dtype=bool)
            grown[: len(self.alive)] = self.alive
            self.alive = grown

    def add(self, doc: int, fields: Mapping[str, Sequence[str]]) -> None:
        """Index document ``doc`` (a new id: replacing a document is :meth:`delete` then :meth:`add` under a
        new id, so the old postings are never rewritten)."""
        self._grow(doc)
        if self.alive[doc]:
            raise ValueError(f"document {doc} is already indexed; delete it first")
        for f, terms in fields.items():
            self._len_sum[f] += len(terms)
        self._len_docs += 1
        weights: dict[str, float] = {}
        for f, terms in fields.items():
            w = self.field_weights.get(f, 0.0)
            if w <= 0 or not terms:
                continue
            norm = 1.0 - self.b + self.b * len(terms) / self._avg(f)
            for term, tf in Counter(terms).items():
                weights[term] = weights.get(term, 0.0) + w * tf / norm
        for term, weight in weights.items():
            p = self.postings.get(term)
            if p is None:
                p = self.postings[term] = Postings()
            p.append(doc, weight)
            self.doc_freq[term] += 1
        self._doc_terms[doc] = tuple(weights)
        self.alive[doc] = True
        self.n_alive += 1

    def delete(self, doc: int) -> None:
        """Remove ``doc`` from every result at once (a tombstone; no-op when unknown)."""
        if doc >= len(self.alive) or not self.alive[doc]:
            return
        self.alive[doc] = False
        self.n_alive -= 1
        for term in self._doc_terms.pop(doc, ()):
            self.doc_freq[term] -= 1
            if self.doc_freq[term] <= 0:
                del self.doc_freq[term]
            self.dead_postings += 1

    def compact(self) -> None:
        """Drop the postings of deleted documents (document ids are kept)."""
        for term in list(self.postings):
            docs, tf = self.postings[term].arrays()
            keep = self.alive[docs]
            if keep.all():
                continue
            if not keep.any():
                del self.postings[term]
                continue
            p = Postings()
            p.docs = array("i", docs[keep].astype(np.int32).tolist())
            p.tf = array("f", tf[keep].tolist())
            self.postings[term] = p
        self.dead_postings = 0

    # ------------------------------------------------------------------ reads
    def df(self, term: str) -> int:
        """Live documents holding ``term``."""
        return self.doc_freq.get(term, 0)

    def idf(self, term: str) -> float:
        n, df = max(self.n_alive, 1), self.df(term)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def term_scores(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Live documents holding ``term`` and their BM25 scores for it."""
        p = self.postings.get(term)
        if p is None or self.df(term) == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        docs, tf = p.arrays()
        if self.dead_postings:
            keep = self.alive[docs]
            docs, tf = docs[keep], tf[keep]
        scores = self.idf(term) * tf * (self.k1 + 1.0) / (tf + self.k1)
        return docs, scores.astype(np.float32)

    def clause_scores(self, alternatives: Iterable[tuple[str, float]], size: int) -> np.ndarray:
        """Per-document score of a clause that any of ``(term, weight)`` satisfies: the best alternative
        counts (a document matching both a word and its synonym is not counted twice). ``size`` >= the
        largest document id + 1."""
        out = np.zeros(size, dtype=np.float32)
        for term, weight in alternatives:
            docs, scores = self.term_scores(term)
            if len(docs):
                out[docs] = np.maximum(out[docs], weight * scores)
        return out

    def vocabulary(self) -> list[str]:
        """Every term with at least one live document."""
        return list(self.doc_freq)

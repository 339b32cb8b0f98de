"""Fusing the lexical and the dense ranking of a query.

``rrf``: reciprocal rank fusion (Cormack et al., 2009): ``score(d) = sum over lists of w / (k + rank(d))``
with ranks from 1 and ``k = 60`` by default; a document missing from a list gets nothing from it. Ties keep
the order of first appearance.

Two fusions of one query's candidates (:class:`FusionInput`) build on it:

- :class:`RRFFusion` (``"rrf"``, the default): plain RRF, k = 60, of the lexical top 200 and the dense top 200, where a
  dense-only hit must have cosine >= 0.82 and be within 0.04 of the best one.
- :class:`AdaptiveFusion` (``"adaptive"``): RRF weighted by how much the lexical ranking can be
  trusted for this query. Plain RRF treats both lists alike, so a dense-only neighbour fused in at dense rank
  1 lands among exact matches when the words of the query are all in the catalog ("argan oil shampoo"), and
  the lexical side's partial matches dilute the dense ranking when the words are not the catalog's words
  ("something for dry flaky skin in winter", "zit cream"). The confidence of the lexical side is the share of
  the query's words the catalog matches *as written* (not through a typo, pinyin or synonym), halved when no
  item matches enough of them; the lexical weight runs from ``lo`` (no confidence) to ``hi`` (full), and
  items that match only some words (the lexical tail) count ``loose`` times as much. When the lexical side is
  confident, dense-only hits pass the same cosine gate as in RRF; otherwise every dense hit takes part.

Its parameters were chosen on the tuning half of demo-zh-hard; it beats plain RRF there and on our demo-zh set,
but not on Amazon Beauty (``docs/search.md``), so plain RRF stays the default.

>>> import numpy as np
>>> docs, scores = rrf({"bm25": np.array([3, 1, 2]), "dense": np.array([1, 4])})
>>> docs.tolist()
[1, 3, 4, 2]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np


def rrf(ranked: Mapping[str, np.ndarray], k: float = 60, weights: Mapping[str, float] | None = None
        ) -> tuple[np.ndarray, np.ndarray]:
    """Fuse ranked document-id lists (best first); returns ids and fused scores, best first.

    Each document's contributions are added in the order of the lists (float64, as one would add them one by
    one), and the fused order is stable over the order of first appearance."""
    lists = [np.asarray(docs, dtype=np.int64).ravel() for docs in ranked.values()]
    if not sum(len(docs) for docs in lists):
        return np.empty(0, np.int64), np.empty(0, np.float32)
    every = np.concatenate(lists)
    parts = [(1.0 if weights is None else float(weights.get(name, 1.0)))
             / (k + np.arange(1, len(docs) + 1, dtype=np.float64)) for name, docs in zip(ranked, lists, strict=True)]
    ids, first, where = np.unique(every, return_index=True, return_inverse=True)
    total = np.zeros(len(ids), dtype=np.float64)
    np.add.at(total, where, np.concatenate(parts))  # in the order of the lists, duplicates included
    seen = np.argsort(first, kind="stable")  # the order of first appearance
    ids, total = ids[seen], total[seen]
    order = np.argsort(-total, kind="stable")
    return ids[order], total[order].astype(np.float32)


#: Weight of the English list (all-MiniLM-L6-v2 re-ordering the candidates of an English query) in RRF.
ENGLISH_WEIGHT = 1.5
#: Weight of the Chinese list (USE multilingual re-ordering the candidates of a Chinese query) in RRF; chosen on
#: the tuning half of demo-zh-hard and demo-zh (docs/search.md, *Issue 24, ninth session*).
CHINESE_WEIGHT = 1.0


@dataclass(frozen=True)
class FusionInput:
    """One query's candidates: the lexical ranking (the first ``strict`` documents match enough of the query's
    words, the rest some of them), the dense ranking with cosines, and how the query's words resolved:
    ``clauses`` words, ``resolved`` of them found in the catalog somehow, ``exact`` of them as written."""

    lex_docs: np.ndarray
    lex_scores: np.ndarray
    strict: int
    dense_docs: np.ndarray
    dense_cos: np.ndarray
    clauses: int = 1
    resolved: int = 1
    exact: int = 1
    #: the candidates of both lists re-ordered by the English encoder (all-MiniLM-L6-v2) for an English query
    english_docs: np.ndarray | None = None
    #: the same for a Chinese query, re-ordered by USE multilingual
    chinese_docs: np.ndarray | None = None

    def english(self, *lists: np.ndarray) -> np.ndarray | None:
        """The English ranking of the documents in ``lists`` (None when there is none)."""
        return _within(self.english_docs, lists)

    def chinese(self, *lists: np.ndarray) -> np.ndarray | None:
        """The Chinese ranking of the documents in ``lists`` (None when there is none)."""
        return _within(self.chinese_docs, lists)

    def confidence(self) -> float:
        """How far the lexical ranking can be trusted, 0-1 (see the module docs)."""
        if not len(self.lex_docs) or self.clauses <= 0:
            return 0.0
        share = self.exact / self.clauses
        return share if self.strict > 0 else share / 2


def _within(ranked: np.ndarray | None, lists: tuple[np.ndarray, ...]) -> np.ndarray | None:
    if ranked is None or not len(ranked):
        return None
    allowed = set().union(*(x.tolist() for x in lists))
    return np.array([d for d in ranked.tolist() if d in allowed], dtype=np.int64)


class Fusion(Protocol):
    def __call__(self, inp: FusionInput) -> tuple[np.ndarray, np.ndarray]: ...


def _gate(inp: FusionInput, floor: float, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """The dense ranking without dense-only hits below ``max(floor, best cosine - margin)``."""
    if not len(inp.dense_docs):
        return inp.dense_docs, inp.dense_cos
    lexical = set(inp.lex_docs.tolist())
    gate = max(floor, float(inp.dense_cos[0]) - margin)
    keep = np.array([d in lexical or c >= gate for d, c in zip(inp.dense_docs.tolist(), inp.dense_cos.tolist(),
                                                                   strict=True)])
    return inp.dense_docs[keep], inp.dense_cos[keep]


@dataclass(frozen=True)
class RRFFusion:
    """Plain RRF of the two rankings, with the cosine gate on dense-only hits."""

    k: float = 60
    floor: float = 0.82
    margin: float = 0.04
    english: float = ENGLISH_WEIGHT
    chinese: float = CHINESE_WEIGHT

    def __call__(self, inp: FusionInput) -> tuple[np.ndarray, np.ndarray]:
        dense_docs, _ = _gate(inp, self.floor, self.margin)
        ranked = {"bm25": inp.lex_docs, "dense": dense_docs}
        for name, third in (("english", inp.english(inp.lex_docs, dense_docs)),
                            ("chinese", inp.chinese(inp.lex_docs, dense_docs))):
            if third is not None:
                ranked[name] = third
        return rrf(ranked, k=self.k, weights={"english": self.english, "chinese": self.chinese})


@dataclass(frozen=True)
class AdaptiveFusion:
    """RRF weighted by the lexical side's confidence (see the module docs)."""

    k: float = 60
    lo: float = 0.6
    hi: float = 5.0
    loose: float = 0.5
    gate_at: float = 0.99
    floor: float = 0.82
    margin: float = 0.04
    english: float = ENGLISH_WEIGHT
    chinese: float = CHINESE_WEIGHT

    def __call__(self, inp: FusionInput) -> tuple[np.ndarray, np.ndarray]:
        c = inp.confidence()
        w_lex = self.lo + (self.hi - self.lo) * c
        dense_docs = _gate(inp, self.floor, self.margin)[0] if c >= self.gate_at else inp.dense_docs
        score: dict[int, float] = {}
        for rank, d in enumerate(inp.lex_docs.tolist(), 1):
            w = w_lex if rank <= inp.strict else w_lex * self.loose
            score[d] = score.get(d, 0.0) + w / (self.k + rank)
        for rank, d in enumerate(dense_docs.tolist(), 1):
            score[d] = score.get(d, 0.0) + 1.0 / (self.k + rank)
        for weight, third in ((self.english, inp.english(inp.lex_docs, dense_docs)),
                              (self.chinese, inp.chinese(inp.lex_docs, dense_docs))):
            for rank, d in enumerate(third.tolist() if third is not None else [], 1):
                score[d] = score.get(d, 0.0) + weight / (self.k + rank)
        if not score:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        items = sorted(score.items(), key=lambda kv: -kv[1])
        return (np.array([d for d, _ in items], dtype=np.int64),
                np.array([s for _, s in items], dtype=np.float32))


#: Fusion names accepted by the engine, the CLI and the API.
FUSIONS = ("adaptive", "rrf")


def make_fusion(name: str, *, k: float = 60, floor: float = 0.82, margin: float = 0.04) -> Fusion:
    """The fusion called ``name`` (one of :data:`FUSIONS`)."""
    if name == "rrf":
        return RRFFusion(k=k, floor=floor, margin=margin)
    if name == "adaptive":
        return AdaptiveFusion(k=k, floor=floor, margin=margin)
    raise ValueError(f"unknown fusion {name!r}: expected one of {', '.join(FUSIONS)}")

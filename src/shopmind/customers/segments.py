"""Learned segments: k-means over user representations (k chosen by silhouette) and LDA topics over what
users buy; each segment described against the whole shop.

- :class:`KMeansSegmenter`: k-means (scikit-learn) on the rows of a user matrix - the active model's user
  vectors or the interest-tag vectors - with k in ``[k_min, k_max]`` picked by the silhouette score on a
  sample; every user is then assigned to the nearest centre.
- :class:`TopicSegmenter`: LDA (scikit-learn) on users' purchase "documents" of categories and brands (carts
  and favourites count too when a user bought little); each topic is shown by its top terms and a user joins
  the topic that dominates their document.
- :func:`describe_segment`: size, the categories / brands / price bands most over-represented against the
  whole shop (lift = share in the segment / share in the shop), the RFM mix and the value.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.vstack([rng.normal(0, 0.1, (30, 2)), rng.normal(3, 0.1, (30, 2))])
>>> KMeansSegmenter(k_min=2, k_max=4).fit(x).k_
2
"""

from __future__ import annotations

import logging
from typing import Any, Self

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from shopmind.errors import DataError, check_int

logger = logging.getLogger(__name__)


class KMeansSegmenter:
    """k-means with k chosen by silhouette (sklearn). ``fit`` on a sample, ``predict`` on everyone."""

    def __init__(self, k_min: int = 3, k_max: int = 8, sample: int = 10_000, silhouette_sample: int = 2_000,
                 seed: int = 0) -> None:
        self.k_min, self.k_max, self.sample, self.silhouette_sample, self.seed = (k_min, k_max, sample,
                                                                                  silhouette_sample, seed)

    def fit(self, x: np.ndarray) -> Self:
        # lazy: scikit-learn takes most of a second to import
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score

        check_int("KMeansSegmenter", "k_min", self.k_min, low=2)
        check_int("KMeansSegmenter", "k_max", self.k_max, low=self.k_min)
        x = np.asarray(x, dtype=np.float64)
        active = np.abs(x).sum(axis=1) > 0
        if active.sum() < self.k_min + 1:
            raise DataError(f"k-means needs more than {self.k_min} users with a representation; got "
                            f"{int(active.sum())}")
        rng = np.random.default_rng(self.seed)
        rows = np.flatnonzero(active)
        fit_rows = rng.choice(rows, size=min(self.sample, len(rows)), replace=False)
        sil_rows = rng.choice(len(fit_rows), size=min(self.silhouette_sample, len(fit_rows)), replace=False)
        self.scores_: dict[int, float] = {}
        best: tuple[float, Any] | None = None
        for k in range(self.k_min, min(self.k_max, len(fit_rows) - 1) + 1):
            # one thread: small problems on a shared 2-core machine lose more to thread hand-offs than they gain
            with threadpool_limits(1):
                km = KMeans(n_clusters=k, n_init=1, random_state=self.seed).fit(x[fit_rows])
                labels = km.labels_[sil_rows]
                if len(np.unique(labels)) < 2:
                    continue
                score = float(silhouette_score(x[fit_rows][sil_rows], labels))
            self.scores_[k] = round(score, 4)
            if best is None or score > best[0]:
                best = (score, km)
        if best is None:
            raise DataError("k-means found no k with two or more non-empty clusters")
        self.silhouette_, model = best
        self.k_ = int(model.n_clusters)
        self.centers_ = model.cluster_centers_
        logger.info("k-means: k=%d (silhouette %.3f; tried %s)", self.k_, self.silhouette_, self.scores_)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The nearest centre of each row; -1 for all-zero rows (no representation)."""
        x = np.asarray(x, dtype=np.float64)
        d = (x ** 2).sum(axis=1)[:, None] - 2 * x @ self.centers_.T + (self.centers_ ** 2).sum(axis=1)[None, :]
        labels = d.argmin(axis=1)
        return np.where(np.abs(x).sum(axis=1) > 0, labels, -1)


class TopicSegmenter:
    """LDA topics over users' term counts (sklearn ``LatentDirichletAllocation``)."""

    def __init__(self, topics: int = 6, sample: int = 2_000, min_weight: float = 0.5, seed: int = 0) -> None:
        self.topics, self.sample, self.min_weight, self.seed = topics, sample, min_weight, seed

    def fit(self, counts: Any, vocab: list[str]) -> Self:
        # lazy: scikit-learn takes most of a second to import
        from sklearn.decomposition import LatentDirichletAllocation

        check_int("TopicSegmenter", "topics", self.topics, low=2)
        rows = np.flatnonzero(np.asarray(counts.sum(axis=1)).ravel() > 0)
        if len(rows) < self.topics:
            raise DataError(f"LDA needs at least {self.topics} users with purchases; got {len(rows)}")
        rng = np.random.default_rng(self.seed)
        fit_rows = rng.choice(rows, size=min(self.sample, len(rows)), replace=False)
        with threadpool_limits(1):
            self.lda_ = LatentDirichletAllocation(n_components=self.topics, learning_method="batch", max_iter=10,
                                                  max_doc_update_iter=30, random_state=self.seed).fit(counts[fit_rows])
        self.vocab_ = list(vocab)
        return self

    def top_terms(self, n: int = 8) -> list[list[tuple[str, float]]]:
        """The ``n`` heaviest terms of each topic with their share of the topic."""
        comp = self.lda_.components_ / self.lda_.components_.sum(axis=1, keepdims=True)
        return [[(self.vocab_[j], round(float(row[j]), 4)) for j in np.argsort(-row)[:n]] for row in comp]

    def predict(self, counts: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(topic, share)`` per user: the topic under which the user's whole document is most likely and
        its posterior share (a one-topic reading of the LDA posterior: one sparse product for any number of
        users, where ``LatentDirichletAllocation.transform`` iterates per document); -1 for users without terms
        or whose best topic holds less than ``min_weight``."""
        log_beta = np.log(self.lda_.components_ / self.lda_.components_.sum(axis=1, keepdims=True))
        ll = np.asarray(counts @ log_beta.T)
        ll -= ll.max(axis=1, keepdims=True)
        post = np.exp(ll)
        post /= post.sum(axis=1, keepdims=True)
        has = np.asarray(counts.sum(axis=1)).ravel() > 0
        topic, share = post.argmax(axis=1), post.max(axis=1)
        return np.where(has & (share >= self.min_weight), topic, -1), np.where(has, share, 0.0)


def lift_table(member: np.ndarray, weights: Any, names: list[str], top: int = 5, min_share: float = 0.01
               ) -> list[dict[str, Any]]:
    """Tags most over-represented among ``member`` users (a boolean mask over the rows of ``weights``, a users x
    tags matrix): ``[{"tag", "share", "shop_share", "lift"}]``, highest lift first, among tags holding
    ``min_share`` of the segment's weight. Lift = share of the tag in the segment / share in the whole shop."""
    if not member.any() or weights.shape[1] == 0:
        return []
    shop = np.asarray(weights.sum(axis=0)).ravel()
    seg = np.asarray(member.astype(np.float64) @ weights).ravel()
    if seg.sum() <= 0:
        return []
    seg_share, shop_share = seg / seg.sum(), shop / max(shop.sum(), 1e-12)
    ok = np.flatnonzero((seg_share >= min_share) & (shop_share > 0))
    lift = seg_share[ok] / shop_share[ok]
    order = ok[np.lexsort((-seg_share[ok], -lift))][:top]
    return [{"tag": names[j], "share": round(float(seg_share[j]), 4), "shop_share": round(float(shop_share[j]), 4),
             "lift": round(float(seg_share[j] / shop_share[j]), 2)} for j in order]


def describe_segment(member: np.ndarray, table: pd.DataFrame, weights: Any,
                     kinds: tuple[str, ...] = ("category", "brand", "price_band")) -> dict[str, Any]:
    """Size, over-represented tags of each kind, RFM mix, stage mix and value of the users in ``member`` (a
    mask over the rows of ``table``, which has ``rfm``, ``stage``, ``monetary`` and ``clv_12m``; ``weights`` is
    the :class:`~shopmind.customers.profiles.TagWeights` of the same users)."""
    n = int(member.sum())
    sub = table[member]
    rfm = sub["rfm"].fillna("no_purchase").value_counts(normalize=True).round(4)
    stage = sub["stage"].value_counts(normalize=True).round(4)
    clv = pd.to_numeric(sub["clv_12m"], errors="coerce") if "clv_12m" in sub else pd.Series(dtype=float)
    return {
        "size": n, "share": round(n / max(len(table), 1), 4),
        "lift": {kind: lift_table(member, *weights.kinds[kind]) for kind in kinds if kind in weights.kinds},
        "rfm_mix": {str(k): float(v) for k, v in rfm.items()},
        "stage_mix": {str(k): float(v) for k, v in stage.items()},
        "value": {"mean_spend": round(float(sub["monetary"].mean()), 2) if n else 0.0,
                  "total_spend": round(float(sub["monetary"].sum()), 2),
                  "mean_clv_12m": round(float(clv.mean()), 2) if n and clv.notna().any() else None},
    }

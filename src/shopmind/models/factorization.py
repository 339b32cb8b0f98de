"""Matrix factorisation: implicit-feedback ALS and BPR (via the ``implicit`` library, CPU) and biased MF for
explicit ratings.

- ``als``: Hu, Koren & Volinsky (2008). Confidence c_ui = 1 + alpha * w_ui for the items a user touched
  (w_ui = 1, or the event weight when ``weighted``), 1 elsewhere; preference 1 / 0.
- ``bpr``: Rendle et al. (2009), pairwise ranking by SGD; the last factor is an item bias.
- ``mf``: r_ui = mu + b_u + b_i + z_u . z_i fitted to the ``value`` column (ratings) by alternating
  least squares with count-scaled regularisation (ALS-WR). It predicts ratings (RMSE/MAE); used for
  top-K ranking it is weak, as rating predictors are: a good rating is not the same as a likely next item.

ALS and BPR take a user's new events without retraining: :meth:`fold_in` computes the vector of a
history and :meth:`partial_fit_users` stores it for known users (ALS: the exact least-squares solve the
training alternates over; BPR: the BPR objective minimised over the user vector with item factors fixed).
"""

from __future__ import annotations

import copy
import logging
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, ShopmindError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.knn import RECENCY_MODES, history_matrix
from shopmind.models.registry import register
from shopmind.training.threads import check_threads, resolve_threads

#: Fold-ins of up to this many users run on one thread, without threadpoolctl (see ``ALS._fold_in``).
REQUEST_ROWS = 8

log = logging.getLogger(__name__)


def _replace_rows(m: sp.csr_matrix, rows: np.ndarray, new: sp.csr_matrix) -> sp.csr_matrix:
    """``m`` with the given rows replaced by the rows of ``new`` (same column count)."""
    keep = np.ones(m.shape[0], dtype=np.float32)
    keep[rows] = 0.0
    place = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, np.arange(len(rows)))),
                          shape=(m.shape[0], len(rows)))
    out = (sp.diags(keep) @ m + place @ new).tocsr().astype(np.float32)
    out.eliminate_zeros()
    out.sort_indices()
    return out


class FactorModel(Recommender):
    """Shared scoring, fold-in plumbing and explanations of the implicit-feedback factor models."""

    weighted: bool
    user_factors_: np.ndarray
    item_factors_: np.ndarray
    user_items_: sp.csr_matrix

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        scores: np.ndarray = (self.user_factors_[np.asarray(users)] @ self.item_factors_.T).astype(np.float32,
                                                                                                copy=False)
        return scores

    def linear_factors(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(user_factors_, item_factors_)``: scores are exactly their product."""
        self._check_fitted()
        return self.user_factors_, self.item_factors_

    def score_vectors(self, user_vectors: np.ndarray) -> np.ndarray:
        """Scores ``[B, n_items]`` of user vectors, e.g. from :meth:`fold_in` for an unseen user."""
        self._check_fitted()
        return cast("np.ndarray", (np.atleast_2d(user_vectors) @ self.item_factors_.T).astype(np.float32, copy=False))

    def score_history(self, user_items: Any) -> np.ndarray:
        """Scores of histories folded in (item factors fixed)."""
        self._check_fitted()
        return self.score_vectors(self._fold_in(self._history_rows(user_items)))

    def _history_rows(self, user_items: Any, n_rows: int | None = None) -> sp.csr_matrix:
        """Accept a CSR/array ``[n, n_items]`` of weights or a 1-d array of item indices (weight 1)."""
        if sp.issparse(user_items):
            m = sp.csr_matrix(user_items, dtype=np.float32)
        else:
            a = np.asarray(user_items)
            if a.ndim == 1 and a.dtype.kind in "iu" and len(a) != self.n_items_:
                m = sp.csr_matrix((np.ones(len(a), dtype=np.float32), (np.zeros(len(a), dtype=np.int64), a)),
                                  shape=(1, self.n_items_))
                m.sum_duplicates()
                m.data[:] = 1.0
            else:
                m = sp.csr_matrix(np.atleast_2d(a).astype(np.float32))
        if m.shape[1] != self.n_items_:
            raise ParameterError(type(self).__name__, "user_items", m.shape,
                                 f"a matrix with {self.n_items_} columns or an array of item indices")
        if n_rows is not None and m.shape[0] != n_rows:
            raise ParameterError(type(self).__name__, "user_items", m.shape, f"{n_rows} rows, one per user")
        if m.nnz and (m.indices.min() < 0 or m.data.min() < 0):
            raise ParameterError(type(self).__name__, "user_items", "negative entry", "non-negative weights")
        return m

    def fold_in(self, user_items: Any) -> np.ndarray:
        """The user vector (``[d]``) of one history given as a 1-row CSR of weights, a dense row, or an
        array of item indices; item factors stay fixed. For several rows a ``[B, d]`` array is returned."""
        self._check_fitted()
        rows = self._history_rows(user_items)
        out = self._fold_in(rows)
        return out[0] if rows.shape[0] == 1 else out

    def partial_fit_users(self, users: np.ndarray, user_items: Any) -> np.ndarray:
        """Replace the histories of known ``users`` (their full new histories, one row each) and update
        their vectors without retraining. Returns the new vectors. New users: use :meth:`fold_in` and
        :meth:`score_vectors`, or retrain with them."""
        self._check_fitted()
        u = np.atleast_1d(np.asarray(users, dtype=np.int64))
        if len(u) and (u.min() < 0 or u.max() >= self.n_users_):
            bad = u[(u < 0) | (u >= self.n_users_)][0]
            raise ParameterError(type(self).__name__, "users", int(bad),
                                 f"known dense user indices in [0, {self.n_users_}) "
                                 "(fold_in() handles new users)")
        rows = self._history_rows(user_items, n_rows=len(u))
        vecs = self._fold_in(rows)
        self.user_factors_[u] = vecs
        self.user_items_ = _replace_rows(self.user_items_, u, rows)
        binary = rows.copy()
        binary.data[:] = 1.0
        self.seen_ = _replace_rows(self.seen_, u, binary)
        return vecs

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    #: Whether :meth:`live_vector` is cheap enough to run inside a request (ALS: one least-squares solve;
    #: BPR's fold-in is an iterative optimisation, so the serving layer does not use it per request).
    live_fold_in = False

    def live_vector(self, user: int, new_items: np.ndarray) -> np.ndarray:
        """The vector of ``user``'s training history followed by ``new_items`` (model item indices, oldest
        first; ``user=-1``: no training history), item factors fixed - what the model would fold in for
        the history as it is now, without retraining.

        New items weigh 1 (the newest) and, with ``recency="position"``, decay by position like the
        training histories do, which also pushes the stored history ``len(new_items)`` positions back. An
        item already in the history keeps the larger of its two weights."""
        self._check_fitted()
        new = np.asarray(new_items, dtype=np.int64)
        n = len(new)
        half_life = float(getattr(self, "half_life", 0.0))
        if getattr(self, "recency", "none") == "position" and half_life > 0:
            new_w = 0.5 ** (np.arange(n - 1, -1, -1) / half_life)
            old_scale = 0.5 ** (n / half_life)
        else:
            new_w, old_scale = np.ones(n), 1.0
        if 0 <= user < self.n_users_:
            row = self.user_items_[int(user)]
            items = np.concatenate([row.indices.astype(np.int64), new])
            weights = np.concatenate([row.data.astype(np.float64) * old_scale, new_w])
        else:
            items, weights = new, new_w
        cols, inverse = np.unique(items, return_inverse=True)
        best = np.zeros(len(cols))
        np.maximum.at(best, inverse, weights)
        history = sp.csr_matrix((best.astype(np.float32), cols, np.array([0, len(cols)])),
                                shape=(1, self.n_items_))
        return cast("np.ndarray", self._fold_in(history)[0])

    def _history_weights(self, train: Interactions) -> sp.csr_matrix:
        return train.to_csr(aggregate="max", weighted=self.weighted)


@register("als")
class ALS(FactorModel):
    """Implicit-feedback ALS (``implicit.cpu.als``) with confidence 1 + alpha * w_ui.

    ``regularization`` is implicit's (not scaled by counts). ``epochs`` is implicit's ``iterations``: each
    epoch solves every user's vector, then every item's, once. ``threads`` (0 = every core this process
    may use) run implicit's solver; OpenBLAS is held to one thread while fitting, as implicit recommends.

    With ``recency`` (``"position"`` or ``"time"``, ``half_life`` in events or days, as in item-kNN) the
    item factors are still learned from the whole history, but each user's vector is then folded in from
    the recency-decayed history, so recent items shape the recommendations more.

    >>> model = ALS(factors=64).fit(train)             # doctest: +SKIP
    >>> vec = model.fold_in(np.array([3, 17, 42]))     # doctest: +SKIP
    """

    live_fold_in = True

    def __init__(self, factors: int = 128, regularization: float = 30.0, alpha: float = 20.0,
                 epochs: int = 15, weighted: bool = False, recency: str = "position",
                 half_life: float = 3.0, use_cg: bool = True, threads: int = 0, seed: int = 0) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.epochs = epochs
        self.weighted = weighted
        self.recency = recency
        self.half_life = half_life
        self.use_cg = use_cg
        self.threads = threads
        self.seed = seed

    def validate_params(self) -> None:
        name = type(self).__name__
        check_int(name, "factors", self.factors, low=1)
        check_float(name, "regularization", self.regularization, low=0.0)
        check_float(name, "alpha", self.alpha, low=0.0)
        check_int(name, "epochs", self.epochs, low=1)
        check_param(name, "weighted", self.weighted, isinstance(self.weighted, bool), "a bool")
        check_param(name, "recency", self.recency, self.recency in RECENCY_MODES,
                    f"one of {list(RECENCY_MODES)}")
        check_float(name, "half_life", self.half_life, low=0.0)
        check_param(name, "use_cg", self.use_cg, isinstance(self.use_cg, bool), "a bool")
        check_threads(name, self.threads)
        check_int(name, "seed", self.seed, low=0)

    def _confidence(self, weights: sp.csr_matrix) -> sp.csr_matrix:
        conf = weights.astype(np.float32, copy=True)
        conf.data = 1.0 + float(self.alpha) * conf.data
        return conf

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:

        self.user_items_ = self._history_weights(train)
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors, regularization=float(self.regularization), alpha=1.0, dtype=np.float32,
                use_cg=self.use_cg, iterations=self.epochs, num_threads=resolve_threads(self.threads),
                random_state=self.seed)
            # alpha is applied here (c = 1 + alpha * w); implicit's own alpha would give c = alpha * w
            model.fit(self._confidence(self.user_items_), show_progress=False)
        self.model_ = model
        self.user_factors_ = np.ascontiguousarray(model.user_factors)
        self.item_factors_ = np.ascontiguousarray(model.item_factors)
        model.user_factors, model.item_factors = self.user_factors_, self.item_factors_
        if self.recency != "none" and self.half_life > 0:
            # user_items_ then holds the decayed weights the user vectors (and explain) are based on
            self.user_items_ = history_matrix(train, self.weighted, self.recency, self.half_life)
            self.user_factors_[:] = self._fold_in(self.user_items_)

    def _fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        # the same weighted least-squares solve that ALS alternates over (implicit's recalculate_user)
        self.model_.item_factors = self.item_factors_
        if rows.shape[0] <= REQUEST_ROWS:
            # a request's fold-in (a live session): ~25 us of work for one user on one thread, but an OpenMP
            # team of threads, or threadpoolctl's scan of the loaded libraries, costs milliseconds to tens of
            # them whenever the cores are busy - the whole request's latency
            vecs = self._request_solver().recalculate_user(np.arange(rows.shape[0]), self._confidence(rows))
        else:
            with threadpool_limits(1, "blas"):
                vecs = self.model_.recalculate_user(np.arange(rows.shape[0]), self._confidence(rows))
        return np.asarray(vecs, dtype=np.float32).reshape(rows.shape[0], -1)

    def _request_solver(self) -> AlternatingLeastSquares:
        """implicit's model over the same item factors (and their cached Gram matrix), on one thread."""
        solver: AlternatingLeastSquares | None = self.__dict__.get("_solver")
        if solver is None or solver.item_factors is not self.item_factors_:
            solver = copy.copy(self.model_)
            solver.num_threads = 1
            solver.item_factors = self.item_factors_
            solver._YtY = None  # the Gram matrix of these factors: computed on first use, then kept
            self.__dict__["_solver"] = solver
        return solver

    def _state(self) -> dict[str, Any]:
        return {k: v for k, v in super()._state().items() if k != "_solver"}

    def item_vectors(self) -> np.ndarray | None:
        self._check_fitted()
        return self.item_factors_

    def explain(self, user: int, item: int) -> dict[str, object]:
        """Hu et al.'s exact decomposition: score = sum over history items i of s_ij * c_ui; the three
        items with the largest share."""
        self._check_fitted()
        self.model_.user_factors, self.model_.item_factors = self.user_factors_, self.item_factors_
        conf = self._confidence(self.user_items_[int(user)])
        with threadpool_limits(1, "blas"):
            total, contrib, _ = self.model_.explain(0, conf, int(item), N=3)
        return {"reason": "similar_to_history", "score": float(total),
                "because_of": [(int(i), float(s)) for i, s in contrib]}


@register("bpr")
class BPR(FactorModel):
    """Bayesian personalised ranking (``implicit.cpu.bpr``), sampled pairwise SGD with an item bias.

    With ``recency`` the item factors are learned from the whole history and each user's vector is then
    refitted (BPR loss, item factors fixed, see :meth:`_fold_in`) to the recency-decayed history.

    ``epochs`` are passes of SGD over the interactions (implicit's ``iterations``). ``threads`` is 1 by
    default, which is exactly reproducible; with more (0 = every core this process may use) the SGD updates
    race (Hogwild), so a fit is faster but its result depends on the timing of the threads (on ml-100k,
    NDCG@10 0.091-0.096 over runs with 2 threads, 0.0953 every time with 1).
    """

    def __init__(self, factors: int = 128, learning_rate: float = 0.1, regularization: float = 0.03,
                 epochs: int = 200, weighted: bool = False, recency: str = "position",
                 half_life: float = 1.0, threads: int = 1, seed: int = 0) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.epochs = epochs
        self.weighted = weighted
        self.recency = recency
        self.half_life = half_life
        self.threads = threads
        self.seed = seed

    def validate_params(self) -> None:
        name = type(self).__name__
        check_int(name, "factors", self.factors, low=1)
        check_float(name, "learning_rate", self.learning_rate, low=0.0, low_open=True)
        check_float(name, "regularization", self.regularization, low=0.0)
        check_int(name, "epochs", self.epochs, low=1)
        check_param(name, "weighted", self.weighted, isinstance(self.weighted, bool), "a bool")
        check_param(name, "recency", self.recency, self.recency in RECENCY_MODES,
                    f"one of {list(RECENCY_MODES)}")
        check_float(name, "half_life", self.half_life, low=0.0)
        check_threads(name, self.threads)
        check_int(name, "seed", self.seed, low=0)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:

        self.user_items_ = self._history_weights(train)
        with threadpool_limits(1, "blas"):
            model = BayesianPersonalizedRanking(
                factors=self.factors, learning_rate=float(self.learning_rate),
                regularization=float(self.regularization), dtype=np.float32, iterations=self.epochs,
                num_threads=resolve_threads(self.threads), random_state=self.seed)
            model.fit(self.user_items_, show_progress=False)
        # implicit appends a bias factor: item_factors[:, -1] is the item bias, user_factors[:, -1] == 1
        self.user_factors_ = np.ascontiguousarray(model.user_factors)
        self.item_factors_ = np.ascontiguousarray(model.item_factors)
        if self.recency != "none" and self.half_life > 0:
            # as in ALS: items learned from everything, user vectors refitted to the decayed histories
            self.user_items_ = history_matrix(train, self.weighted, self.recency, self.half_life)
            self.user_factors_ = self._fold_in(self.user_items_)

    def _fold_in(self, rows: sp.csr_matrix, n_negatives: int = 16, steps: int = 100, lr: float = 0.05
                 ) -> np.ndarray:
        """User vectors for history rows with the item factors fixed: minimise, per user,
        sum_i w_i / W * mean_j -log sigmoid(x . (y_i - y_j)) + reg/2 |x|^2 by Adam, all users at once.

        Positives i are the row's items weighted by their (possibly decayed) weights, negatives j are
        ``n_negatives`` items drawn uniformly per user and step (seeded). The bias coordinate stays 1.
        Starts from the weighted mean of the history's item factors.
        """
        rng = np.random.default_rng(self.seed)
        rows = sp.csr_matrix(rows, dtype=np.float32)
        rows.sort_indices()
        n, nnz = rows.shape[0], rows.nnz
        counts = np.diff(rows.indptr)
        owner = np.repeat(np.arange(n), counts)
        totals = np.asarray(rows.sum(axis=1), dtype=np.float32).ravel()
        w = rows.data / np.maximum(totals, 1e-12)[owner]
        yf = np.ascontiguousarray(self.item_factors_[:, :-1], dtype=np.float32)
        yb = self.item_factors_[:, -1].astype(np.float32)
        ypos, bpos = yf[rows.indices], yb[rows.indices]
        x = np.asarray(sp.csr_matrix((w, rows.indices, rows.indptr), shape=rows.shape) @ yf, dtype=np.float32)
        m1, m2 = np.zeros_like(x), np.zeros_like(x)
        nonempty = counts > 0
        starts = rows.indptr[:-1][nonempty]
        reg = float(self.regularization)
        for t in range(1, steps + 1 if nnz else 1):
            neg = rng.integers(0, self.n_items_, size=(n, n_negatives))
            yneg = yf[neg]  # [n, K, d]
            s_neg = np.einsum("ukd,ud->uk", yneg, x) + yb[neg]
            s_pos = np.einsum("pd,pd->p", ypos, x[owner]) + bpos
            # d loss / d z for every (positive, negative) pair, z = s_pos - s_neg
            c = (-w[:, None] / n_negatives) / (1.0 + np.exp(s_pos[:, None] - s_neg[owner]))
            grad = np.asarray(sp.csr_matrix((c.sum(axis=1), np.arange(nnz), rows.indptr), shape=(n, nnz)) @ ypos)
            per_neg = np.zeros((n, n_negatives), dtype=np.float32)
            per_neg[nonempty] = np.add.reduceat(c, starts, axis=0)
            grad = grad - np.einsum("uk,ukd->ud", per_neg, yneg) + reg * x
            m1 = 0.9 * m1 + 0.1 * grad
            m2 = 0.999 * m2 + 0.001 * grad * grad
            x -= lr * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
        return np.hstack([x, np.ones((n, 1), dtype=np.float32)]).astype(np.float32)

    def item_vectors(self) -> np.ndarray | None:
        """Item factors without the bias column."""
        self._check_fitted()
        return self.item_factors_[:, :-1]

    def explain(self, user: int, item: int) -> dict[str, object]:
        """History items i with the largest factor similarity y_i . y_j to the recommended item j."""
        self._check_fitted()
        hist = self.user_items_[int(user)]
        v = self.item_factors_[:, :-1]
        sims = v[hist.indices] @ v[int(item)]
        order = np.argsort(-sims, kind="stable")[:3]
        because = [(int(hist.indices[o]), float(sims[o])) for o in order if sims[o] > 0]
        return {"reason": "similar_to_history", "because_of": because}


@register("mf")
class BiasedMF(Recommender):
    """Biased matrix factorisation for explicit ratings: r_ui = mu + b_u + b_i + z_u . z_i.

    Fitted to the ``value`` column by ALS with regularisation ``regularization * n`` (n = the number of
    ratings of that user or item, "ALS-WR"), ``epochs`` alternations (every user, then every item, solved
    once each). :meth:`predict` returns ratings clipped to the training range;
    :meth:`rating_metrics` gives RMSE / MAE; ``valid_metrics_`` holds them for the validation split after
    ``fit(train, valid)``. Ranking uses the predicted ratings, which is weak at top-K by design.
    """

    def __init__(self, factors: int = 4, regularization: float = 0.1, epochs: int = 15,
                 init_std: float = 0.1, seed: int = 0) -> None:
        self.factors = factors
        self.regularization = regularization
        self.epochs = epochs
        self.init_std = init_std
        self.seed = seed

    def validate_params(self) -> None:
        name = type(self).__name__
        check_int(name, "factors", self.factors, low=1)
        check_float(name, "regularization", self.regularization, low=0.0, low_open=True)
        check_int(name, "epochs", self.epochs, low=1)
        check_float(name, "init_std", self.init_std, low=0.0)
        check_int(name, "seed", self.seed, low=0)

    @staticmethod
    def _ratings(data: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(user, item, rating) with the latest rating of each pair."""
        assert data.value is not None
        has = ~np.isnan(data.value)
        u, i, r = data.user[has], data.item[has], data.value[has]
        # Interactions are in time order: keep the last occurrence of each pair
        key = u.astype(np.int64) * data.n_items + i
        _, last = np.unique(key[::-1], return_index=True)
        sel = np.sort(len(key) - 1 - last)
        return u[sel].astype(np.int64), i[sel].astype(np.int64), r[sel].astype(np.float64)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        u, i, r = self._ratings(train)
        if len(r) == 0:
            raise ShopmindError("BiasedMF needs explicit ratings in the 'value' column and this data has "
                                "none; use 'als' or 'bpr' for implicit feedback")
        self.global_mean_ = float(r.mean())
        self.rating_range_ = (float(r.min()), float(r.max()))
        rng = np.random.default_rng(self.seed)
        f = self.factors
        p = rng.normal(0.0, self.init_std, (self.n_users_, f))
        q = rng.normal(0.0, self.init_std, (self.n_items_, f))
        bu = np.zeros(self.n_users_)
        bi = np.zeros(self.n_items_)
        by_user = sp.csr_matrix((r - self.global_mean_, (u, i)), shape=(self.n_users_, self.n_items_))
        by_item = by_user.T.tocsr()
        vu = None if valid is None else self._ratings(valid)
        self.history_: list[dict[str, float]] = []
        for epoch in range(1, self.epochs + 1):
            p, bu = self._solve_side(by_user, q, bi, float(self.regularization))
            q, bi = self._solve_side(by_item, p, bu, float(self.regularization))
            self.user_factors_, self.item_factors_, self.user_bias_, self.item_bias_ = p, q, bu, bi
            if vu is not None and len(vu[2]):
                m = self._metrics(*vu)
                self.history_.append({"epoch": epoch, **m})
                log.info("mf epoch %d: valid rmse %.4f mae %.4f", epoch, m["rmse"], m["mae"])
        self.valid_metrics_ = self.history_[-1] if self.history_ else {}

    @staticmethod
    def _solve_side(m: sp.csr_matrix, other: np.ndarray, other_bias: np.ndarray, reg: float
                    ) -> tuple[np.ndarray, np.ndarray]:
        """For each row a of ``m`` (ratings minus mu), ridge-solve [z_a, b_a] on features [z_b, 1] with the
        target r_ab - mu - b_b and penalty reg * n_a."""
        n, f = m.shape[0], other.shape[1]
        feats = np.hstack([other, np.ones((other.shape[0], 1))])
        z = np.zeros((n, f))
        b = np.zeros(n)
        eye = np.eye(f + 1)
        for a in range(n):
            lo, hi = m.indptr[a], m.indptr[a + 1]
            if hi == lo:
                continue
            cols = m.indices[lo:hi]
            x = feats[cols]
            y = m.data[lo:hi] - other_bias[cols]
            sol = np.linalg.solve(x.T @ x + reg * (hi - lo) * eye, x.T @ y)
            z[a], b[a] = sol[:f], sol[f]
        return z, b

    def predict(self, user: int | np.ndarray, item: int | np.ndarray) -> float | np.ndarray:
        """Predicted rating(s) of dense ``user``/``item`` indices (arrays broadcast), clipped to the
        range of the training ratings."""
        self._check_fitted()
        uu, ii = np.asarray(user, dtype=np.int64), np.asarray(item, dtype=np.int64)
        pred = (self.global_mean_ + self.user_bias_[uu] + self.item_bias_[ii]
                + np.sum(self.user_factors_[uu] * self.item_factors_[ii], axis=-1))
        pred = np.clip(pred, *self.rating_range_)
        return float(pred) if np.ndim(pred) == 0 else pred

    def _metrics(self, u: np.ndarray, i: np.ndarray, r: np.ndarray) -> dict[str, float]:
        err = np.asarray(self.predict(u, i)) - r
        return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err))),
                "n": float(len(r))}

    def rating_metrics(self, data: Interactions) -> dict[str, float]:
        """RMSE and MAE of the predicted ratings over the rated rows of ``data``."""
        self._check_fitted()
        u, i, r = self._ratings(data)
        if len(r) == 0:
            raise ShopmindError("rating_metrics: these interactions carry no ratings in 'value'")
        return self._metrics(u, i, r)

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        uu = np.asarray(users)
        s = (self.user_factors_[uu] @ self.item_factors_.T + self.user_bias_[uu, None]
             + self.item_bias_[None, :] + self.global_mean_)
        return cast("np.ndarray", s.astype(np.float32))

    def item_vectors(self) -> np.ndarray | None:
        self._check_fitted()
        return self.item_factors_.astype(np.float32)

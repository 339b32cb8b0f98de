"""Click-through / conversion rankers: logistic regression, a factorization machine and boosted trees.

Every ranker takes the rows of :class:`~shopmind.ranking.dataset.CTRDataset` (dense features and sparse
id fields) and returns calibrated probabilities:

- ``lr``: scikit-learn logistic regression on the standardised dense features (calibrated by nature);
- ``fm``: a factorization machine (Rendle 2010) in torch: a linear part over the dense features and the id
  fields, plus pairwise interactions ``<v_f, v_g>`` of the field embeddings (user x category, user x
  brand, item x page, ...), trained with binary cross-entropy and Adam;
- ``gbdt``: scikit-learn ``HistGradientBoostingClassifier`` on the dense features and the context codes.

``fm`` and ``gbdt`` are then calibrated by Platt scaling (a logistic regression on their logit) fitted on the
validation rows given to ``fit``.

>>> model = create_ranker("fm", epochs=3).fit(train, valid)     # doctest: +SKIP
>>> model.predict_proba(test.dense, test.fields)[:3]            # doctest: +SKIP
"""

from __future__ import annotations

import copy
import logging
import pickle
import time
from pathlib import Path
from typing import Any, cast

import numpy as np

from shopmind.errors import ParameterError, ShopmindError, check_float, check_int
from shopmind.ranking.features import DENSE, FIELDS, MAX_POSITION

log = logging.getLogger(__name__)
ARTIFACT_VERSION = 1


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return cast("np.ndarray", np.log(p / (1 - p)))


class Ranker:
    """Base class: hyperparameters as keyword arguments, learned state with a trailing underscore."""

    name = "ranker"
    calibrate = True
    #: Whether the model reads the user / item / category / brand id fields (serving then translates the
    #: live catalog's codes into the training codes; models that do not read them skip that work).
    uses_ids = True

    def fit(self, train: Any, valid: Any | None = None) -> Ranker:
        """Learn from ``train`` (a CTRDataset); ``valid`` calibrates the probabilities."""
        self.validate_params()
        if len(train) == 0 or train.label.min() == train.label.max():
            raise ShopmindError(f"{self.name} ranker needs both positive and negative rows to learn from "
                                f"(got {len(train)} rows, {int(train.label.sum())} positive)")
        t0 = time.perf_counter()
        self._fit(train, valid)
        self.platt_: tuple[float, float] | None = None
        if self.calibrate and valid is not None and len(valid) and 0 < valid.label.mean() < 1:
            # lazy: scikit-learn / torch load only with the ranker that needs them (serving starts without)
            from sklearn.linear_model import LogisticRegression

            z = _logit(self._raw(valid.dense, valid.fields))[:, None]
            cal = LogisticRegression(C=1e4).fit(z, valid.label)
            self.platt_ = (float(cal.coef_[0, 0]), float(cal.intercept_[0]))
        # raw labels of the training codes, to translate a serving catalog's codes (see RankerBundle)
        self.user_ids_ = train.users
        self.item_ids_ = train.catalog.ids
        self.category_paths_ = list(train.catalog.category_paths)
        self.brand_labels_ = [b.lower() for b in train.catalog.brand_labels]
        self.train_seconds_ = time.perf_counter() - t0
        self.target_ = train.target
        return self

    def predict_proba(self, dense: np.ndarray, fields: np.ndarray) -> np.ndarray:
        """Calibrated probability of the positive outcome for each row."""
        if not hasattr(self, "train_seconds_"):
            raise ShopmindError(f"{self.name} ranker is not fitted yet: call fit() or load() first")
        p = self._raw(dense, fields)
        platt = getattr(self, "platt_", None)
        if platt is not None:
            a, b = platt
            p = 1.0 / (1.0 + np.exp(-(a * _logit(p) + b)))
        return p.astype(np.float64)

    # subclass hooks
    def validate_params(self) -> None: ...

    def _fit(self, train: Any, valid: Any | None) -> None:
        raise NotImplementedError

    def _raw(self, dense: np.ndarray, fields: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # persistence (a pickle of our own artifact; load only files you wrote)
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"version": ARTIFACT_VERSION, "kind": self.name, "dense": list(DENSE), "fields": list(FIELDS),
                 "model": self}
        with open(path, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    @staticmethod
    def load(path: str | Path) -> Ranker:
        path = Path(path)
        if not path.is_file():
            raise ShopmindError(f"no ranker artifact at {path}")
        with open(path, "rb") as fh:
            state = pickle.load(fh)
        if not isinstance(state, dict) or state.get("version") != ARTIFACT_VERSION:
            raise ShopmindError(f"{path} is not a shopmind ranker artifact (version {ARTIFACT_VERSION})")
        if state["dense"] != list(DENSE) or state["fields"] != list(FIELDS):
            raise ShopmindError(f"{path} was trained on other features; retrain it with this version")
        model: Ranker = state["model"]
        return model

    def get_params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}


class LogisticRanker(Ranker):
    """Logistic regression on standardised dense features (``C``: inverse L2 strength)."""

    name = "lr"
    calibrate = False
    uses_ids = False

    def __init__(self, C: float = 1.0, max_iter: int = 500) -> None:
        self.C = C
        self.max_iter = max_iter

    def validate_params(self) -> None:
        check_float("LogisticRanker", "C", self.C, low=0.0, low_open=True)
        check_int("LogisticRanker", "max_iter", self.max_iter, low=10)

    def _fit(self, train: Any, valid: Any | None) -> None:
        # lazy: scikit-learn / torch load only with the ranker that needs them (serving starts without)
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=self.max_iter))
        self.model_.fit(train.dense, train.label)
        # the scaler folded into the weights: serving scores 200 candidates with one matrix-vector product
        # instead of a trip through the scikit-learn pipeline (about 1 ms of input checks per request)
        scaler, lr = self.model_[0], self.model_[-1]
        coef = lr.coef_[0] / scaler.scale_
        self.weights_ = coef.astype(np.float64)
        self.bias_ = float(lr.intercept_[0] - coef @ scaler.mean_)

    def _raw(self, dense: np.ndarray, fields: np.ndarray) -> np.ndarray:
        if not hasattr(self, "weights_"):  # artifacts saved before the folded weights existed
            return cast("np.ndarray", self.model_.predict_proba(dense)[:, 1])
        z = np.asarray(dense, dtype=np.float64) @ self.weights_ + self.bias_
        return cast("np.ndarray", 1.0 / (1.0 + np.exp(-z)))


class GBDTRanker(Ranker):
    """Histogram gradient-boosted trees over dense features plus page/device/position codes."""

    name = "gbdt"
    uses_ids = False  # dense features plus the page / device / position codes only

    def __init__(self, max_iter: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 31,
                 seed: int = 0) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.seed = seed

    def validate_params(self) -> None:
        check_int("GBDTRanker", "max_iter", self.max_iter, low=1)
        check_float("GBDTRanker", "learning_rate", self.learning_rate, low=0.0, low_open=True, high=1.0)
        check_int("GBDTRanker", "max_leaf_nodes", self.max_leaf_nodes, low=2)

    @staticmethod
    def _x(dense: np.ndarray, fields: np.ndarray) -> np.ndarray:
        return np.hstack([dense, fields[:, 4:7].astype(np.float32)])

    def _fit(self, train: Any, valid: Any | None) -> None:
        # lazy: scikit-learn / torch load only with the ranker that needs them (serving starts without)
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model_ = HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=self.learning_rate,
                                                     max_leaf_nodes=self.max_leaf_nodes, random_state=self.seed,
                                                     early_stopping=True, validation_fraction=0.1)
        self.model_.fit(self._x(train.dense, train.fields), train.label)
        self.forest_ = _FlatForest.of(self.model_)

    def _raw(self, dense: np.ndarray, fields: np.ndarray) -> np.ndarray:
        x = self._x(dense, fields)
        if not hasattr(self, "forest_"):  # artifacts saved before the flat forest existed
            self.forest_ = _FlatForest.of(self.model_)
        if self.forest_ is None:
            return cast("np.ndarray", self.model_.predict_proba(x)[:, 1])
        return cast("np.ndarray", 1.0 / (1.0 + np.exp(-self.forest_.raw(x))))


class _FlatForest:
    """The trees of a fitted binary ``HistGradientBoostingClassifier`` as flat arrays, walked for all rows
    and all trees at once, one array step per tree level.

    Serving scores a few hundred candidates per request; scikit-learn's predictor visits its trees one by
    one (input checks plus a call per tree): 1.16 ms for 200 rows x 43 trees here, against 0.72 ms. The
    rule is scikit-learn's for numeric splits: a missing value follows ``missing_go_to_left``, otherwise
    ``x <= threshold`` goes left; the raw score is the baseline plus the leaf values. Built from the fitted
    model's trees (``_predictors``, ``_baseline_prediction``); :meth:`of` returns None when they are not
    there or use categorical splits, and the ranker then predicts through scikit-learn.
    """

    def __init__(self, nodes: list[np.ndarray], baseline: float) -> None:
        sizes = np.array([len(n) for n in nodes], dtype=np.int64)
        roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        flat = np.concatenate(nodes)
        offset = np.repeat(roots, sizes)
        self.roots = roots
        self.feature = flat["feature_idx"].astype(np.int64)
        self.threshold = flat["num_threshold"].astype(np.float64)
        self.missing_left = flat["missing_go_to_left"].astype(bool)
        self.left = flat["left"].astype(np.int64) + offset
        self.right = flat["right"].astype(np.int64) + offset
        self.leaf = flat["is_leaf"].astype(bool)
        self.value = flat["value"].astype(np.float64)
        self.depth = int(flat["depth"].max()) if len(flat) else 0
        self.baseline = baseline

    @classmethod
    def of(cls, model: Any) -> _FlatForest | None:
        try:
            trees = model._predictors
            baseline = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()
            if len(baseline) != 1 or any(len(t) != 1 for t in trees):
                return None  # not a binary classifier
            nodes = [t[0].nodes for t in trees]
            if not nodes or any(n["is_categorical"].any() for n in nodes):
                return None
            return cls(nodes, float(baseline[0]))
        except (AttributeError, KeyError, TypeError, ValueError):  # another scikit-learn layout
            return None

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) of the rows of ``x``: every (row, tree) pair steps down one level per
        pass, and only the pairs not yet at a leaf take part in the next one."""
        x = np.asarray(x, dtype=np.float64)
        n, width = x.shape
        trees = len(self.roots)
        node = np.tile(self.roots, n)
        row_start = np.repeat(np.arange(n, dtype=np.int64) * width, trees)
        flat_x = x.ravel()
        active = np.flatnonzero(~self.leaf[node])
        while active.size:
            at = node[active]
            v = flat_x[row_start[active] + self.feature[at]]
            left = np.where(np.isnan(v), self.missing_left[at], v <= self.threshold[at])
            at = np.where(left, self.left[at], self.right[at])
            node[active] = at
            active = active[~self.leaf[at]]
        return cast("np.ndarray", self.baseline + self.value[node].reshape(n, trees).sum(axis=1))


class FMRanker(Ranker):
    """Factorization machine over the id fields (``k``-dimensional factors) plus a linear part over the
    standardised dense features, which also interact with the fields as value-scaled factors; unknown ids
    share one embedding per field. With validation rows, training stops after ``patience`` epochs without a
    better validation log-loss and keeps the best epoch."""

    name = "fm"

    def __init__(self, k: int = 8, epochs: int = 8, lr: float = 0.005, batch_size: int = 512,
                 weight_decay: float = 1e-6, patience: int = 1, seed: int = 0) -> None:
        self.k = k
        self.patience = patience
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.seed = seed

    def validate_params(self) -> None:
        check_int("FMRanker", "k", self.k, low=1)
        check_int("FMRanker", "epochs", self.epochs, low=1)
        check_float("FMRanker", "lr", self.lr, low=0.0, low_open=True)
        check_int("FMRanker", "batch_size", self.batch_size, low=1)
        check_float("FMRanker", "weight_decay", self.weight_decay, low=0.0)

    def _codes(self, fields: np.ndarray) -> np.ndarray:
        """Raw field codes -> rows of one shared embedding table (per-field offsets, 0 = unknown)."""
        out = np.empty(fields.shape, dtype=np.int64)
        for f in range(fields.shape[1]):
            raw = fields[:, f]
            ok = (raw >= 0) & (raw < self.sizes_[f] - 1)
            out[:, f] = self.offsets_[f] + np.where(ok, raw + 1, 0)
        return out

    def _fit(self, train: Any, valid: Any | None) -> None:
        import torch  # lazy: scikit-learn / torch load only with the ranker that needs them (serving starts without)
        from torch import nn

        torch.manual_seed(self.seed)
        f = train.fields
        self.sizes_ = [int(max(f[:, i].max(), 0)) + 2 for i in range(f.shape[1])]
        self.sizes_[FIELDS.index("position")] = MAX_POSITION + 2
        self.offsets_ = np.concatenate([[0], np.cumsum(self.sizes_)[:-1]]).astype(np.int64)
        self.mean_ = train.dense.mean(0)
        self.std_ = train.dense.std(0) + 1e-6
        n_dense, total = train.dense.shape[1], int(sum(self.sizes_))

        net = _FMNet(n_dense, total, self.k)
        nn.init.zeros_(net.w.weight)
        nn.init.normal_(net.v.weight, std=0.01)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        x_all = torch.from_numpy(((train.dense - self.mean_) / self.std_).astype(np.float32))
        i_all = torch.from_numpy(self._codes(f))
        y_all = torch.from_numpy(train.label.astype(np.float32))
        rng = np.random.default_rng(self.seed)
        loss_fn = nn.BCEWithLogitsLoss()
        best, best_state, self.best_epoch_ = np.inf, None, self.epochs
        for epoch in range(self.epochs):
            perm = torch.from_numpy(rng.permutation(len(y_all)))
            total_loss = 0.0
            for s in range(0, len(perm), self.batch_size):
                b = perm[s:s + self.batch_size]
                loss = loss_fn(net(x_all[b], i_all[b]), y_all[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total_loss += float(loss.detach()) * len(b)
            self.net_ = net.eval()
            msg = f"fm epoch {epoch + 1}/{self.epochs} train logloss {total_loss / len(y_all):.4f}"
            if valid is not None and len(valid):
                # lazy: scikit-learn / torch load only with the ranker that needs them (serving starts without)
                from sklearn.metrics import log_loss

                v = log_loss(valid.label, np.clip(self._raw(valid.dense, valid.fields), 1e-6, 1 - 1e-6),
                             labels=[0, 1])
                msg += f" valid {v:.4f}"
                if v < best - 1e-5:
                    best, best_state, self.best_epoch_ = v, copy.deepcopy(net.state_dict()), epoch + 1
                elif self.patience and epoch + 1 - self.best_epoch_ >= self.patience:
                    log.info(msg + " (early stop)")
                    break
            net.train()
            log.info(msg)
        if best_state is not None:
            net.load_state_dict(best_state)
        self.net_ = net.eval()

    def _raw(self, dense: np.ndarray, fields: np.ndarray) -> np.ndarray:
        import torch  # lazy: scikit-learn / torch load only with the ranker that needs them (serving starts without)

        x = torch.from_numpy(((dense - self.mean_) / self.std_).astype(np.float32))
        idx = torch.from_numpy(self._codes(fields))
        with torch.no_grad():
            return torch.sigmoid(self.net_(x, idx)).numpy().astype(np.float64)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        if "net_" in state:  # a torch module pickles, but keep the artifact free of code paths
            state["net_"] = {k: v.clone() for k, v in state["net_"].state_dict().items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        net_state = state.get("net_")
        self.__dict__.update(state)
        if isinstance(net_state, dict):
            total = int(sum(self.sizes_))
            n_dense = net_state["lin_dense.weight"].shape[1]
            net = _FMNet(n_dense, total, self.k)
            net.load_state_dict(net_state)
            self.net_ = net.eval()


def _fm_net_class() -> Any:
    import torch  # lazy: scikit-learn / torch load only with the ranker that needs them (serving starts without)
    from torch import nn

    class FMNet(nn.Module):
        def __init__(self, n_dense: int, total: int, k: int) -> None:
            super().__init__()
            self.lin_dense = nn.Linear(n_dense, 1)
            self.w = nn.Embedding(total, 1)
            self.v = nn.Embedding(total, k)
            self.u = nn.Parameter(torch.randn(n_dense, k) * 0.01)

        def forward(self, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            # dense features join the interactions as value-scaled factors x_j * u_j
            v = torch.cat([self.v(idx), x.unsqueeze(2) * self.u.unsqueeze(0)], dim=1)
            pair = 0.5 * (v.sum(1).pow(2) - v.pow(2).sum(1)).sum(1)
            return cast("torch.Tensor", self.lin_dense(x).squeeze(1) + self.w(idx).sum((1, 2)) + pair)

    return FMNet


def _FMNet(n_dense: int, total: int, k: int) -> Any:
    return _fm_net_class()(n_dense, total, k)


RANKERS: dict[str, type[Ranker]] = {"lr": LogisticRanker, "fm": FMRanker, "gbdt": GBDTRanker}


def create_ranker(name: str, **params: Any) -> Ranker:
    """A ranker by name (``lr``, ``fm``, ``gbdt``) with keyword hyperparameters."""
    if name not in RANKERS:
        raise ParameterError("ranker", "name", name, f"one of {sorted(RANKERS)}")
    try:
        return RANKERS[name](**params)
    except TypeError as exc:
        raise ParameterError(name, "params", params, f"keyword arguments of {RANKERS[name].__name__}: {exc}") \
            from None

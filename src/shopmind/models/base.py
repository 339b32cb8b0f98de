"""The one contract every recommender honours (in the spirit of implicit and scikit-learn).

- hyperparameters are keyword arguments of ``__init__`` stored verbatim (no logic there);
- ``fit(train, valid=None)`` validates them, learns, and returns ``self``; learned state ends in ``_``;
- ``score(users)`` gives dense scores over ALL items for a batch of dense user indices, based on the
  history the model was fitted on (this is what full-ranking evaluation uses);
- ``recommend(users, N, filter_seen=True, filter_items=None, items=None) -> (ids, scores)`` returns dense
  item indices; an array of users means batch mode (2-d results);
- ``similar_items(item, N)`` and ``explain(user, item)`` where the model can;
- ``save(path)`` / ``Recommender.load(path)`` write and read a versioned artifact that carries the id
  mappings and training metadata.

Models only see dense indices; :class:`~shopmind.data.ids.IdMapping` (kept on the model as ``users_`` and
``items_``) translates raw ids at the edges.

Hyperparameters that several models share have one name and one meaning everywhere:

- ``seed``: every random choice of a fit (initialisation, data order, sampling, held-out users) derives from
  it; the same seed on the same machine and thread count gives the same model;
- ``epochs``: passes over the training data (for ``als`` and ``mf`` an epoch is one alternation: every
  user's vector, then every item's, solved once; implicit calls these ``iterations``);
- ``threads``: how many CPU threads the model computes on; ``0`` means every core this process may use
  (its CPU affinity), ``n >= 1`` exactly ``n`` (:mod:`shopmind.training.threads`);
- ``patience``, ``auto_valid``, ``eval_users``, ``time_budget``: early stopping and the time budget of the
  torch models, as :mod:`shopmind.training.loop` applies them.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import pickle
import platform
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from shopmind import __version__
from shopmind.data.ids import IdMapping
from shopmind.data.interactions import Interactions
from shopmind.errors import ArtifactError, NotFittedError, ParameterError, ShopmindError
from shopmind.models.registry import available
from shopmind.training.scores import cached_unit_rows, mask_seen, top_k

ARTIFACT_FORMAT = 1

logger = logging.getLogger(__name__)

#: Hyperparameters renamed since artifacts were written: old name -> new name (the value carries over).
RENAMED_PARAMS = {"num_threads": "threads", "random_state": "seed", "iterations": "epochs"}
#: Values a hyperparameter no longer takes, and the value that means the same now.
RETIRED_VALUES: dict[tuple[str, Any], Any] = {("threads", None): 0, ("amp", "auto"): False}
#: Classes pickled in artifacts that have moved since: (old module, name) -> the module they live in now.
MOVED_CLASSES = {
    ("shopmind.models._seq", "ItemTable"): "shopmind.models.sequential.items",
    ("shopmind.models._seq", "FastDropout"): "shopmind.models.sequential.networks",
    ("shopmind.models.sequential", "ItemTable"): "shopmind.models.sequential.items",
    ("shopmind.models.sequential", "FastDropout"): "shopmind.models.sequential.networks",
    ("shopmind.models.fusion", "AttributeVocabulary"): "shopmind.models.fusion.attributes",
    ("shopmind.models.fusion", "FusionNet"): "shopmind.models.fusion.network",
}


class ArtifactUnpickler(pickle.Unpickler):
    """Reads ``state.pkl``, finding classes that moved module since the artifact was written
    (:data:`MOVED_CLASSES`)."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(MOVED_CLASSES.get((module, name), module), name)


class Recommender(ABC):
    """Base class of all models. Subclasses implement ``_fit`` and ``score`` (and optionally
    ``item_vectors`` for ``similar_items``, ``explain``)."""

    name: ClassVar[str] = "base"
    #: True when the model conditions on the order of a user's history (sequence models).
    sequential: ClassVar[bool] = False

    # ------------------------------------------------------------------ sklearn-style params
    @classmethod
    def param_names(cls) -> list[str]:
        """The hyperparameters: the keyword arguments of ``__init__``."""
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def get_params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.param_names()}

    def set_params(self, **params: Any) -> Self:
        valid = set(self.param_names())
        for k, v in params.items():
            if k not in valid:
                raise ParameterError(type(self).__name__, k, v, f"one of the parameters {sorted(valid)}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def validate_params(self) -> None:
        """Check hyperparameters; raise :class:`ParameterError`. Called first thing in ``fit``."""

    # ------------------------------------------------------------------ fitting
    def fit(self, train: Interactions, valid: Interactions | None = None) -> Self:
        """Learn from ``train``. ``valid`` (held-out next items) may drive early stopping."""
        self.validate_params()
        if len(train) == 0:
            raise ShopmindError(f"{type(self).__name__}.fit got no interactions to learn from")
        self.users_ = train.users
        self.items_ = train.items
        self.n_users_ = train.n_users
        self.n_items_ = train.n_items
        self.seen_ = train.to_csr(weighted=False)
        t0 = time.perf_counter()
        self._fit(train, valid)
        self.train_seconds_ = time.perf_counter() - t0
        self.fit_info_ = {
            "data": train.name, "users": train.n_users, "items": train.n_items,
            "interactions": len(train), "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "train_seconds": round(self.train_seconds_, 3),
        }
        return self

    @abstractmethod
    def _fit(self, train: Interactions, valid: Interactions | None) -> None: ...

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_items_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() or load() first")

    # ------------------------------------------------------------------ scoring
    @abstractmethod
    def score(self, users: np.ndarray) -> np.ndarray:
        """Dense float32 scores ``[len(users), n_items]`` for dense user indices (higher is better)."""

    def recommend(
        self,
        users: int | np.ndarray,
        N: int = 10,
        filter_seen: bool = True,
        filter_items: np.ndarray | None = None,
        items: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``N`` dense item ids and scores for one user (1-d result) or an array of users (2-d).

        ``filter_items`` are never returned; ``items`` restricts ranking to that subset. When fewer than
        ``N`` items remain, ids are padded with -1 and scores with -inf.
        """
        self._check_fitted()
        if not isinstance(N, int | np.integer) or N < 1:
            raise ParameterError("recommend", "N", N, "an int >= 1")
        single = np.ndim(users) == 0
        u = np.atleast_1d(np.asarray(users, dtype=np.int64))
        if len(u) and (u.min() < 0 or u.max() >= self.n_users_):
            bad = u[(u < 0) | (u >= self.n_users_)][0]
            raise ParameterError("recommend", "users", int(bad), f"dense user indices in [0, {self.n_users_})")
        scores = self.score(u).astype(np.float32, copy=True)
        if items is not None:
            allowed = np.zeros(self.n_items_, dtype=bool)
            allowed[np.asarray(items, dtype=np.int64)] = True
            scores[:, ~allowed] = -np.inf
        if filter_items is not None and len(filter_items):
            scores[:, np.asarray(filter_items, dtype=np.int64)] = -np.inf
        if filter_seen:
            mask_seen(scores, self.seen_, u)
        ids, top = top_k(scores, N)
        return (ids[0], top[0]) if single else (ids, top)

    def score_history(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Scores ``[B, n_items]`` for histories the model was not trained on (rows of item weights), e.g.
        a new shopper's first events: no refit. Models that can answer override this."""
        raise ShopmindError(f"{type(self).__name__} cannot score a history it was not trained on; use a model "
                            "with fold-in (popular, itemknn, seqknn, ease, als, bpr, content, coldstart, hybrid)")

    def linear_factors(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(user_vectors [n_users, d], item_vectors [n_items, d])`` when ``score(u)`` is exactly
        ``user_vectors[u] @ item_vectors.T`` (a factor model); None otherwise. The serving pipeline uses it
        for an exact top-k scan that skips most items (see ``shopmind.pipeline.versions``)."""
        return None

    def item_vectors(self) -> np.ndarray | None:
        """Item embedding matrix ``[n_items, d]`` when the model has one (used by ``similar_items``)."""
        return None

    def similar_items(self, item: int, N: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items most similar to ``item`` (cosine over ``item_vectors``), excluding the item itself."""
        self._check_fitted()
        vecs = self.item_vectors()
        if vecs is None:
            raise ShopmindError(f"{type(self).__name__} has no item representation for similar_items")
        if not 0 <= int(item) < self.n_items_:
            raise ParameterError("similar_items", "item", item, f"a dense item index in [0, {self.n_items_})")
        unit = cached_unit_rows(vecs)
        sims = unit @ unit[int(item)]
        sims[int(item)] = -np.inf
        ids, top = top_k(sims[None, :], N)
        return ids[0], top[0]

    def explain(self, user: int, item: int) -> dict[str, Any] | None:
        """Why ``item`` was recommended to ``user`` (model-specific), or None."""
        return None

    # ------------------------------------------------------------------ unlearning (right to erasure)
    def forget_users(self, users: np.ndarray) -> str:
        """Remove users (dense indices) from a fitted model, as if they had never been in its training data
        as far as the model allows. Returns ``"exact"`` when the model is now the one a fit without them
        gives (models whose item-side state is a function of the remaining histories recompute it: item-kNN,
        user-kNN, EASE), or ``"user_removed"`` when only their own state went (their rows of every per-user
        array: factors, histories, sequences) and item-side parameters keep what they learned from them until
        the next fit. The other users keep their order; ``users_`` loses the removed ids.
        """
        self._check_fitted()
        drop = np.unique(np.asarray(users, dtype=np.int64))
        if len(drop) == 0:
            return "exact"
        if drop.min() < 0 or drop.max() >= self.n_users_:
            raise ParameterError("forget_users", "users", int(drop[-1]), f"dense user indices in [0, {self.n_users_})")
        keep = np.setdiff1d(np.arange(self.n_users_), drop)
        forget_user_rows(self, self.n_users_, keep, drop)
        self.users_ = IdMapping([self.users_.raw(int(u)) for u in keep], kind="user")
        self.n_users_ = len(keep)
        return self._refit_item_side()

    def _refit_item_side(self) -> str:
        """Recompute item-side state from the remaining users' histories after :meth:`forget_users`; returns
        ``"exact"`` when that makes the model equal to a fresh fit, else ``"user_removed"``."""
        return "user_removed"

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write a versioned artifact directory: ``meta.json`` (class, params, id mappings, training
        metadata, the size and SHA-256 of the state) and ``state.pkl``.

        Each file is written to a temporary name, flushed to disk and renamed, ``meta.json`` last: a process
        killed half-way leaves either no ``meta.json`` (not an artifact) or one whose checksum the state does
        not match, which :meth:`load` refuses."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tmp = path / "state.pkl.tmp"
        digest = hashlib.sha256()
        with open(tmp, "wb") as f:
            pickle.dump(self._state(), _HashingWriter(f, digest), protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
        meta = {
            "format": ARTIFACT_FORMAT, "model": self.name,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "shopmind_version": __version__, "python": platform.python_version(),
            "params": _jsonable(self.get_params()), "fit_info": getattr(self, "fit_info_", {}),
            "metrics": getattr(self, "metrics_", {}),
            "state": {"bytes": size, "sha256": digest.hexdigest()},
            "users": self.users_.to_list(), "items": self.items_.to_list(),
        }
        tmp.replace(path / "state.pkl")
        meta_tmp = path / "meta.json.tmp"
        with open(meta_tmp, "w") as f:
            f.write(json.dumps(meta, ensure_ascii=False))
            f.flush()
            os.fsync(f.fileno())
        meta_tmp.replace(path / "meta.json")
        return path

    def _state(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("users_", "items_")}

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read an artifact written by :meth:`save`; the model comes back ready to recommend.

        A truncated or corrupted artifact, or one written by an incompatible shopmind, raises
        :class:`~shopmind.errors.ArtifactError` naming the file and the reason (nothing is half-loaded)."""
        path = Path(path)
        meta, state_file = read_artifact_meta(path), path / "state.pkl"
        klass = available().get(meta["model"])
        if klass is None:
            raise ArtifactError(path / "meta.json", f"unknown model {meta['model']!r} (this shopmind "
                                f"{__version__} has {', '.join(sorted(available()))}); retrain the model")
        expected = meta.get("state")
        if not state_file.is_file():
            raise ArtifactError(state_file, "the file is missing (the artifact was not completely written)")
        if isinstance(expected, dict):  # artifacts written before checksums were recorded have none
            size = state_file.stat().st_size
            if size != expected.get("bytes"):
                raise ArtifactError(state_file, f"truncated or altered: {size:,} bytes, but meta.json "
                                    f"recorded {expected.get('bytes')}")
            with open(state_file, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            if digest != expected.get("sha256"):
                raise ArtifactError(state_file, "corrupted: its SHA-256 does not match the one in meta.json")
        obj = klass.__new__(klass)
        try:
            with open(state_file, "rb") as f:
                state = ArtifactUnpickler(f).load()
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError,
                ValueError) as exc:
            raise ArtifactError(state_file, f"cannot be read ({type(exc).__name__}: {exc}); it is corrupted, "
                                "truncated or from an incompatible shopmind version") from None
        if not isinstance(state, dict):
            raise ArtifactError(state_file, f"holds a {type(state).__name__}, not a model state")
        obj.__dict__.update(state)
        _upgrade_params(obj, meta.get("params", {}), path)
        # a parameter added after the artifact was written takes its default (which reproduces the old model)
        for p in inspect.signature(klass.__init__).parameters.values():
            if p.name != "self" and p.default is not inspect.Parameter.empty:
                obj.__dict__.setdefault(p.name, p.default)
        obj.users_ = IdMapping(meta["users"], kind="user")
        obj.items_ = IdMapping(meta["items"], kind="item")
        return obj


def _is_user_state(name: str) -> bool:
    return name == "seen_" or name == "n_events_" or "user" in name


def forget_user_rows(obj: Any, n_users: int, keep: np.ndarray, drop: np.ndarray) -> None:
    """Drop the rows of removed users from every per-user attribute of ``obj`` (a model, or a part of one):
    arrays and sparse matrices named for users (``seen_``, ``user_*``), and CSR-style sequence tables
    (``X_indptr_`` with ``n_users + 1`` entries and the ``X_*`` arrays it indexes). Sub-models (attributes that
    are recommenders, or lists of them) forget the same users."""
    state = obj.__dict__
    for name, value in list(state.items()):
        if name in ("users_", "items_"):
            continue
        if isinstance(value, Recommender):
            if getattr(value, "n_users_", None) == n_users:
                value.forget_users(drop)
            continue
        if isinstance(value, list) and value and all(isinstance(v, Recommender) for v in value):
            for v in value:
                if getattr(v, "n_users_", None) == n_users:
                    v.forget_users(drop)
            continue
        if name.endswith("indptr_") and isinstance(value, np.ndarray) and len(value) == n_users + 1:
            prefix = name[: -len("indptr_")]
            starts, stops = value[keep], value[keep + 1]
            positions = (np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
                         if len(keep) else np.empty(0, np.int64)).astype(np.int64)
            for other, arr in list(state.items()):
                if other != name and other.startswith(prefix) and isinstance(arr, np.ndarray) \
                        and len(arr) == int(value[-1]):
                    state[other] = arr[positions]
            state[name] = np.concatenate([[0], np.cumsum(stops - starts)]).astype(value.dtype)
            continue
        if hasattr(value, "user_factors") and isinstance(value.user_factors, np.ndarray) \
                and len(value.user_factors) == n_users:  # a wrapped library model (implicit) keeps its own copy
            value.user_factors = value.user_factors[keep]
            continue
        if not _is_user_state(name):
            continue
        if sp.issparse(value) and value.shape[0] == n_users:
            state[name] = sp.csr_matrix(value)[keep]
        elif isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n_users:
            state[name] = value[keep]


class _HashingWriter:
    """A file wrapper that feeds everything written through it to a hash."""

    def __init__(self, f: Any, digest: Any) -> None:
        self.f, self.digest = f, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return int(self.f.write(data))


#: The file in a models directory that names the artifact a server last activated (see :func:`mark_active`).
ACTIVE_FILE = "ACTIVE.json"


def mark_active(models_dir: str | Path, artifact: str | Path) -> None:
    """Record ``artifact`` as the active version in ``models_dir`` (``ACTIVE.json``), atomically: a process
    killed while writing leaves the previous record, so a restarted server serves the previous version."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = models_dir / f"{ACTIVE_FILE}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps({"artifact": str(Path(artifact).resolve()), "activated_at": time.time()}))
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(models_dir / ACTIVE_FILE)


def active_artifact(models_dir: str | Path) -> Path | None:
    """The artifact :func:`mark_active` recorded in ``models_dir``, or None (none recorded, unreadable, or
    no longer an artifact)."""
    try:
        record = json.loads((Path(models_dir) / ACTIVE_FILE).read_text())
        path = Path(record["artifact"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return path if (path / "meta.json").is_file() else None


def read_artifact_meta(path: str | Path) -> dict[str, Any]:
    """The ``meta.json`` of an artifact directory, checked: readable JSON of the artifact format this shopmind
    reads, with the fields :meth:`Recommender.load` needs. Raises :class:`~shopmind.errors.ArtifactError`
    naming the file and the reason (:class:`ShopmindError` when there is no ``meta.json`` at all)."""
    meta_file = Path(path) / "meta.json"
    if not meta_file.exists():
        raise ShopmindError(f"{path} is not a shopmind model artifact (no meta.json)")
    try:
        meta = json.loads(meta_file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(meta_file, f"corrupted or truncated: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ArtifactError(meta_file, "corrupted: not a JSON object")
    fmt = meta.get("format")
    if fmt != ARTIFACT_FORMAT:
        raise ArtifactError(meta_file, f"written by an incompatible version (shopmind "
                            f"{meta.get('shopmind_version', '?')}, artifact format {fmt!r}); this shopmind "
                            f"{__version__} reads format {ARTIFACT_FORMAT}: retrain the model")
    missing = [k for k in ("model", "users", "items") if k not in meta]
    if missing:
        raise ArtifactError(meta_file, f"corrupted: missing {', '.join(missing)}")
    return meta


def _upgrade_params(obj: Recommender, saved: dict[str, Any], path: Path) -> None:
    """Bring the hyperparameters of an artifact written by an older shopmind up to date: a renamed one
    carries its value over (:data:`RENAMED_PARAMS`), a retired value becomes its equivalent
    (:data:`RETIRED_VALUES`), and one the model no longer has is dropped, with a log line each."""
    known = set(type(obj).param_names())
    for old in [k for k in saved if k not in known]:
        value = obj.__dict__.pop(old, saved[old])
        new = RENAMED_PARAMS.get(old)
        if new in known and new not in saved:
            obj.__dict__[new] = value
            logger.info("%s: parameter %r is now called %r (value %r kept)", path, old, new, value)
        else:
            logger.info("%s: dropped parameter %s=%r, which %s no longer has", path, old, value, type(obj).__name__)
    for name in known & set(obj.__dict__):
        value = obj.__dict__[name]
        try:
            new_value = RETIRED_VALUES[(name, value)]
        except (KeyError, TypeError):  # TypeError: an unhashable value is never a retired one
            continue
        obj.__dict__[name] = new_value
        logger.info("%s: parameter %s=%r is now %r", path, name, value, new_value)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        try:
            json.dumps(v)
            out[k] = v
        except TypeError:
            out[k] = repr(v)
    return out

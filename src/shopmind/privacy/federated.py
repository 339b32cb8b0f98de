"""Federated matrix factorisation: each user is a client that keeps its events and its user vector; the
server keeps only the item factors and sees only (optionally masked) sums of item-factor updates.

The model and loss are implicit-feedback ALS's (Hu, Koren and Volinsky 2008, as in ``implicit`` and
:class:`shopmind.models.factorization.ALS`): preference p_ui = 1 for the items a user touched, confidence
c_ui = 1 + alpha for those and 1 elsewhere, loss ``sum_ui c_ui (p_ui - x_u . y_i)^2 + reg (|X|^2 + |Y|^2)``.
Training is federated in the manner of Federated Collaborative Filtering (Ammad-ud-din et al. 2019):

1. The server broadcasts the item factors Y (and Y^T Y, a public function of Y).
2. Each client solves its own user vector exactly (the ALS user step, on the device) and computes the
   gradient of its own loss with respect to Y: a dense ``n_items x factors`` matrix, so the server cannot
   tell from its shape which items the user touched.
3. The updates are summed - with secure aggregation (:class:`SecureAggregator`), pairwise masks hide each
   client's update and cancel exactly in the sum - and the server takes an Adam step on Y with the sum
   (federated averaging of gradients, FedAvg with one local step; the server optimiser is FedAdam's).

The raw events never leave a :class:`Client` object: the server code below touches only what clients
return. After the last round each client folds in its vector once more (optionally from recency-decayed
weights, as ALS's ``recency`` does) and ranks items on the device; :meth:`FederatedMF.score` gathers those
vectors only so that the offline protocol can measure the ranking.

>>> data = Interactions.from_sequences({f"u{u}": [f"i{(u + j) % 12}" for j in range(4)] for u in range(30)})
>>> model = FederatedMF(factors=4, rounds=20, seed=0).fit(data)
>>> model.score(np.array([0])).shape, model.history_[-1]["bytes_up"] == 30 * 12 * 4 * 4
((1, 12), True)
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from shopmind.data.interactions import Interactions
from shopmind.errors import NotFittedError, ParameterError, check_float, check_int
from shopmind.models.knn import history_matrix

logger = logging.getLogger(__name__)

#: Fixed-point scale of secure aggregation: updates are rounded to multiples of 2^-FIXED_BITS.
FIXED_BITS = 24
#: Bytes of one float32 (a plain update entry) and of one masked fixed-point entry (uint64).
FLOAT_BYTES, MASKED_BYTES = 4, 8


def to_fixed(update: np.ndarray) -> np.ndarray:
    """A float update as unsigned 64-bit fixed point (two's complement; sums wrap modulo 2^64).

    >>> from_fixed(to_fixed(np.array([1.5, -0.25])) + to_fixed(np.array([0.5, 0.25]))).tolist()
    [2.0, 0.0]
    """
    return np.rint(np.asarray(update, dtype=np.float64) * float(1 << FIXED_BITS)).astype(np.int64).view(np.uint64)


def from_fixed(total: np.ndarray) -> np.ndarray:
    """The float value of a fixed-point sum made by :func:`to_fixed` (as long as it fits 2^63 / 2^FIXED_BITS)."""
    return np.asarray(total, dtype=np.uint64).view(np.int64).astype(np.float64) / float(1 << FIXED_BITS)


class SecureAggregator:
    """Pairwise additive masking (Bonawitz et al. 2017, on a sparse graph as in Bell et al. 2020).

    Each client shares a seed with each of its ``neighbours`` peers (a ring-shaped graph over the
    round's clients; in deployment the seeds come from a key agreement). For a pair (a, b) with a < b, the
    seed expands to a uniform mask m_ab over Z_2^64: a adds it, b subtracts it. Every mask cancels in the
    sum, so the server learns the exact sum of the fixed-point updates and nothing about any one of them
    (each masked update is uniformly distributed). Dropped clients are not handled (a simulation detail).

    >>> agg = SecureAggregator(neighbours=2, seed=0)
    >>> updates = [np.array([1.0, 2.0]), np.array([-1.0, 0.5]), np.array([0.25, 0.25])]
    >>> masked = agg.mask_all(updates)
    >>> from_fixed(agg.aggregate(masked)).tolist()
    [0.25, 2.75]
    """

    def __init__(self, neighbours: int = 4, seed: int = 0) -> None:
        self.neighbours = neighbours
        self.seed = seed
        self._round = 0

    def pairs(self, n: int) -> list[tuple[int, int]]:
        """The masked pairs (a, b), a < b, among ``n`` clients: each client and its next neighbours/2 on a
        ring (all pairs when ``n`` is small)."""
        half = max(1, self.neighbours // 2)
        out = {(min(a, (a + d) % n), max(a, (a + d) % n)) for a in range(n) for d in range(1, half + 1)
               if (a + d) % n != a}
        return sorted(out)

    def _mask(self, a: int, b: int, size: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self._round, a, b])
        return rng.integers(0, np.iinfo(np.uint64).max, size=size, dtype=np.uint64, endpoint=True)

    def mask_all(self, updates: list[np.ndarray]) -> list[np.ndarray]:
        """Each client's update in fixed point plus its masks (what each client would send)."""
        masked = [to_fixed(u).ravel() for u in updates]
        for a, b in self.pairs(len(updates)):
            m = self._mask(a, b, masked[a].size)
            masked[a] += m  # uint64 arithmetic wraps: addition modulo 2^64
            masked[b] -= m
        self._round += 1
        return masked

    def masked_sum(self, n: int, update: Callable[[int], np.ndarray]) -> np.ndarray:
        """The fixed-point sum of ``n`` clients' masked updates, each made (``update(i)``), masked and added
        one at a time as a server receiving them would, without holding every update at once."""
        partners: dict[int, list[tuple[int, int]]] = {}
        for a, b in self.pairs(n):
            partners.setdefault(a, []).append((a, b))
            partners.setdefault(b, []).append((a, b))
        total: np.ndarray | None = None
        for i in range(n):
            sent = to_fixed(update(i)).ravel()
            for a, b in partners.get(i, []):
                m = self._mask(a, b, sent.size)
                if i == a:
                    sent += m
                else:
                    sent -= m
            total = sent if total is None else total + sent
        self._round += 1
        return total if total is not None else np.zeros(0, np.uint64)

    @staticmethod
    def aggregate(masked: list[np.ndarray]) -> np.ndarray:
        """The sum of the masked updates modulo 2^64: the masks cancel (decode with :func:`from_fixed`)."""
        total = np.zeros_like(masked[0])
        for m in masked:
            total += m
        return total


@dataclass
class Client:
    """One user's device: the items the user touched and their confidences, and the user's own vector.

    ``confidence`` holds ``alpha * w_ui`` (c_ui - 1); ``fold_weights`` the (possibly recency-decayed)
    weights of the final on-device fold-in."""

    items: np.ndarray
    confidence: np.ndarray
    fold_weights: np.ndarray
    vector: np.ndarray | None = None

    def solve(self, item_factors: np.ndarray, gram: np.ndarray, reg: float, extra: np.ndarray | None = None
              ) -> np.ndarray:
        """The exact ALS user step: argmin_x sum_i c_i (p_i - x . y_i)^2 + reg |x|^2."""
        conf = self.confidence if extra is None else extra
        yu = item_factors[self.items]
        a = gram + (yu.T * conf) @ yu + reg * np.eye(gram.shape[0])
        b = yu.T @ (1.0 + conf)
        self.vector = np.linalg.solve(a, b)
        return self.vector

    def update_factors(self, item_factors: np.ndarray, gram: np.ndarray, reg: float
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Solve the user vector; return the two factors ``(d, x)`` of the rank-one gradient d x^T."""
        x = self.solve(item_factors, gram, reg)
        d = item_factors @ x  # residual weight of every item: c (x.y - p), c = 1 and p = 0 off the history
        d[self.items] = (1.0 + self.confidence) * (d[self.items] - 1.0)
        return 2.0 * d, x

    def update(self, item_factors: np.ndarray, gram: np.ndarray, reg: float) -> np.ndarray:
        """Solve the user vector, then return d(own loss)/dY: dense ``n_items x factors`` (what is sent)."""
        d, x = self.update_factors(item_factors, gram, reg)
        return np.outer(d, x)


@dataclass
class FederatedMF:
    """Matrix factorisation trained by federated averaging (see the module docs).

    Parameters mirror :class:`~shopmind.models.factorization.ALS` (``factors``, ``regularization``,
    ``alpha``, ``recency``/``half_life`` of the final fold-in); ``rounds`` and ``lr`` drive the server's
    Adam steps; ``clients_per_round`` samples that many clients a round (None: all); with
    ``secure_aggregation`` updates are masked pairwise among ``mask_neighbours`` peers."""

    factors: int = 64
    regularization: float = 30.0
    alpha: float = 20.0
    rounds: int = 60
    lr: float = 0.05
    clients_per_round: int | None = None
    secure_aggregation: bool = False
    mask_neighbours: int = 4
    recency: str = "none"
    half_life: float = 3.0
    seed: int = 0
    history_: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _clients: list[Client] = field(default_factory=list, repr=False)
    _y: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def validate_params(self) -> None:
        name = type(self).__name__
        check_int(name, "factors", self.factors, low=1)
        check_float(name, "regularization", self.regularization, low=0.0)
        check_float(name, "alpha", self.alpha, low=0.0)
        check_int(name, "rounds", self.rounds, low=1)
        check_float(name, "lr", self.lr, low=0.0)
        if self.clients_per_round is not None:
            check_int(name, "clients_per_round", self.clients_per_round, low=2)
        check_int(name, "mask_neighbours", self.mask_neighbours, low=2)
        if self.recency not in ("none", "position", "time"):
            raise ParameterError(name, "recency", self.recency, "one of ['none', 'position', 'time']")

    @staticmethod
    def make_clients(train: Interactions, alpha: float, recency: str = "none", half_life: float = 0.0
                     ) -> list[Client]:
        """One client per user, each given only its own rows of ``train`` (the simulation's devices)."""
        binary = train.to_csr(aggregate="max", weighted=False).tocsr()
        decayed = history_matrix(train, False, recency, half_life).tocsr() if recency != "none" else binary
        clients = []
        for u in range(train.n_users):
            lo, hi = binary.indptr[u], binary.indptr[u + 1]
            items = binary.indices[lo:hi].astype(np.int64)
            fold = _row(decayed, u, items)
            clients.append(Client(items, np.full(len(items), float(alpha)), float(alpha) * fold))
        return clients

    def fit(self, train: Interactions, progress: Callable[[int, dict[str, Any]], None] | None = None
            ) -> FederatedMF:
        """Train on ``train`` (one client per user); ``progress(round, stats)`` is called after each round."""
        self.validate_params()
        rng = np.random.default_rng(self.seed)
        clients = self.make_clients(train, self.alpha, self.recency, self.half_life)
        n_items, k = train.n_items, self.factors
        y = rng.normal(0.0, 0.01, size=(n_items, k))
        m, v = np.zeros_like(y), np.zeros_like(y)
        b1, b2, eps = 0.9, 0.999, 1e-8
        agg = SecureAggregator(self.mask_neighbours, self.seed) if self.secure_aggregation else None
        active = [c for c in clients if len(c.items)]
        self.history_ = []
        for t in range(1, self.rounds + 1):
            chosen = (active if self.clients_per_round is None or self.clients_per_round >= len(active)
                      else [active[i] for i in rng.choice(len(active), self.clients_per_round, replace=False)])
            gram = y.T @ y
            if agg is not None:
                send = functools.partial(_dense_update, chosen, y, gram, self.regularization)
                total = from_fixed(agg.masked_sum(len(chosen), send)).reshape(n_items, k)
            else:
                total = _plain_sum(chosen, y, gram, self.regularization)
            # the sampled clients' gradient, scaled to the whole population, plus the item regulariser
            grad = total * (len(active) / len(chosen)) + 2.0 * self.regularization * y
            m = b1 * m + (1 - b1) * grad
            v = b2 * v + (1 - b2) * grad * grad
            y = y - self.lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
            entry_bytes = MASKED_BYTES if agg is not None else FLOAT_BYTES
            stats = {"round": t, "clients": len(chosen),
                     "bytes_down": len(chosen) * (n_items * k + k * k) * FLOAT_BYTES,
                     "bytes_up": len(chosen) * n_items * k * entry_bytes,
                     "grad_norm": float(np.linalg.norm(grad))}
            self.history_.append(stats)
            self._clients, self._y = clients, y
            if progress is not None:
                progress(t, stats)
        self.item_factors_, self.user_factors_ = self._fold_in()
        return self

    def _fold_in(self) -> tuple[np.ndarray, np.ndarray]:
        """Item factors and every client's on-device user vector (recency-decayed when asked) for them."""
        y, k = self._y, self.factors
        gram = y.T @ y
        vectors = [c.solve(y, gram, self.regularization, extra=c.fold_weights) if len(c.items) else np.zeros(k)
                   for c in self._clients]
        return y.astype(np.float32), np.stack(vectors).astype(np.float32)

    def snapshot(self) -> FederatedMF:
        """A scorer of the model as it stands after the latest round (for learning curves during ``fit``)."""
        snap = FederatedMF(factors=self.factors)
        snap.item_factors_, snap.user_factors_ = self._fold_in()
        return snap

    def score(self, users: np.ndarray) -> np.ndarray:
        """Scores of every item for ``users`` (what each device computes locally)."""
        if not hasattr(self, "item_factors_"):
            raise NotFittedError("FederatedMF is not fitted: call fit() first")
        return np.asarray(self.user_factors_[np.asarray(users, dtype=np.int64)] @ self.item_factors_.T,
                          dtype=np.float32)

    def bytes_per_round(self) -> dict[str, float]:
        """Mean bytes sent to and from the clients per round (all clients together)."""
        if not self.history_:
            return {"down": 0.0, "up": 0.0}
        return {"down": float(np.mean([h["bytes_down"] for h in self.history_])),
                "up": float(np.mean([h["bytes_up"] for h in self.history_]))}


def _dense_update(clients: list[Client], y: np.ndarray, gram: np.ndarray, reg: float, i: int) -> np.ndarray:
    return clients[i].update(y, gram, reg)


def _plain_sum(clients: list[Client], y: np.ndarray, gram: np.ndarray, reg: float, block: int = 256
               ) -> np.ndarray:
    """The sum of the clients' dense updates d x^T, computed blockwise as D^T X (the same sum as adding the
    dense matrices one by one, without materialising each)."""
    total = np.zeros_like(y)
    for start in range(0, len(clients), block):
        parts = [c.update_factors(y, gram, reg) for c in clients[start:start + block]]
        total += np.stack([p[0] for p in parts]).T @ np.stack([p[1] for p in parts])
    return total


def _row(matrix: sp.csr_matrix, u: int, items: np.ndarray) -> np.ndarray:
    """Row ``u`` of ``matrix`` at the columns ``items`` (0 where absent)."""
    lo, hi = matrix.indptr[u], matrix.indptr[u + 1]
    cols, vals = matrix.indices[lo:hi], matrix.data[lo:hi]
    out = np.zeros(len(items))
    pos = np.searchsorted(cols, items)
    ok = (pos < len(cols)) & (cols[np.minimum(pos, max(len(cols) - 1, 0))] == items) if len(cols) else \
        np.zeros(len(items), bool)
    out[ok] = vals[pos[ok]]
    return out


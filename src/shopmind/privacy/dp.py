"""Differentially private counts for what is published beyond one user, and the epsilon budget ledger.

A published list (trending, bought together, a segment size, a report table) is built from *counts over
users*. To publish one under epsilon-differential privacy with respect to adding or removing one user:

1. **Bound each user's contribution** (:func:`bound_contributions`): a user keeps at most ``max_items``
   distinct items (a seeded random subset), each counted once with at most ``max_weight``. One user then
   changes the count vector by at most ``max_items * max_weight`` in L1 (the *sensitivity*).
2. **Add calibrated noise** (:func:`noisy_counts`): the Laplace mechanism of OpenDP (``opendp``, the
   OpenDP project's library), with scale ``sensitivity / epsilon``. Integer counts get OpenDP's discrete
   Laplace (exact sampling, no floating-point leak); weighted counts its continuous Laplace. The
   measurement's own privacy map is asked what it costs (:attr:`NoisyCounts.epsilon_spent`) and the release
   is refused if that exceeds the epsilon asked for.
3. **Charge the ledger** (:class:`BudgetLedger`): each release spends its epsilon from the budget of the
   current period (a UTC day, ISO week or month), kept in the store, so several servers share one budget.
   Once the period's budget is spent the ledger refuses with :class:`PrivacyBudgetError` until the next
   period. Ranking the noisy counts, re-serving a cached release or taking any top-n of it is
   post-processing and costs nothing more.

Nothing here draws noise by hand: the noise comes from OpenDP's samplers (which use the operating system's
secure randomness, so releases cannot be replayed from a seed; the statistical tests check their scale).

>>> from shopmind.storage import open_store
>>> ledger = BudgetLedger(open_store("sqlite:///:memory:"), budget=1.0, period="day")
>>> ledger.charge("trending:24h", 0.6, when=pd.Timestamp("2026-12-06 10:00", tz="UTC")).remaining
0.4
>>> ledger.charge("trending:24h", 0.6, when=pd.Timestamp("2026-12-06 11:00", tz="UTC"))
Traceback (most recent call last):
...
shopmind.privacy.dp.PrivacyBudgetError: the privacy budget of period 2026-12-06 is spent: 0.6 of 1 used, ...
it renews at 2026-12-07T00:00:00+00:00
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from shopmind.errors import ParameterError, ShopmindError

#: Budget periods the ledger knows, and how to name a period.
PERIODS = ("day", "week", "month")
#: Rounding slack when comparing spent epsilon with a budget (sums of decimal floats).
_SLACK = 1e-9


class PrivacyBudgetError(ShopmindError):
    """The privacy budget of the current period cannot pay for a query."""

    def __init__(self, message: str, *, period: str, resets_at: pd.Timestamp) -> None:
        super().__init__(message)
        self.period, self.resets_at = period, resets_at


class LedgerStore(Protocol):
    """What the ledger needs of a store (:class:`shopmind.storage.base.PrivacyLedger`)."""

    def spend_privacy(self, period: str, query: str, epsilon: float, budget: float) -> bool: ...

    def privacy_spends(self, period: str | None = None) -> pd.DataFrame: ...


def check_epsilon(owner: str, epsilon: float) -> float:
    """``epsilon`` as a float, or :class:`ParameterError` unless it is finite and > 0."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or not math.isfinite(epsilon) \
            or epsilon <= 0:
        raise ParameterError(owner, "epsilon", epsilon, "a finite number > 0")
    return float(epsilon)


def period_bounds(when: pd.Timestamp, period: str) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """The name, first instant and end (exclusive) of the budget period holding ``when`` (UTC).

    >>> name, start, end = period_bounds(pd.Timestamp("2026-12-06 13:00", tz="UTC"), "week")
    >>> name, start.isoformat(), end.isoformat()
    ('2026-W49', '2026-11-30T00:00:00+00:00', '2026-12-07T00:00:00+00:00')
    """
    if period not in PERIODS:
        raise ParameterError("BudgetLedger", "period", period, f"one of {', '.join(PERIODS)}")
    t = pd.Timestamp(when)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    day = t.normalize()
    if period == "day":
        return day.strftime("%Y-%m-%d"), day, day + pd.Timedelta(days=1)
    if period == "week":
        start = day - pd.Timedelta(days=day.weekday())
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", start, start + pd.Timedelta(days=7)
    start = day.replace(day=1)
    return start.strftime("%Y-%m"), start, start + pd.DateOffset(months=1)


@dataclass(frozen=True)
class BudgetStatus:
    """Where one period's budget stands."""

    period: str
    budget: float
    spent: float
    remaining: float
    queries: int
    resets_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BudgetLedger:
    """The epsilon budget per period, persisted in a store; :meth:`charge` before every release.

    The store checks and records a spend in one transaction (``spend_privacy``), so concurrent servers on
    one store never overspend.
    """

    def __init__(self, store: LedgerStore, budget: float, period: str = "day") -> None:
        self.store = store
        self.budget = check_epsilon("BudgetLedger", budget) if budget else 0.0
        if period not in PERIODS:
            raise ParameterError("BudgetLedger", "period", period, f"one of {', '.join(PERIODS)}")
        self.period = period

    def _now(self, when: pd.Timestamp | None) -> pd.Timestamp:
        return pd.Timestamp.now(tz="UTC") if when is None else pd.Timestamp(when)

    def charge(self, query: str, epsilon: float, when: pd.Timestamp | None = None) -> BudgetStatus:
        """Spend ``epsilon`` on ``query`` in the period of ``when`` (default now); returns the status after
        the spend. Raises :class:`PrivacyBudgetError` (nothing spent) when the rest of the budget is smaller."""
        eps = check_epsilon("BudgetLedger.charge", epsilon)
        name, _, end = period_bounds(self._now(when), self.period)
        if not self.store.spend_privacy(name, str(query), eps, self.budget):
            spent = self.spent(name)
            raise PrivacyBudgetError(
                f"the privacy budget of period {name} is spent: {spent:.6g} of {self.budget:.6g} used, and "
                f"{query!r} needs {eps:.6g} more; it renews at {end.isoformat()}", period=name, resets_at=end)
        return self.status(when)

    def spent(self, period_name: str) -> float:
        frame = self.store.privacy_spends(period_name)
        return float(frame["epsilon"].sum()) if len(frame) else 0.0

    def status(self, when: pd.Timestamp | None = None) -> BudgetStatus:
        """The current (or ``when``'s) period: budget, spent, remaining, number of releases, renewal time."""
        name, _, end = period_bounds(self._now(when), self.period)
        frame = self.store.privacy_spends(name)
        spent = float(frame["epsilon"].sum()) if len(frame) else 0.0
        return BudgetStatus(name, self.budget, round(spent, 12), round(max(0.0, self.budget - spent), 12),
                            len(frame), end.isoformat())


def bound_contributions(users: np.ndarray, items: np.ndarray, weights: np.ndarray | None = None, *,
                        max_items: int, max_weight: float = 1.0, seed: int | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each user's distinct items, at most ``max_items`` of them (a random subset when there are more),
    each with its largest weight clipped to ``max_weight``: ``(users, items, weights)``.

    >>> u, i, w = bound_contributions(np.array([0, 0, 0, 1]), np.array([5, 5, 6, 5]), np.array([1., 3., 1., 1.]),
    ...                               max_items=5, max_weight=2.0)
    >>> u.tolist(), i.tolist(), w.tolist()
    ([0, 0, 1], [5, 6, 5], [2.0, 1.0, 1.0])
    """
    if isinstance(max_items, bool) or not isinstance(max_items, int | np.integer) or max_items < 1:
        raise ParameterError("bound_contributions", "max_items", max_items, "an int >= 1")
    if not math.isfinite(max_weight) or max_weight <= 0:
        raise ParameterError("bound_contributions", "max_weight", max_weight, "a finite number > 0")
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    w = np.ones(len(users)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(users) == 0:
        return users, items, w
    frame = pd.DataFrame({"u": users, "i": items, "w": w}).groupby(["u", "i"], sort=True)["w"].max().reset_index()
    rng = np.random.default_rng(seed)
    frame["r"] = rng.random(len(frame))
    frame = frame.sort_values(["u", "r"], kind="stable")
    keep = frame.groupby("u").cumcount().to_numpy() < max_items
    frame = frame[keep].sort_values(["u", "i"], kind="stable")
    return (frame["u"].to_numpy(np.int64), frame["i"].to_numpy(np.int64),
            np.minimum(frame["w"].to_numpy(np.float64), max_weight))


@dataclass(frozen=True)
class NoisyCounts:
    """A released count vector: the noisy values and what they cost."""

    values: np.ndarray
    epsilon: float
    sensitivity: float
    scale: float
    #: What OpenDP's privacy map of the measurement says this release costs (<= ``epsilon``).
    epsilon_spent: float

    def top(self, k: int, candidates: np.ndarray | None = None) -> np.ndarray:
        """Indices of the ``k`` largest noisy values (among ``candidates``), best first."""
        idx = np.arange(len(self.values)) if candidates is None else np.asarray(candidates, dtype=np.int64)
        vals = self.values[idx]
        order = np.lexsort((idx, -vals))
        return idx[order[:k]]


def laplace_measurement(n: int, scale: float, integer: bool) -> Any:
    """OpenDP's Laplace mechanism on vectors of ``n`` counts (L1 distance): discrete for ints, continuous
    for floats."""
    import opendp.prelude as dp  # lazy: opendp loads a native library, needed only when releasing

    dp.enable_features("contrib")
    atom = dp.atom_domain(T=int) if integer else dp.atom_domain(T=float, nan=False)
    space = dp.vector_domain(atom, size=n), dp.l1_distance(T=int if integer else float)
    return space >> dp.m.then_laplace(scale=scale)


def noisy_counts(counts: np.ndarray | Sequence[float], epsilon: float, sensitivity: float) -> NoisyCounts:
    """``counts`` plus Laplace noise of scale ``sensitivity / epsilon`` (OpenDP), checked with the
    measurement's privacy map. Integer arrays get integer (discrete Laplace) noise.

    >>> out = noisy_counts(np.array([100, 50, 0]), epsilon=1.0, sensitivity=2)
    >>> out.scale, out.epsilon_spent, out.values.dtype.kind
    (2.0, 1.0, 'i')
    """
    eps = check_epsilon("noisy_counts", epsilon)
    if not math.isfinite(sensitivity) or sensitivity <= 0:
        raise ParameterError("noisy_counts", "sensitivity", sensitivity, "a finite number > 0")
    arr = np.asarray(counts)
    integer = arr.dtype.kind in "iub"
    if integer and float(sensitivity) != int(sensitivity):
        raise ParameterError("noisy_counts", "sensitivity", sensitivity, "an integer for integer counts")
    scale = float(sensitivity) / eps
    if len(arr) == 0:
        return NoisyCounts(arr.astype(np.int64 if integer else np.float64), eps, float(sensitivity), scale, 0.0)
    meas = laplace_measurement(len(arr), scale, integer)
    spent = float(meas.map(int(sensitivity) if integer else float(sensitivity)))
    if spent > eps * (1 + 1e-9):
        raise ShopmindError(f"the Laplace measurement of scale {scale} costs epsilon {spent}, more than {eps}")
    values = meas([int(v) for v in arr.tolist()] if integer else [float(v) for v in arr.tolist()])
    return NoisyCounts(np.asarray(values, dtype=np.int64 if integer else np.float64), eps, float(sensitivity),
                       scale, spent)


def user_item_counts(users: np.ndarray, items: np.ndarray, n_items: int, weights: np.ndarray | None = None
                     ) -> np.ndarray:
    """Per-item sums over already bounded ``(user, item, weight)`` rows (ints when ``weights`` is None)."""
    items = np.asarray(items, dtype=np.int64)
    if weights is None:
        return np.bincount(items, minlength=n_items).astype(np.int64)
    return np.bincount(items, weights=np.asarray(weights, dtype=np.float64), minlength=n_items)


def private_item_counts(users: np.ndarray, items: np.ndarray, n_items: int, epsilon: float, *,
                        max_items: int, weights: np.ndarray | None = None, max_weight: float = 1.0,
                        seed: int | None = None) -> NoisyCounts:
    """Per-item counts of users (or, with ``weights``, of their weighted events, clipped to ``max_weight``)
    under epsilon-DP: bound each user to ``max_items`` items, then Laplace noise of scale
    ``max_items * max_weight / epsilon``. The popularity, trending and segment-size release."""
    u, i, w = bound_contributions(users, items, weights, max_items=max_items, max_weight=max_weight, seed=seed)
    if weights is None:
        return noisy_counts(user_item_counts(u, i, n_items), epsilon, max_items)
    return noisy_counts(user_item_counts(u, i, n_items, w), epsilon, max_items * max_weight)


def cooccurrence_row(users: np.ndarray, items: np.ndarray, item: int, n_items: int) -> np.ndarray:
    """For each item j, how many users touched both ``item`` and j (0 at ``item`` itself); rows must be
    distinct ``(user, item)`` pairs."""
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    buyers = np.unique(users[items == item])
    row = np.bincount(items[np.isin(users, buyers)], minlength=n_items).astype(np.int64)
    if 0 <= item < n_items:
        row[item] = 0
    return row


def private_cooccurrence_row(users: np.ndarray, items: np.ndarray, item: int, n_items: int, epsilon: float, *,
                             max_items: int, seed: int | None = None) -> NoisyCounts:
    """The "bought together" counts of one item under epsilon-DP: users who touched both ``item`` and each
    other item, each user bounded to ``max_items`` items, so one user changes the row by at most
    ``max_items - 1`` (Laplace scale ``(max_items - 1) / epsilon``; at least 1)."""
    u, i, _ = bound_contributions(users, items, None, max_items=max_items, seed=seed)
    return noisy_counts(cooccurrence_row(u, i, item, n_items), epsilon, max(1, max_items - 1))


def private_group_sizes(members: Mapping[str, Sequence[str]], epsilon: float, *, max_groups: int,
                        seed: int | None = None) -> tuple[list[str], NoisyCounts]:
    """Sizes of groups (segments, report rows) under epsilon-DP: ``members`` maps a group to its user ids;
    each user counts in at most ``max_groups`` groups (a seeded random subset), so the L1 sensitivity is
    ``max_groups``. Returns the group names and their noisy sizes, in the order of ``members``.

    >>> names, sizes = private_group_sizes({"vip": ["u1", "u2"], "new": ["u3"]}, 1e6, max_groups=1)
    >>> names, sizes.values.tolist(), sizes.sensitivity
    (['vip', 'new'], [2, 1], 1.0)
    """
    names = list(members)
    codes = {name: g for g, name in enumerate(names)}
    users = [u for name in names for u in members[name]]
    groups = [codes[name] for name in names for _ in members[name]]
    user_codes = pd.factorize(pd.Series(users, dtype=object))[0] if users else np.empty(0, np.int64)
    u, g, _ = bound_contributions(np.asarray(user_codes, np.int64), np.asarray(groups, np.int64),
                                  max_items=max_groups, seed=seed)
    return names, noisy_counts(user_item_counts(u, g, len(names)), epsilon, max_groups)

"""PNG charts of a benchmark, drawn with matplotlib's Agg canvas (no display, no pyplot global state).

Each function takes plain data (model names, metric dicts, intervals) and writes one file; they return the
path, or ``None`` when there is nothing to draw (e.g. a single K for the K curve).

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "m.png"
>>> metric_bars(["a", "b"], [{"hr@10": 0.2}, {"hr@10": 0.1}], [{}, {}], ["hr@10"], out) == out
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from shopmind.training.metrics import gini

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Cut-offs plotted by :func:`k_curves` when the metrics have them.
CURVE_KS: tuple[int, ...] = (1, 5, 10, 20, 50)


def _figure(width: float, height: float) -> Figure:
    # lazy: matplotlib takes a second to import; only reports draw
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def _grouped_bars(ax: Axes, groups: Sequence[str], series: Sequence[str], values: np.ndarray,
                  errors: np.ndarray | None = None) -> None:
    """Bars for ``values[series, group]`` side by side within each group; ``errors`` is ``[2, s, g]``."""
    n_s = max(1, len(series))
    width = 0.8 / n_s
    x = np.arange(len(groups))
    for i, name in enumerate(series):
        yerr = None if errors is None else errors[:, i, :]
        ax.bar(x + (i - (n_s - 1) / 2) * width, values[i], width, yerr=yerr, capsize=3, label=name)
    ax.set_xticks(x, list(groups))


def metric_bars(models: Sequence[str], metrics: Sequence[Mapping[str, float]],
                cis: Sequence[Mapping[str, Mapping[str, float]]], names: Sequence[str], path: Path,
                confidence: float = 0.95) -> Path | None:
    """Grouped bars of ``names`` (e.g. HR@10, NDCG@10, MRR@10) per model, with CI error bars.

    ``cis[m][name]`` is ``{"low": .., "high": ..}``; a missing interval draws no error bar.
    """
    names = [n for n in names if any(n in m for m in metrics)]
    if not models or not names:
        return None
    vals = np.array([[float(m.get(n, np.nan)) for n in names] for m in metrics])
    err = np.zeros((2, len(models), len(names)))
    for i, ci in enumerate(cis):
        for j, n in enumerate(names):
            if n in ci and np.isfinite(vals[i, j]):
                err[0, i, j] = max(0.0, vals[i, j] - float(ci[n]["low"]))
                err[1, i, j] = max(0.0, float(ci[n]["high"]) - vals[i, j])
    fig = _figure(max(5.0, 1.2 * len(names) * max(1, len(models)) / 2 + 2), 3.8)
    ax = fig.add_subplot()
    _grouped_bars(ax, names, models, np.nan_to_num(vals), err)
    ax.set_ylabel("mean over test users")
    ax.set_title(f"Accuracy per model (error bars: {confidence:.0%} bootstrap CI)")
    ax.legend(fontsize="small")
    return _save(fig, path)


def k_curves(models: Sequence[str], metrics: Sequence[Mapping[str, float]], path: Path,
             families: Sequence[str] = ("ndcg", "hr"), ks: Sequence[int] = CURVE_KS) -> Path | None:
    """Line plots of NDCG@K and HR@K over K for each model (only the K present; needs two or more)."""
    present = [k for k in ks if any(f"{fam}@{k}" in m for m in metrics for fam in families)]
    if len(present) < 2 or not models:
        return None
    fig = _figure(4.2 * len(families), 3.6)
    for j, fam in enumerate(families):
        ax = fig.add_subplot(1, len(families), j + 1)
        for name, m in zip(models, metrics, strict=True):
            pts = [(k, m[f"{fam}@{k}"]) for k in present if f"{fam}@{k}" in m]
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xticks(present, [str(k) for k in present])
        ax.set_xlabel("K")
        ax.set_title(f"{fam.upper()}@K")
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize="small")
    return _save(fig, path)


def segment_bars(models: Sequence[str], segments: Sequence[Mapping[str, Mapping[str, Mapping[str, float]]]],
                 path: Path, metric: str = "ndcg@10", item_metric: str = "hr@10") -> Path | None:
    """Per-segment bars: user activity segments (``metric``) and head/tail targets (``item_metric``).

    ``segments[m]`` is ``{"activity": {seg: {metric: ..}}, "popularity": {"head": {..}, "tail": {..}}}``.
    """
    panels = [(kind, key) for kind, key in (("activity", metric), ("popularity", item_metric))
              if any(kind in s and s[kind] for s in segments)]
    if not panels or not models:
        return None
    fig = _figure(5.0 * len(panels), 3.8)
    for j, (kind, key) in enumerate(panels):
        groups: list[str] = []
        for s in segments:
            for g in s.get(kind, {}):
                if g not in groups:
                    groups.append(g)
        vals = np.array([[float(s.get(kind, {}).get(g, {}).get(key, np.nan)) for g in groups]
                         for s in segments])
        size_key = "users" if kind == "activity" else "targets"
        first = next(s[kind] for s in segments if s.get(kind))
        ticks = [f"{g}\n(n={int(first[g][size_key])})" if size_key in first.get(g, {}) else g for g in groups]
        ax = fig.add_subplot(1, len(panels), j + 1)
        _grouped_bars(ax, ticks, models, np.nan_to_num(vals))
        ax.set_title(f"{key} by {'user activity' if kind == 'activity' else 'target popularity'}")
        ax.legend(fontsize="small")
    return _save(fig, path)


def lorenz(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve of a count vector: cumulative share of items (x) vs of their total (y), from (0, 0).

    >>> x, y = lorenz(np.array([0, 0, 2, 2]))
    >>> x.tolist(), y.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 0.5, 1.0])
    """
    c = np.sort(np.asarray(counts, dtype=np.float64))
    x = np.linspace(0.0, 1.0, len(c) + 1)
    total = c.sum()
    y = np.concatenate([[0.0], np.cumsum(c) / total]) if total > 0 else x.copy()
    return x, y


def exposure_plot(models: Sequence[str], exposures: Sequence[np.ndarray | None], path: Path,
                  k: int = 10, item_popularity: np.ndarray | None = None) -> Path | None:
    """Lorenz curves of how often each catalog item is recommended in the top-``k`` lists, per model.

    ``exposures[m]`` is a per-item count vector (None skips that model); ``item_popularity`` (training
    interactions per item) is drawn as a dashed reference.
    """
    drawn = [(n, e) for n, e in zip(models, exposures, strict=True) if e is not None and e.sum() > 0]
    if not drawn:
        return None
    fig = _figure(5.2, 4.6)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, label="equal exposure")
    if item_popularity is not None and np.sum(item_popularity) > 0:
        ax.plot(*lorenz(item_popularity), color="black", ls="--", lw=1.0,
                label=f"training popularity (Gini {gini(item_popularity):.2f})")
    for name, e in drawn:
        ax.plot(*lorenz(e), label=f"{name} (Gini {gini(e):.2f})")
    ax.set_xlabel("share of catalog items (least exposed first)")
    ax.set_ylabel(f"share of top-{k} slots")
    ax.set_title(f"Exposure of recommended items (top-{k})")
    ax.legend(fontsize="small")
    return _save(fig, path)

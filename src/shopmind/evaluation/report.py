"""Benchmark reports: one JSON document, one Markdown page and PNG charts from a list of model results.

The JSON has exactly this shape (numbers are plain floats; NaN is written as ``null``)::

    {"dataset": {"name", "users", "items", "interactions"},
     "protocol": {..., "statistics": {"method", "n_boot", "confidence", "seed", "primary"}},
     "results": [{"model", "params", "metrics": {"hr@10", "ndcg@10", ...}, "ci": {"ndcg@10": {"mean", "low",
                  "high"}, ...}, "train_seconds", "peak_rss_mb"}, ...],   # sorted by the primary metric
     "comparisons": [{"metric", "model_a", "model_b", "n_users", "mean_diff", "ci_low", "ci_high",
                      "p_bootstrap", "p_ttest", "p_wilcoxon", ...}, ...]}  # best model (a) vs each other

Examples
--------
>>> import tempfile
>>> res = [ModelResult("pop", {"ndcg@10": 0.04, "hr@10": 0.08}), ModelResult("knn", {"ndcg@10": 0.06})]
>>> files = write_report(res, {"name": "toy", "users": 3, "items": 5, "interactions": 9},
...                      {"split": "leave-one-out"}, tempfile.mkdtemp(), plots=False)
>>> sorted(files)
['json', 'markdown']
>>> [r.model for r in sort_results(res)]
['knn', 'pop']
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError
from shopmind.evaluation import plots as charts
from shopmind.evaluation.protocol import EvalResult
from shopmind.evaluation.segments import activity_breakdown, popularity_breakdown
from shopmind.evaluation.stats import ConfidenceInterval, bootstrap_ci, paired_test
from shopmind.training import metrics as M

log = logging.getLogger(__name__)

DATASET_KEYS: tuple[str, ...] = ("name", "users", "items", "interactions")
#: Leaderboard columns after the model name, as ``(metric key template, header)``; ``{k}`` is the primary K.
_BOARD = (("ndcg@{k}", "NDCG@{k}"), ("hr@{k}", "HR@{k}"), ("mrr@{k}", "MRR@{k}"),
          ("coverage@{k}", "coverage@{k}"))


@dataclass
class ModelResult:
    """What the bench knows about one trained model.

    Attributes
    ----------
    model : display name (unique within a report).
    metrics : ``"ndcg@10" -> value`` (means over test users, plus catalog metrics such as coverage).
    params : hyperparameters.
    per_user : ``"ndcg@10" -> [n_users]`` vectors, needed for intervals and paired tests.
    train_seconds, peak_rss_mb : cost of training (None when unknown).
    users : dense ids of the evaluated users, aligning ``per_user`` across models (None: same order).
    topk : ``[n_users, K]`` recommended items, for the exposure plot.
    segments : ``{"activity": {seg: {...}}, "popularity": {"head": {...}, "tail": {...}}}``.
    """

    model: str
    metrics: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)
    per_user: dict[str, np.ndarray] = field(default_factory=dict)
    train_seconds: float | None = None
    peak_rss_mb: float | None = None
    users: np.ndarray | None = None
    topk: np.ndarray | None = None
    segments: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.metrics = {str(k): float(v) for k, v in self.metrics.items()}
        self.per_user = {str(k): np.asarray(v, dtype=np.float64) for k, v in self.per_user.items()}
        if self.users is not None:
            self.users = np.asarray(self.users, dtype=np.int64)
        if self.topk is not None:
            self.topk = np.asarray(self.topk, dtype=np.int64)

    @classmethod
    def from_eval(cls, model: str, result: EvalResult, params: Mapping[str, Any] | None = None,
                  train_seconds: float | None = None, peak_rss_mb: float | None = None,
                  history: Interactions | None = None, k: int = 10) -> ModelResult:
        """Wrap an :class:`EvalResult`; given the training ``history``, also compute the segment breakdowns
        (user activity for HR/NDCG/MRR@k and head/tail target hit rate at ``k``).

        >>> r = EvalResult(np.arange(2), np.zeros((2, 1), int), [], {"hr@1": np.ones(2)}, {"hr@1": 1.0})
        >>> ModelResult.from_eval("m", r).metrics
        {'hr@1': 1.0}
        """
        segments: dict[str, dict[str, dict[str, float]]] = {}
        if history is not None and len(result.users):
            names = [m for m in (f"ndcg@{k}", f"hr@{k}", f"mrr@{k}") if m in result.per_user]
            if names:
                segments["activity"] = activity_breakdown(result, history, metrics=names)
            if k <= result.topk.shape[1]:
                segments["popularity"] = popularity_breakdown(result, history, k=k)
        return cls(model, dict(result.metrics), dict(params or {}), dict(result.per_user), train_seconds,
                   peak_rss_mb, result.users, result.topk, segments)

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> ModelResult:
        """Build from a dict with the field names (``model`` and ``metrics`` required).

        >>> ModelResult.from_mapping({"model": "pop", "metrics": {"hr@10": 0.1}}).model
        'pop'
        """
        for key in ("model", "metrics"):
            if key not in d:
                raise ParameterError("ModelResult.from_mapping", key, None, f"present (keys: {sorted(d)})")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ParameterError("ModelResult.from_mapping", unknown[0], d[unknown[0]],
                                 f"one of the fields {sorted(known)}")
        return cls(**dict(d))


def coerce_results(results: Iterable[ModelResult | Mapping[str, Any]]) -> list[ModelResult]:
    """Accept :class:`ModelResult` objects or plain dicts with the same fields."""
    out = [r if isinstance(r, ModelResult) else ModelResult.from_mapping(r) for r in results]
    names = [r.model for r in out]
    if len(set(names)) != len(names):
        raise ParameterError("write_report", "results", names, "results with distinct model names")
    return out


def sort_results(results: Iterable[ModelResult | Mapping[str, Any]],
                 primary: str = "ndcg@10") -> list[ModelResult]:
    """Best first by ``primary``; results without it (or NaN) go last, ties keep their input order."""
    rs = coerce_results(results)

    def key(r: ModelResult) -> float:
        v = r.metrics.get(primary)
        return -float(v) if v is not None and math.isfinite(float(v)) else math.inf

    return sorted(rs, key=key)


def confidence_intervals(result: ModelResult, metrics: Sequence[str], n_boot: int = 1000,
                         confidence: float = 0.95, seed: int = 0) -> dict[str, ConfidenceInterval]:
    """Bootstrap intervals for the ``metrics`` that have per-user vectors (others are skipped).

    >>> r = ModelResult("m", {"hr@10": 0.5}, per_user={"hr@10": np.array([0.0, 1.0] * 10)})
    >>> sorted(confidence_intervals(r, ["hr@10", "ndcg@10"], n_boot=100))
    ['hr@10']
    """
    return {m: bootstrap_ci(result.per_user[m], n_boot=n_boot, confidence=confidence, seed=seed)
            for m in metrics if m in result.per_user and len(result.per_user[m])}


def _aligned(a: ModelResult, b: ModelResult, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
    va, vb = a.per_user.get(metric), b.per_user.get(metric)
    if va is None or vb is None:
        return None
    if a.users is not None and b.users is not None:
        _, ia, ib = np.intersect1d(a.users, b.users, assume_unique=True, return_indices=True)
        return (va[ia], vb[ib]) if len(ia) else None
    return (va, vb) if len(va) == len(vb) and len(va) else None


def compare_to_best(results: Sequence[ModelResult], metrics: Sequence[str], n_boot: int = 1000,
                    confidence: float = 0.95, seed: int = 0) -> list[dict[str, Any]]:
    """Paired tests of ``results[0]`` (the best, after :func:`sort_results`) against each other model.

    Per-user vectors are aligned on ``users`` when both results have them, else taken in order.

    >>> a = ModelResult("a", {}, per_user={"hr@10": np.ones(50)})
    >>> b = ModelResult("b", {}, per_user={"hr@10": np.zeros(50)})
    >>> [(c["model_b"], c["mean_diff"]) for c in compare_to_best([a, b], ["hr@10"], n_boot=100)]
    [('b', 1.0)]
    """
    if len(results) < 2:
        return []
    best = results[0]
    out: list[dict[str, Any]] = []
    for other in results[1:]:
        for metric in metrics:
            pair = _aligned(best, other, metric)
            if pair is None:
                log.warning("no paired %s values for %s vs %s; comparison skipped", metric, best.model,
                            other.model)
                continue
            t = paired_test(pair[0], pair[1], n_boot=n_boot, confidence=confidence, seed=seed)
            out.append({"metric": metric, "model_a": best.model, "model_b": other.model, **t.to_dict()})
    return out


def dataset_summary(data: Interactions) -> dict[str, Any]:
    """The ``dataset`` block of a report for an :class:`Interactions`.

    >>> dataset_summary(Interactions.from_sequences({"u": ["a", "b"]}, name="toy"))
    {'name': 'toy', 'users': 1, 'items': 2, 'interactions': 2}
    """
    d = data.describe()
    return {"name": data.name, "users": int(d["users"]), "items": int(d["items"]),
            "interactions": int(d["interactions"])}


def _plain(obj: Any) -> Any:
    """JSON-safe copy: numpy scalars/arrays to Python, NaN/inf to None, tuples to lists."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(float(obj)) else None
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, Path):
        return str(obj)
    return repr(obj)


def _primary_k(primary: str) -> int:
    try:
        return int(primary.rsplit("@", 1)[1])
    except (IndexError, ValueError):
        raise ParameterError("write_report", "primary", primary, "a metric name like 'ndcg@10'") from None


def build_report(results: Iterable[ModelResult | Mapping[str, Any]], dataset_info: Mapping[str, Any],
                 protocol: Mapping[str, Any], *, primary: str = "ndcg@10",
                 ci_metrics: Sequence[str] | None = None, compare_metrics: Sequence[str] | None = None,
                 n_boot: int = 1000, confidence: float = 0.95,
                 seed: int = 0) -> tuple[dict[str, Any], list[ModelResult]]:
    """The JSON document (see the module docstring) and the results sorted best first.

    >>> doc, ranked = build_report([ModelResult("a", {"ndcg@10": 0.1})],
    ...                            {"name": "t", "users": 1, "items": 2, "interactions": 3}, {"split": "loo"})
    >>> sorted(doc), doc["results"][0]["model"]
    (['comparisons', 'dataset', 'protocol', 'results'], 'a')
    """
    missing = [k for k in DATASET_KEYS if k not in dataset_info]
    if missing:
        raise ParameterError("write_report", "dataset_info", dict(dataset_info),
                             f"a mapping with the keys {list(DATASET_KEYS)} (missing {missing})")
    k = _primary_k(primary)
    ranked = sort_results(results, primary)
    ci_names = list(ci_metrics) if ci_metrics is not None else \
        [f"{m}@{k}" for m in ("ndcg", "hr", "mrr", "recall", "map")]
    cmp_names = list(compare_metrics) if compare_metrics is not None else \
        list(dict.fromkeys([primary, f"hr@{k}"]))
    entries = []
    for r in ranked:
        cis = confidence_intervals(r, ci_names, n_boot=n_boot, confidence=confidence, seed=seed)
        entries.append({
            "model": r.model, "params": r.params, "metrics": r.metrics,
            "ci": {m: {"mean": c.mean, "low": c.low, "high": c.high} for m, c in cis.items()},
            "train_seconds": r.train_seconds, "peak_rss_mb": r.peak_rss_mb,
        })
    stats = {"method": "percentile bootstrap over test users; paired bootstrap, t-test and Wilcoxon "
                       "signed-rank for comparisons",
             "n_boot": n_boot, "confidence": confidence, "seed": seed, "primary": primary}
    doc = {
        "dataset": {key: dataset_info[key] for key in DATASET_KEYS},
        "protocol": {**protocol, "statistics": stats},
        "results": entries,
        "comparisons": compare_to_best(ranked, cmp_names, n_boot=n_boot, confidence=confidence, seed=seed),
    }
    return _plain(doc), ranked


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{float(v):.{digits}f}"


def _leaderboard(entries: Sequence[Mapping[str, Any]], k: int,
                 with_ci: bool) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the leaderboard from JSON result entries (already sorted)."""
    header = ["#", "model"] + [h.format(k=k) for _, h in _BOARD] + ["train s", "peak MB"]
    rows = []
    for i, e in enumerate(entries, 1):
        cells = [str(i), str(e["model"])]
        for key_t, _ in _BOARD:
            key = key_t.format(k=k)
            cell = _fmt(e["metrics"].get(key))
            ci = e.get("ci", {}).get(key)
            if with_ci and ci and ci.get("low") is not None:
                cell += f" [{_fmt(ci['low'])}, {_fmt(ci['high'])}]"
            cells.append(cell)
        cells += [_fmt(e.get("train_seconds"), 1), _fmt(e.get("peak_rss_mb"), 0)]
        rows.append(cells)
    return header, rows


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _segment_tables(ranked: Sequence[ModelResult], k: int, primary: str) -> list[str]:
    lines: list[str] = []
    with_act = [r for r in ranked if r.segments.get("activity")]
    if with_act:
        segs = list(with_act[0].segments["activity"])
        sizes = {s: int(with_act[0].segments["activity"][s].get("users", 0)) for s in segs}
        lines += ["", "### By user activity (training interactions of the test user)", ""]
        for metric in dict.fromkeys([primary, f"hr@{k}"]):
            header = ["model"] + [f"{s} {metric} (n={sizes[s]})" for s in segs]
            rows = [[r.model] + [_fmt(r.segments["activity"].get(s, {}).get(metric)) for s in segs]
                    for r in with_act]
            lines += [*_md_table(header, rows), ""]
    with_pop = [r for r in ranked if r.segments.get("popularity")]
    if with_pop:
        pop0 = with_pop[0].segments["popularity"]
        key = next((m for m in pop0.get("head", {}) if m.startswith("hr@")), f"hr@{k}")
        if lines and lines[-1] == "":
            lines.pop()
        lines += ["", "### By target popularity (head = most popular items, tail = the rest)", ""]
        header = ["model"] + [f"{s} {key} (n={int(pop0[s].get('targets', 0))} targets)" for s in pop0]
        rows = [[r.model] + [_fmt(r.segments["popularity"].get(s, {}).get(key)) for s in pop0]
                for r in with_pop]
        lines += _md_table(header, rows)
    return lines


def render_markdown(doc: Mapping[str, Any], ranked: Sequence[ModelResult], images: Mapping[str, Path],
                    primary: str = "ndcg@10") -> str:
    """The Markdown page: leaderboard (with CIs), paired comparisons, segment tables and the charts.

    >>> info = {"name": "t", "users": 1, "items": 2, "interactions": 3}
    >>> doc, ranked = build_report([ModelResult("a", {"ndcg@10": 0.1})], info, {})
    >>> render_markdown(doc, ranked, {}).splitlines()[0]
    '# Benchmark: t'
    """
    k = _primary_k(primary)
    ds, stats = doc["dataset"], doc["protocol"].get("statistics", {})
    conf = float(stats.get("confidence", 0.95))
    proto = ", ".join(f"{key}={v}" for key, v in doc["protocol"].items() if key != "statistics")
    lines = [f"# Benchmark: {ds['name']}", "",
             f"{ds['users']} users, {ds['items']} items, {ds['interactions']} interactions. "
             f"Protocol: {proto}.",
             "", f"## Leaderboard (sorted by {primary}; [{conf:.0%} CI] bootstrap over test users)", ""]
    lines += _md_table(*_leaderboard(doc["results"], k, with_ci=True))
    if doc["comparisons"]:
        lines += ["", f"## Paired comparisons: best model vs each other ({conf:.0%} CI of the difference)",
                  ""]
        header = ["metric", "A", "B", "mean A - B", "CI", "p bootstrap", "p t-test", "p Wilcoxon", "users"]
        rows = [[c["metric"], c["model_a"], c["model_b"], _fmt(c["mean_diff"]),
                 f"[{_fmt(c['ci_low'])}, {_fmt(c['ci_high'])}]", _fmt(c["p_bootstrap"], 4),
                 _fmt(c["p_ttest"], 4), _fmt(c["p_wilcoxon"], 4), str(c["n_users"])]
                for c in doc["comparisons"]]
        lines += _md_table(header, rows)
    seg_lines = _segment_tables(ranked, k, primary)
    if seg_lines:
        lines += ["", "## Segments", *seg_lines]
    if images:
        lines += ["", "## Charts", ""] + [f"![{name}]({path.name})" for name, path in images.items()]
    return "\n".join(lines) + "\n"


def _plot_all(ranked: Sequence[ModelResult], doc: Mapping[str, Any], out: Path, primary: str,
              item_popularity: np.ndarray | None) -> dict[str, Path]:
    k = _primary_k(primary)
    names = [r.model for r in ranked]
    metrics = [r.metrics for r in ranked]
    cis = [e["ci"] for e in doc["results"]]
    conf = float(doc["protocol"].get("statistics", {}).get("confidence", 0.95))
    n_items = int(doc["dataset"]["items"])
    exposures = [M.exposure_counts(r.topk, n_items, k)
                 if r.topk is not None and r.topk.shape[1] >= k else None for r in ranked]
    made = {
        "plot_metrics": charts.metric_bars(names, metrics, cis, [f"hr@{k}", f"ndcg@{k}", f"mrr@{k}"],
                                          out / "metrics.png", confidence=conf),
        "plot_curves": charts.k_curves(names, metrics, out / "k_curves.png"),
        "plot_segments": charts.segment_bars(names, [r.segments for r in ranked], out / "segments.png",
                                            metric=primary, item_metric=f"hr@{k}"),
        "plot_exposure": charts.exposure_plot(names, exposures, out / "exposure.png", k=k,
                                             item_popularity=item_popularity),
    }
    return {key: p for key, p in made.items() if p is not None}


def write_report(results: Iterable[ModelResult | Mapping[str, Any]], dataset_info: Mapping[str, Any],
                 protocol: Mapping[str, Any], out_dir: str | Path, *, primary: str = "ndcg@10",
                 ci_metrics: Sequence[str] | None = None, compare_metrics: Sequence[str] | None = None,
                 n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
                 item_popularity: np.ndarray | None = None, plots: bool = True) -> dict[str, Path]:
    """Write ``report.json``, ``report.md``, ``segments.json`` (when there are segments) and PNG charts.

    Parameters
    ----------
    results : :class:`ModelResult` objects or dicts with the same fields.
    dataset_info : ``name``, ``users``, ``items``, ``interactions`` (see :func:`dataset_summary`).
    protocol : free-form description of the protocol (split, ks, exclude_seen, ...).
    out_dir : created if needed.
    primary : metric that orders the leaderboard and picks the best model for comparisons.
    ci_metrics : metrics that get bootstrap intervals (default NDCG, HR, MRR, recall, MAP at the primary K).
    compare_metrics : metrics of the paired tests (default the primary metric and HR at its K).
    item_popularity : training interactions per item, drawn as a reference in the exposure plot.
    plots : False skips the charts (faster, no matplotlib import).

    Returns
    -------
    dict
        ``{"json", "markdown", "segments_json"?, "plot_metrics"?, "plot_curves"?, "plot_segments"?,
        "plot_exposure"?}`` -> path of each file written.

    Examples
    --------
    >>> import tempfile
    >>> files = write_report([ModelResult("a", {"ndcg@10": 0.1})],
    ...                      {"name": "t", "users": 1, "items": 2, "interactions": 3}, {}, tempfile.mkdtemp(),
    ...                      plots=False)
    >>> files["json"].name, files["markdown"].name
    ('report.json', 'report.md')
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc, ranked = build_report(results, dataset_info, protocol, primary=primary, ci_metrics=ci_metrics,
                               compare_metrics=compare_metrics, n_boot=n_boot, confidence=confidence,
                               seed=seed)
    files: dict[str, Path] = {"json": out / "report.json", "markdown": out / "report.md"}
    files["json"].write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    if any(r.segments for r in ranked):
        files["segments_json"] = out / "segments.json"
        files["segments_json"].write_text(
            json.dumps(_plain({r.model: r.segments for r in ranked}), indent=2, ensure_ascii=False) + "\n")
    images = _plot_all(ranked, doc, out, primary, item_popularity) if plots else {}
    files["markdown"].write_text(render_markdown(doc, ranked, images, primary=primary))
    files.update(images)
    log.info("report written to %s (%d files)", out, len(files))
    return files


def leaderboard_rows(results: Iterable[ModelResult | Mapping[str, Any]],
                     primary: str = "ndcg@10") -> tuple[list[str], list[list[str]]]:
    """Header and rows of the leaderboard (no intervals), best first.

    >>> leaderboard_rows([ModelResult("pop", {"ndcg@10": 0.04})])[1][0][:3]
    ['1', 'pop', '0.0400']
    """
    ranked = sort_results(results, primary)
    entries = [{"model": r.model, "metrics": r.metrics, "train_seconds": r.train_seconds,
                "peak_rss_mb": r.peak_rss_mb} for r in ranked]
    return _leaderboard(entries, _primary_k(primary), with_ci=False)


def format_table(results: Iterable[ModelResult | Mapping[str, Any]], primary: str = "ndcg@10",
                 title: str | None = None) -> Table:
    """A :class:`rich.table.Table` leaderboard for the CLI (print it with ``rich.console.Console``).

    >>> format_table([ModelResult("pop", {"ndcg@10": 0.04})]).row_count
    1
    """
    header, rows = leaderboard_rows(results, primary)
    table = Table(title=title)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 1 else "right")
    for r in rows:
        table.add_row(*r)
    return table


def format_text(results: Iterable[ModelResult | Mapping[str, Any]], primary: str = "ndcg@10") -> str:
    """The leaderboard as aligned plain text (for logs and terminals without rich).

    >>> format_text([ModelResult("pop", {"ndcg@10": 0.04})]).splitlines()[0].split()[:3]
    ['#', 'model', 'NDCG@10']
    """
    header, rows = leaderboard_rows(results, primary)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(c.ljust(w) if i == 1 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in [header, *rows]]
    return "\n".join(lines)

"""Turn a bench run into the evaluation report (JSON, Markdown, PNG plots)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.bench import ModelRun
from shopmind.data.interactions import Interactions
from shopmind.evaluation.report import ModelResult, dataset_summary, write_report
from shopmind.evaluation.splits import Split


def write_bench_report(data: Interactions, split: Split, runs: Sequence[ModelRun], payload: Mapping[str, Any],
                       out_dir: Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md``, ``segments.json`` and plots for ``runs`` into ``out_dir``."""
    history = split.train_valid()
    results = [ModelResult.from_eval(r.model, r.result, r.params, r.train_seconds, r.peak_rss_mb, history=history)
               for r in runs if r.result is not None]
    pop = np.bincount(history.item, minlength=history.n_items)
    return write_report(results, dataset_summary(data), payload["protocol"], out_dir, item_popularity=pop)

"""RFM: recency, frequency and monetary scores (1-5) and the standard named groups.

Scores come from four edges per dimension: the 20/40/60/80% quantiles over the shop's customers (those with at
least one purchase), or fixed edges from :attr:`CustomerSettings.rfm_edges`. A value above k edges scores
k + 1 (recency the other way round: more days since the last purchase is a lower score), so customers tied on
a value always share a score. The named group comes from the R score and the FM score (the mean of F and M,
rounded half up) by the first matching :class:`~shopmind.customers.config.RfmRule`.

>>> import pandas as pd
>>> t = pd.DataFrame({"recency_days": [1, 10, 40, 200, 400.0], "frequency": [9, 5, 3, 1, 1.0],
...                   "monetary": [900, 300, 120, 40, 10.0]})
>>> edges = rfm_edges(t, CustomerSettings())
>>> s = rfm_scores(t, edges)
>>> s["rfm_r"].tolist(), rfm_groups(s, CustomerSettings()).tolist()
([5, 4, 3, 2, 1], ['champions', 'loyal', 'need_attention', 'hibernating', 'lost'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopmind.customers.config import CustomerSettings

DIMENSIONS = ("recency_days", "frequency", "monetary")


def rfm_edges(table: pd.DataFrame, settings: CustomerSettings) -> dict[str, list[float]]:
    """The four score edges of each dimension over the customers in ``table`` (fixed ones from settings win)."""
    out: dict[str, list[float]] = {}
    for dim in DIMENSIONS:
        if dim in settings.rfm_edges:
            out[dim] = [float(v) for v in settings.rfm_edges[dim]]
            continue
        values = pd.to_numeric(table[dim], errors="coerce").to_numpy(np.float64)
        values = values[np.isfinite(values)]
        out[dim] = np.quantile(values, [0.2, 0.4, 0.6, 0.8]).tolist() if len(values) else [0.0, 0.0, 0.0, 0.0]
    return out


def rfm_scores(table: pd.DataFrame, edges: dict[str, list[float]]) -> pd.DataFrame:
    """``rfm_r``, ``rfm_f``, ``rfm_m`` (ints 1-5) and ``rfm_fm`` for every row of ``table``."""
    def score(dim: str) -> np.ndarray:
        v = pd.to_numeric(table[dim], errors="coerce").fillna(0.0).to_numpy(np.float64)
        return np.asarray(1 + np.searchsorted(np.asarray(edges[dim]), v, side="left"), dtype=np.int64)

    r = 6 - score("recency_days")
    f, m = score("frequency"), score("monetary")
    fm = np.floor((f + m) / 2 + 0.5).astype(np.int64)
    return pd.DataFrame({"rfm_r": r.astype(np.int64), "rfm_f": f.astype(np.int64), "rfm_m": m.astype(np.int64),
                         "rfm_fm": fm}, index=table.index)


def rfm_groups(scores: pd.DataFrame, settings: CustomerSettings) -> pd.Series:
    """The named group of each row (None where no rule matches)."""
    out = np.full(len(scores), None, dtype=object)
    r, fm = scores["rfm_r"].to_numpy(), scores["rfm_fm"].to_numpy()
    for rule in reversed(settings.rfm_rules):  # the first rule wins: apply in reverse, earlier ones overwrite
        hit = (r >= rule.r[0]) & (r <= rule.r[1]) & (fm >= rule.fm[0]) & (fm <= rule.fm[1])
        out[hit] = rule.name
    return pd.Series(out, index=scores.index, dtype=object)


def rule_labels(settings: CustomerSettings) -> dict[str, tuple[str, str]]:
    """Group name -> (English label, Chinese label)."""
    return {r.name: (r.label, r.label_zh) for r in settings.rfm_rules}

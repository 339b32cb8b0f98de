"""The personalisation measure: statistics against scipy / statsmodels, and a small end-to-end run."""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from shopmind.evaluation.personalisation import measure_personalisation, paired_summary, wilson


def test_paired_summary_is_scipys_t_interval() -> None:
    d = np.array([0.12, 0.05, -0.02, 0.2, 0.08, 0.11, 0.0, 0.07])
    out = paired_summary(d)
    ci = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert np.isclose(out["mean"], d.mean()) and np.allclose([out["ci95_low"], out["ci95_high"]], ci, atol=1e-6)


def test_wilson_matches_statsmodels() -> None:
    for k, n in ((8, 10), (400, 500), (0, 20), (20, 20)):
        assert np.allclose(wilson(k, n), proportion_confint(k, n, method="wilson"), atol=1e-9)


def test_a_small_run_measures_both_languages() -> None:
    result = measure_personalisation(20, n_items=150, shop_users=200, days=60, langs=("en", "zh"), encoder="hashing",
                                     k=4)
    doc = result.to_dict()
    assert doc["config"]["users"] == 20 and doc["config"]["slate"] == "pipeline"
    for lang in ("en", "zh"):
        r = doc["results"][lang]
        assert r["users"] == 20 and r["slate_sources"] == {"pipeline": 20}
        assert r["flagged_by_checker"] == 0 and r["generic_headlines"] == 0
        assert 0.0 <= r["matching_accuracy"] <= 1.0
        d = r["paired_difference"]
        assert d["ci95_low"] <= d["mean"] <= d["ci95_high"]
        # headlines name an item or interest of the user's own history: closer to it than to another's
        assert d["mean"] > 0, r

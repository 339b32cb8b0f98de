"""The analysis of an experiment on a synthetic log with a known effect: per-variant numbers by hand, SRM,
CUPED, the sequential timeline, attribution through recommendation ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data.synth.shop import generate_demo_shop
from shopmind.experiments.analysis import analyze, cuped_on_log, purchase_revenue, user_table
from shopmind.experiments.assignment import Experiment

T0 = pd.Timestamp("2024-05-01", tz="UTC")


def _experiment(**extra: object) -> Experiment:
    return Experiment.create({"experiment_id": "e", "surface": "home", "variants": [{"name": "control"},
                                                                                    {"name": "treatment"}],
                              "attribution_hours": 48, "pre_period_days": 7, **extra}, [], now=T0)


def _log(exp: Experiment, users: int, lift: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    exposures, events = [], []
    for i in range(users):
        u = f"u{i}"
        v = exp.assign(u)
        t0 = T0 + pd.Timedelta(hours=float(rng.uniform(0, 24 * 7)))
        habit = rng.gamma(1.0, 1.0)  # a user's pre-period spending predicts the experiment period
        for k in range(int(rng.integers(1, 4))):
            exposures.append({"experiment_id": "e", "variant": v, "user_id": u, "recommendation_id": f"r{i}-{k}",
                              "timestamp": t0 + pd.Timedelta(minutes=k)})
        p_buy = min(0.9, 0.15 * habit * (1 + (lift if v == "treatment" else 0.0)))
        if rng.random() < p_buy:
            events.append({"user_id": u, "item_id": "x", "type": "purchase", "value": 1.0,
                           "timestamp": t0 + pd.Timedelta(hours=2), "context": {"revenue": 50.0 * habit}})
        if rng.random() < min(0.9, 0.15 * habit):
            events.append({"user_id": u, "item_id": "x", "type": "purchase", "value": 1.0,
                           "timestamp": t0 - pd.Timedelta(days=2), "context": {"revenue": 50.0 * habit}})
        if rng.random() < 0.3:
            events.append({"user_id": u, "item_id": "x", "type": "click", "value": np.nan,
                           "timestamp": t0 + pd.Timedelta(minutes=5),
                           "context": {"recommendation_id": f"r{i}-0" if rng.random() < 0.5 else "elsewhere"}})
    return pd.DataFrame(exposures), pd.DataFrame(events)


def test_user_table_counts_by_hand() -> None:
    exp = _experiment()
    u = next(f"u{i}" for i in range(50) if exp.assign(f"u{i}") == "treatment")
    exposures = pd.DataFrame([
        {"experiment_id": "e", "variant": "treatment", "user_id": u, "recommendation_id": "r1", "timestamp": T0},
        {"experiment_id": "e", "variant": "treatment", "user_id": u, "recommendation_id": "r2",
         "timestamp": T0 + pd.Timedelta(hours=1)},
        {"experiment_id": "other", "variant": "x", "user_id": u, "recommendation_id": None, "timestamp": T0}])
    ev = pd.DataFrame([
        {"user_id": u, "item_id": "a", "type": "click", "value": np.nan, "timestamp": T0 + pd.Timedelta(hours=1),
         "context": {"recommendation_id": "r2"}},
        {"user_id": u, "item_id": "a", "type": "click", "value": np.nan, "timestamp": T0 + pd.Timedelta(hours=2),
         "context": {}},
        {"user_id": u, "item_id": "a", "type": "purchase", "value": 2.0, "timestamp": T0 + pd.Timedelta(hours=3),
         "context": {"revenue": 30.0}},
        {"user_id": u, "item_id": "b", "type": "purchase", "value": 1.0, "timestamp": T0 + pd.Timedelta(hours=49),
         "context": {}},  # outside the 48 h window
        {"user_id": u, "item_id": "b", "type": "purchase", "value": 1.0, "timestamp": T0 - pd.Timedelta(days=3),
         "context": {}},  # pre-period, priced from the catalog
    ])
    items = pd.DataFrame({"item_id": ["a", "b"], "price": [15.0, 8.0]})
    row = user_table(exp, exposures, ev, items).iloc[0]
    assert (row["variant"], row["exposures"], row["clicks"], row["purchases"], row["revenue"]) == (
        "treatment", 2.0, 2.0, 1.0, 30.0)
    assert (row["pre_purchases"], row["pre_revenue"]) == (1.0, 8.0)
    by_rec = user_table(exp, exposures, ev, items, attribution="recommendation").iloc[0]
    assert by_rec["clicks"] == 1.0 and by_rec["purchases"] == 0.0  # only events echoing r1/r2 count
    assert purchase_revenue(ev, None).tolist() == [0.0, 0.0, 30.0, 1.0, 1.0]


def test_analysis_finds_a_real_effect_and_cuped_shrinks_the_interval() -> None:
    exp = _experiment(metrics=["revenue_per_user", "conversion", "ctr"], mde=0.3)
    exposures, events = _log(exp, 3000, lift=0.6, seed=1)
    rep = analyze(exp, exposures, events)
    assert rep.users == 3000 and not rep.srm.mismatch
    assert [v.variant for v in rep.variants] == ["control", "treatment"]
    rev = next(c for c in rep.comparisons if c.metric == "revenue_per_user")
    assert rev.fixed.value > 0 and rev.significant_fixed
    assert rev.cuped_fixed is not None and rev.variance_reduction is not None and rev.variance_reduction > 0.05
    assert rev.cuped_fixed.se < rev.fixed.se
    ctr = next(c for c in rep.comparisons if c.metric == "ctr")
    assert ctr.method == "delta" and ctr.cuped_fixed is None and not ctr.significant_fixed
    assert len(rep.timeline) == 8 and rep.timeline[-1]["metric"] == "revenue_per_user"
    p = [r["sequential_p_value"] for r in rep.timeline]
    assert p == sorted(p, reverse=True) and rev.sequential_p_value == p[-1]
    widths = [r["cs_high"] - r["cs_low"] for r in rep.timeline]
    assert widths == sorted(widths, reverse=True)  # the running intersection only narrows
    d = rep.as_dict()
    assert d["srm"]["mismatch"] is False and d["comparisons"][0]["metric"] == "revenue_per_user"


def test_analysis_flags_an_injected_48_52_split() -> None:
    exp = _experiment()
    exposures, events = _log(exp, 12_000, lift=0.0, seed=2)
    first = exposures.drop_duplicates("user_id")
    control_users = first.loc[first["variant"] == "control", "user_id"]
    # a logging bug loses 8% of the control group's exposures: 48/52 instead of 50/50
    lost = set(control_users.sample(frac=0.08, random_state=0))
    rep = analyze(exp, exposures[~exposures["user_id"].isin(lost)], events)
    assert rep.srm.mismatch and rep.srm.p_value < 1e-3
    assert analyze(exp, exposures, events).srm.mismatch is False


def test_cuped_on_the_demo_shop_reduces_variance() -> None:
    shop = generate_demo_shop(n_users=800, n_items=300, days=60, seed=3)
    res = cuped_on_log(shop.events, shop.items, pre_days=30, post_days=30, metric="clicks_per_user")
    assert res["users"] == shop.events["user_id"].nunique()
    assert 0 < res["variance_reduction"] < 1
    assert res["variance_reduction"] == pytest.approx(res["correlation"] ** 2, abs=0.02)
    assert res["se_ratio"] < 1

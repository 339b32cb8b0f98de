"""Churn: the temporal split, no feature seeing past its cutoff, the baselines and the explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures.customers import SHOP_END
from shopmind.customers.activity import item_tags, prepare_activity
from shopmind.customers.churn import ChurnModel, churn_features, churn_labels, evaluate_churn, reliability
from shopmind.customers.config import CustomerSettings
from shopmind.errors import DataError, NotFittedError

DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def shop_activity(small_shop_frames):
    items, users, events = small_shop_frames
    return prepare_activity(events, item_tags(items), CustomerSettings(), SHOP_END), users, events, items


def test_no_feature_sees_past_the_cutoff(shop_activity):
    activity, users, events, items = shop_activity
    cutoff = SHOP_END - 100 * DAY
    before = churn_features(activity, cutoff, users, 90)
    # rewrite everything after the cutoff: many more purchases, other users, other items
    later = events[events["timestamp"] > cutoff].copy()
    later["type"] = "purchase"
    later["user_id"] = later["user_id"].sample(frac=1.0, random_state=1).to_numpy()
    later["timestamp"] = later["timestamp"] - pd.to_timedelta(np.arange(len(later)) % 1000, unit="s")
    later = later[later["timestamp"] > cutoff]
    changed = pd.concat([events[events["timestamp"] <= cutoff], later, later.assign(event_id=None)])
    after = churn_features(prepare_activity(changed, item_tags(items), CustomerSettings(), SHOP_END), cutoff,
                           users, 90)
    pd.testing.assert_frame_equal(before, after)
    assert (before["recency_days"] >= 0).all() and (before["days_since_last_event"] >= 0).all()


def test_labels_look_only_inside_the_window(shop_activity):
    activity = shop_activity[0]
    cutoff = SHOP_END - 120 * DAY
    users = churn_features(activity, cutoff, None, 60).index
    y = churn_labels(activity, cutoff, 60, users)
    buys = activity.purchases
    window = buys[(buys["timestamp"] > cutoff) & (buys["timestamp"] <= cutoff + 60 * DAY)]
    assert set(y[y == 0].index) == set(window["user_id"]) & set(users)


def test_temporal_split_and_both_baselines(shop_activity):
    activity, users, _, _ = shop_activity
    test_cutoff = SHOP_END - 60 * DAY
    ev = evaluate_churn(activity, test_cutoff, 60, users=users)
    assert ev.train_cutoff == test_cutoff - 60 * DAY and ev.train_horizon_days == 60
    report = ev.report()
    for name in ("model", "recency", "bgnbd"):
        assert 0.0 <= report[name]["auc"] <= 1.0 and 0.0 <= report[name]["pr_auc"] <= 1.0
    assert report["users"] == len(ev.test_labels) and 0 < report["churn_rate"] < 1
    assert report["calibration"]["model"]["bins"] and report["test_cutoff"] == test_cutoff.isoformat()
    # training labels never look past the test cutoff
    short = evaluate_churn(activity, test_cutoff, 90, train_cutoff=test_cutoff - 30 * DAY, users=users)
    assert short.train_horizon_days == 30
    with pytest.raises(DataError, match="before the test cutoff"):
        evaluate_churn(activity, test_cutoff, 60, train_cutoff=test_cutoff)


def test_model_explains_a_score(shop_activity):
    activity, users, _, _ = shop_activity
    cutoff = SHOP_END - 90 * DAY
    x = churn_features(activity, cutoff, users, 90)
    model = ChurnModel(min_samples_leaf=5).fit(x, churn_labels(activity, cutoff, 90, x.index))  # a small shop
    p = model.predict_proba(x)
    assert p.shape == (len(x),) and np.all((p >= 0) & (p <= 1))
    why = model.explain(x.iloc[int(np.argmax(np.abs(p - np.median(p))))], top=3)  # the least typical customer
    assert 1 <= len(why) <= 3 and all(w["feature"] in x.columns for w in why)
    assert abs(why[0]["effect"]) >= abs(why[-1]["effect"])
    with pytest.raises(NotFittedError):
        ChurnModel().predict_proba(x)
    with pytest.raises(DataError, match="all"):
        ChurnModel().fit(x, pd.Series(1, index=x.index))


def test_reliability_bins_and_ece():
    y = np.array([0, 0, 1, 1])
    r = reliability(y, np.array([0.05, 0.15, 0.85, 0.95]))
    assert [b["bin"] for b in r["bins"]] == [0, 1, 8, 9] and r["ece"] == pytest.approx(0.1)

"""BG/NBD and Gamma-Gamma reproduce Fader, Hardie & Lee on the CDNOW sample (fixed data from the lifetimes wheel)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from shopmind.customers.clv import (
    CDNOW_OBSERVATION_END,
    BetaGeoModel,
    GammaGammaModel,
    cdnow_calibration_end,
    cumulative_repeat_purchases,
    fit_clv,
    read_cdnow,
    summarise,
)
from shopmind.errors import DataError, NotFittedError, ParameterError

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_dir):
    tx = read_cdnow(cdnow_dir / "CDNOW_sample.txt")
    summary = summarise(tx, cdnow_calibration_end(tx, 39), CDNOW_OBSERVATION_END)
    return tx, fit_clv(summary)


def test_cdnow_sample_has_the_published_shape(cdnow_fit):
    tx, fit = cdnow_fit
    assert tx["customer_id"].nunique() == 2357 and len(fit.summary.frame) == 2357
    assert fit.summary.calibration_end == pd.Timestamp("1997-09-30")
    assert fit.summary.frame["T"].max() == pytest.approx(272 / 7)  # a first purchase on 1 January
    assert fit.report()["holdout"]["actual"] == 1882  # the paper's holdout repeat purchases


def test_bgnbd_reproduces_the_published_parameters_within_1_percent(cdnow_fit):
    bg = cdnow_fit[1].report()["bgnbd"]
    for name, published in PUBLISHED_BGNBD.items():
        assert bg[name] == pytest.approx(published, rel=0.01), name
    assert bg["log_likelihood"] == pytest.approx(PUBLISHED_LL, abs=0.5)


def test_gamma_gamma_reproduces_the_published_parameters_within_2_percent(cdnow_fit):
    gg = cdnow_fit[1].report()["gamma_gamma"]
    for name, published in PUBLISHED_GG.items():
        assert gg[name] == pytest.approx(published, rel=0.02), name
    assert cdnow_fit[1].gamma_gamma.n_customers_ == 946  # repeat buyers with a spend


def test_holdout_prediction_and_tracking_curve(cdnow_fit):
    tx, fit = cdnow_fit
    h = fit.report()["holdout"]
    assert 1500 < h["predicted"] < 1900 and 0.5 < h["mae"] < 1.0
    curve = cumulative_repeat_purchases(tx, fit.bgnbd, pd.Timestamp("1997-01-01"), 78)
    assert curve["actual"].is_monotonic_increasing and curve["predicted"].is_monotonic_increasing
    # the model tracks the calibration period closely (paper, figure 2)
    assert curve.loc[38, "predicted"] == pytest.approx(curve.loc[38, "actual"], rel=0.03)


def test_predictions_are_probabilities_and_counts():
    m = BetaGeoModel.from_dict({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    x, tx, T = np.array([0, 1, 5, 40]), np.array([0.0, 30.0, 2.0, 38.0]), np.array([38.0, 38.0, 38.0, 38.0])
    p = m.probability_alive(x, tx, T)
    assert p[0] == 1.0 and np.all((p > 0) & (p <= 1)) and p[2] < p[1]  # 5 purchases, long silent: likely gone
    e = m.conditional_expected_purchases(39.0, x, tx, T)
    assert np.all(np.isfinite(e)) and np.all(e >= 0) and e[3] > e[1]
    assert m.expected_purchases(0.0) == 0.0 and m.expected_purchases(52.0) > m.expected_purchases(26.0)
    gg = GammaGammaModel.from_dict(PUBLISHED_GG)
    spend = gg.conditional_expected_spend([0, 2, 2], [0.0, 10.0, 50.0])
    assert spend[0] == pytest.approx(6.25 * 15.44 / 2.74) and spend[1] < spend[2]


def test_summarise_counts_per_day_and_a_tiny_fixed_example():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b"],
                       "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-08 09:00", "2024-01-08 18:00",
                                                    "2024-02-05 00:00", "2024-01-15 00:00"]),
                       "amount": [10.0, 5.0, 7.0, 30.0, 8.0]})
    s = summarise(tx, "2024-01-31", "2024-03-01").frame
    assert s.loc["a", "frequency"] == 1  # two orders on 8 January are one transaction
    assert s.loc["a", "monetary"] == 12.0 and s.loc["a", "recency"] == 1.0 and s.loc["a", "T"] == 30 / 7
    assert s.loc["a", "holdout_frequency"] == 1 and s.loc["b", "holdout_frequency"] == 0
    assert s.loc["b", "frequency"] == 0 and s.loc["b", "monetary"] == 0.0


def test_read_cdnow_master_and_sample_layouts():
    master = io.StringIO(" customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n")
    sample = io.StringIO(" 00004 0001 19970101  2   29.33\n")
    a, b = read_cdnow(master), read_cdnow(sample)
    assert a.loc[0, ["customer_id", "cds", "amount"]].tolist() == ["1", 1, 11.77]
    assert b.loc[0, "customer_id"] == "4" and b.loc[0, "timestamp"] == pd.Timestamp("1997-01-01")
    with pytest.raises(DataError, match="CDNOW columns"):
        read_cdnow(io.StringIO("1 2\n3 4\n"))


def test_bad_summaries_and_parameters_are_clear_errors():
    with pytest.raises(DataError, match="empty"):
        BetaGeoModel().fit([], [], [])
    with pytest.raises(DataError, match="repeat"):
        BetaGeoModel().fit([0, 0], [0, 0], [5, 5])
    with pytest.raises(DataError, match="recency <= T"):
        BetaGeoModel().fit([1, 2], [9.0, 1.0], [5.0, 5.0])
    with pytest.raises(ParameterError, match="penalizer"):
        BetaGeoModel(penalizer=-1).fit([1], [1], [2])
    with pytest.raises(NotFittedError):
        BetaGeoModel().probability_alive([1], [1], [2])
    with pytest.raises(DataError, match="positive spend"):
        GammaGammaModel().fit([1, 0], [0.0, 5.0])

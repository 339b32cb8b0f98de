"""CTR / conversion rankers: labels and causal features, learning a planted signal, persistence, errors,
the ranking stage of the live service, and the `shopmind ctr` commands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import ShopmindError
from shopmind.evaluation.ctr import run_ctr_bench
from shopmind.ranking import Ranker, build_dataset, create_ranker

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def _ev(user, item, typ, minutes, session="s1", **ctx):
    return {"user_id": user, "item_id": item, "type": typ, "timestamp": T0 + pd.Timedelta(minutes=minutes),
            "session_id": session, "context": ctx}


def planted_log(n_users=200, n_items=60, n_sessions=6, seed=0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Users like one of 3 categories; they click impressions of it 40% of the time, others 4%."""
    rng = np.random.default_rng(seed)
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(n_items)],
                          "category": [f"Shop > C{k % 3}" for k in range(n_items)],
                          "price": rng.uniform(5, 50, n_items).round(2),
                          "brand": [f"B{k % 5}" for k in range(n_items)]})
    rows, minute = [], 0
    for s in range(n_sessions):
        for u in range(n_users):
            fav = u % 3
            shown = rng.choice(n_items, 6, replace=False)
            for pos, i in enumerate(shown, 1):
                minute += 1
                rows.append(_ev(f"u{u}", f"i{i}", "impression", minute, f"s{s}-{u}", page="home", position=pos))
                if rng.random() < (0.4 if i % 3 == fav else 0.04):
                    rows.append(_ev(f"u{u}", f"i{i}", "view", minute + 1, f"s{s}-{u}"))
    return pd.DataFrame(rows), items


@pytest.fixture(scope="module")
def planted():
    events, items = planted_log()
    return build_dataset(events, items, target="click", warmup=0.2, chunks=5), events, items


@pytest.mark.parametrize("name", ["lr", "fm", "gbdt"])
def test_rankers_learn_user_category_affinity_and_are_calibrated(planted, name):
    ds = planted[0]
    params = {"fm": {"epochs": 6}, "gbdt": {"max_iter": 60}}.get(name, {})
    runs = {r.name: r for r in run_ctr_bench(ds, [name], {name: params})}
    m = runs[name].metrics
    assert m["auc"] > 0.75 and m["auc"] > runs["item_ctr"].metrics["auc"] + 0.1, runs
    assert m["logloss"] < runs["constant"].metrics["logloss"]
    assert abs(m["mean_p"] - m["rate"]) < 0.04 and m["ece"] < 0.07


def test_save_load_gives_identical_probabilities(planted, tmp_path):
    ds = planted[0]
    train, valid = ds.split_by_time((0.8,))
    for name in ("fm", "lr"):
        model = create_ranker(name, epochs=2) if name == "fm" else create_ranker(name)
        model.fit(train, valid)
        path = model.save(tmp_path / f"{name}.pkl")
        back = Ranker.load(path)
        np.testing.assert_allclose(back.predict_proba(valid.dense, valid.fields),
                                   model.predict_proba(valid.dense, valid.fields), rtol=1e-6)
    (tmp_path / "junk.pkl").write_bytes(b"\x80\x05K\x01.")  # a pickled 1
    with pytest.raises(ShopmindError, match="not a shopmind ranker"):
        Ranker.load(tmp_path / "junk.pkl")
    with pytest.raises(ShopmindError, match="not fitted"):
        create_ranker("lr").predict_proba(valid.dense, valid.fields)


def test_one_class_training_data_is_refused(planted):
    ds = planted[0]
    with pytest.raises(ShopmindError, match="positive and negative"):
        create_ranker("lr").fit(ds.take(np.flatnonzero(ds.label == 0)))


def test_logistic_ranker_serves_the_fitted_pipeline_exactly(planted):
    """The scaler is folded into the weights for serving; the probabilities must be the pipeline's."""
    ds = planted[0]
    model = create_ranker("lr", C=0.5).fit(ds)
    np.testing.assert_allclose(model.predict_proba(ds.dense, ds.fields),
                               model.model_.predict_proba(ds.dense)[:, 1], rtol=1e-5, atol=1e-9)
    del model.weights_  # an artifact from before the folding still predicts through the pipeline
    np.testing.assert_allclose(model.predict_proba(ds.dense[:7], ds.fields[:7]),
                               model.model_.predict_proba(ds.dense[:7])[:, 1])


def test_boosted_trees_serve_the_fitted_forest_exactly(planted):
    """Serving walks the trees as flat arrays; the probabilities must be scikit-learn's, missing values
    included, and a model whose trees cannot be read falls back to scikit-learn."""
    ds = planted[0]
    train, valid = ds.split_by_time((0.8,))
    model = create_ranker("gbdt", max_iter=40).fit(train, valid)
    assert model.forest_ is not None and model.forest_.depth > 1
    x = model._x(valid.dense, valid.fields).astype(np.float64)
    x[::7, 3] = np.nan  # missing values follow each split's learned side
    expected = model.model_.predict_proba(x)[:, 1]
    np.testing.assert_allclose(1 / (1 + np.exp(-model.forest_.raw(x))), expected, rtol=1e-10, atol=1e-12)
    before = model.predict_proba(valid.dense, valid.fields)
    model.forest_ = None  # e.g. another scikit-learn's tree layout: predict through scikit-learn
    np.testing.assert_allclose(model.predict_proba(valid.dense, valid.fields), before, rtol=1e-9)

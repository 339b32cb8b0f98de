"""CTR / conversion rankers: labels and causal features, learning a planted signal, persistence, errors,
the ranking stage of the live service, and the `shopmind ctr` commands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from shopmind.errors import DataError, ParameterError, ShopmindError
from shopmind.ranking import Ranker, build_dataset, create_ranker
from shopmind.ranking.bench import ctr_metrics, expected_calibration_error, run_ctr_bench
from shopmind.ranking.features import DENSE

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def _ev(user, item, typ, minutes, session="s1", **ctx):
    return {"user_id": user, "item_id": item, "type": typ, "timestamp": T0 + pd.Timedelta(minutes=minutes),
            "session_id": session, "context": ctx}


def test_labels_are_later_engagement_in_the_same_session_and_features_use_only_the_past():
    rows = [
        _ev("u1", "a", "purchase", 0, "s0"),                       # history: a is popular before
        _ev("u1", "a", "impression", 10, page="home", position=1),
        _ev("u1", "b", "impression", 10, page="home", position=2),
        _ev("u1", "a", "impression", 11, page="home", position=1),  # repeat exposure: one row per session
        _ev("u1", "a", "view", 12),                                 # a -> clicked
        _ev("u2", "b", "view", 13, "s2"),                           # b viewed, but in another session
        _ev("u2", "b", "impression", 14, "s2"),                     # impression after the view: not a click
        _ev("u3", "c", "purchase", 20, "s3"),                       # future event: must not leak into features
    ]
    ds = build_dataset(pd.DataFrame(rows), target="click", warmup=0.0, chunks=1)
    assert len(ds) == 3
    got = {(ds.users.raw(int(u)), ds.catalog.raw(int(f[1]))): bool(y)
           for u, f, y in zip(ds.user, ds.fields, ds.label, strict=True)}
    assert got == {("u1", "a"): True, ("u1", "b"): False, ("u2", "b"): False}
    pop = ds.dense[:, DENSE.index("log_popularity")]
    a_row = next(i for i in range(3) if ds.catalog.raw(int(ds.fields[i, 1])) == "a")
    assert pop[a_row] > 0  # the purchase before the chunk counts
    c = ds.catalog.index("c")
    assert not (ds.fields[:, 1] == c).any()
    # position and page come from the context
    assert sorted(ds.fields[:, 6].tolist()) == [1, 1, 2]


def test_conversion_target_sessionises_logs_without_session_ids():
    rows = [
        {"user_id": "u", "item_id": "x", "type": "view", "timestamp": T0},
        {"user_id": "u", "item_id": "x", "type": "purchase", "timestamp": T0 + pd.Timedelta(minutes=5)},
        {"user_id": "u", "item_id": "y", "type": "view", "timestamp": T0 + pd.Timedelta(hours=5)},
        {"user_id": "u", "item_id": "x", "type": "view", "timestamp": T0 + pd.Timedelta(hours=6)},
        {"user_id": "u", "item_id": "y", "type": "purchase", "timestamp": T0 + pd.Timedelta(hours=9)},
    ]
    ds = build_dataset(pd.DataFrame(rows), target="conversion", warmup=0.0, chunks=1)
    labels = dict(zip([ds.catalog.raw(int(i)) + str(int(t)) for i, t in zip(ds.fields[:, 1], ds.time, strict=True)],
                      ds.label.tolist(), strict=True))
    # x converted in the first session; y's purchase came 4 h later, in a new session
    assert sorted(labels.values()) == [0.0, 0.0, 1.0]
    assert ds.label[0] == 1.0


def test_bad_input_names_the_problem():
    frame = pd.DataFrame([_ev("u", "a", "view", 0)])
    with pytest.raises(ParameterError, match="target"):
        build_dataset(frame, target="likes")
    with pytest.raises(DataError, match="impression"):
        build_dataset(frame, target="click")
    with pytest.raises(DataError, match="timestamp"):
        build_dataset(frame.drop(columns=["timestamp"]))
    with pytest.raises(ParameterError, match="'svm'"):
        create_ranker("svm")
    with pytest.raises(ParameterError, match="k"):
        create_ranker("fm", k=0).fit(None)  # validation runs before touching the data


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


def test_calibration_error_and_metrics_on_known_values():
    y = np.array([0, 0, 1, 1])
    assert expected_calibration_error(y, np.array([0.0, 0.0, 1.0, 1.0]), bins=2) == pytest.approx(0.0, abs=1e-9)
    assert expected_calibration_error(y, np.full(4, 0.5), bins=1) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(4, 0.9), bins=1) == pytest.approx(0.4)
    assert ctr_metrics(y, np.array([0.1, 0.2, 0.8, 0.9]))["auc"] == 1.0


def test_the_service_ranking_stage_promotes_likely_clicks(trained_shop):
    from shopmind.pipeline import RecommendationService
    from shopmind.storage import open_store

    with open_store(f"sqlite:///{trained_shop.db}") as store:
        events, items = store.events_frame(), store.items_frame()
        ds = build_dataset(events, items, target="click", warmup=0.3, chunks=4)
        ranker = create_ranker("lr").fit(*ds.split_by_time((0.9,)))
        service = RecommendationService.open(store, trained_shop.model)
        user = trained_shop.heavy_user()
        from shopmind.pipeline.rules import RerankOptions

        opts = RerankOptions(explore=0)
        plain = [i.item_id for i in service.recommend(user, n=10, options=opts).items]
        info = service.set_ranker(ranker)
        assert info["ranker"] == "lr" and service.status()["ranker"]["ranker"] == "lr"
        ranked = [i.item_id for i in service.recommend(user, n=10, options=opts).items]
        assert ranked != plain
        cat = service.state.catalog
        seen = service.state.sessions.context(user, service.state.history).seen
        p = service.ranker.probabilities(cat, service.state.signals, user, seen, cat.indices(plain + ranked))
        assert p[10:].mean() > p[:10].mean()  # the ranked list is the one the ranker expects more clicks on
        service.set_ranker(None)
        assert [i.item_id for i in service.recommend(user, n=10, options=opts).items] == plain


def test_ctr_cli_bench_and_train(trained_shop, tmp_path, monkeypatch):
    from shopmind.cli.main import app

    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    store = f"sqlite:///{trained_shop.db}"
    res = runner.invoke(app, ["ctr", "bench", "--store", store, "-m", "lr", "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "item_ctr" in res.output and "AUC" in res.output
    import json

    payload = json.loads((tmp_path / "r.json").read_text())
    assert [r["model"] for r in payload["runs"]] == ["constant", "item_ctr", "lr"]
    res = runner.invoke(app, ["ctr", "train", "--store", store, "-m", "lr", "--out", str(tmp_path / "lr.pkl")])
    assert res.exit_code == 0, res.output
    assert Ranker.load(tmp_path / "lr.pkl").name == "lr"
    res = runner.invoke(app, ["ctr", "bench", "--store", store, "-m", "svm"])
    assert res.exit_code == 2 and "svm" in res.output
    res = runner.invoke(app, ["ctr", "bench", "--store", store, "-p", "nodot=1"])
    assert res.exit_code == 2 and "MODEL.NAME=VALUE" in res.output


def test_one_request_context_gives_the_same_features_as_one_context_per_row():
    """The live service passes one Context for all candidates, training replays one per row: both paths must
    produce identical features, or the ranker would serve on features it never saw."""
    from shopmind.pipeline.catalog import Catalog
    from shopmind.pipeline.signals import ItemSignals
    from shopmind.ranking.features import Context, UserProfile, dense_features, sparse_fields

    cat = Catalog()
    cat.upsert_frame(pd.DataFrame({"item_id": [f"i{k}" for k in range(30)],
                                   "category": [f"A > B{k % 4}" for k in range(30)],
                                   "brand": [f"br{k % 3}" for k in range(30)],
                                   "price": np.linspace(5, 80, 30)}))
    sig = ItemSignals({"view": 1.0, "purchase": 3.0})
    sig.add(np.array([1, 2, 2, 7]), np.array(["view", "view", "purchase", "view"], dtype=object),
            np.array([0, 1, 2, 3]))
    profile = UserProfile.build(cat, np.array([2, 6, 10, 11]))
    items = np.arange(30)
    for ctx in (Context("search", "mobile", 3, 14), Context(None, None, None, None), Context("x", "tv", 99, 0)):
        one = dense_features(cat, sig, profile, items, ctx)
        each = dense_features(cat, sig, profile, items, [ctx] * len(items))
        np.testing.assert_array_equal(one, each)
        np.testing.assert_array_equal(sparse_fields(cat, 4, items, ctx), sparse_fields(cat, 4, items, [ctx] * 30))
    # category shares are the user's history shares: items 2, 6, 10 are in B2 (3 of 4), 11 in B3
    share = dense_features(cat, sig, profile, items, Context())[:, DENSE.index("user_category_share")]
    assert share[2] == pytest.approx(0.75) and share[3] == pytest.approx(0.25) and share[0] == 0.0


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

"""The sequence-model base (SASRec and GRU4Rec through it): learning, early stopping on held-out items, the
time budget, ensembles, side features, parameter errors, persistence, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from fixtures.sequences import SEQ_MODELS, TINY
from shopmind.data import Interactions
from shopmind.errors import ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.models import Recommender, create
from shopmind.models.gru4rec import GRU4Rec
from shopmind.models.sasrec import SASRec
from shopmind.training import loop
from shopmind.training.splits import leave_one_out


@pytest.fixture(scope="module")
def fitted(cyclic):
    split = leave_one_out(cyclic)
    full = split.train_valid()
    return {name: create(name, **TINY).fit(full) for name in SEQ_MODELS}, split, full


# ---------------------------------------------------------------------------------------------- learning
@pytest.mark.parametrize("name", SEQ_MODELS)
def test_learns_the_cycle_and_beats_popularity(fitted, name):
    models, split, full = fitted
    pop = evaluate(create("popular").fit(full), full, split.test).metrics["ndcg@10"]
    got = evaluate(models[name], full, split.test).metrics
    assert got["hr@10"] > 0.9, got
    assert got["ndcg@10"] > pop + 0.4, (got, pop)


@pytest.mark.parametrize("loss", ["sce", "bce", "gbce"])
def test_sampled_losses_learn(cyclic, loss):
    split = leave_one_out(cyclic)
    full = split.train_valid()
    m = SASRec(**{**TINY, "loss": loss, "n_negatives": 8, "epochs": 40}).fit(full)
    assert evaluate(m, full, split.test).metrics["hr@10"] > 0.6


def test_early_stopping_keeps_the_best_validated_weights(cyclic):
    split = leave_one_out(cyclic)
    m = SASRec(**{**TINY, "epochs": 12, "eval_every": 2, "patience": 2}).fit(split.train, split.valid)
    evals = [h["valid_ndcg@10"] for h in m.history_ if "valid_ndcg@10" in h]
    assert evals and m.best_valid_ndcgs_ == [pytest.approx(max(evals))]
    assert m.best_epochs_[0] in [h["epoch"] for h in m.history_]
    # the restored weights reproduce the best validation score under the project's protocol
    got = evaluate(m, split.train, split.valid).metrics["ndcg@10"]
    assert got == pytest.approx(m.best_valid_ndcgs_[0], abs=0.03)


def test_without_validation_it_holds_out_last_items_and_still_recommends_from_full_histories(cyclic):
    split = leave_one_out(cyclic)
    full = split.train_valid()
    m = SASRec(**{**TINY, "epochs": 8, "eval_every": 2, "patience": 2, "auto_valid": 25}).fit(full)
    evals = [h for h in m.history_ if "valid_ndcg@10" in h]
    assert evals, "auto_valid should drive early stopping"
    # after training the model reads every user's complete history and masks all of it
    assert m.seen_.nnz == full.to_csr(weighted=False).nnz
    np.testing.assert_array_equal(np.diff(m.seq_indptr_), np.minimum(np.diff(full.indptr), TINY["max_len"]))
    assert m.seq_items_[m.seq_indptr_[1] - 1] == full.history(0)[-1]
    off = SASRec(**{**TINY, "epochs": 3, "auto_valid": 0}).fit(full)
    assert not [h for h in off.history_ if "valid_ndcg@10" in h] and len(off.history_) == 3


@pytest.mark.parametrize("klass", [SASRec, GRU4Rec])
def test_time_budget_stops_training_early_and_ends_the_schedule_there(cyclic, monkeypatch, klass):
    clock = {"t": 0.0}

    def fake_clock() -> float:  # every call advances 0.5 s: epochs take measurable, predictable time
        clock["t"] += 0.5
        return clock["t"]

    monkeypatch.setattr(loop.time, "perf_counter", fake_clock)
    split = leave_one_out(cyclic)
    full = split.train_valid()
    m = klass(**{**TINY, "epochs": 50, "auto_valid": 0, "time_budget": 8.0}).fit(full)
    assert 1 <= len(m.history_) < 10  # far fewer than the 50 epochs asked for
    unlimited = klass(**{**TINY, "epochs": 6, "auto_valid": 0}).fit(full)
    assert len(unlimited.history_) == 6
    # the learning rate decayed to the end of its schedule within the epochs that fitted
    assert m.history_[-1]["lr"] < 0.05 * TINY["lr"] < m.history_[0]["lr"]


def test_text_initialised_item_embeddings_start_from_the_item_text(cyclic):
    m = SASRec(**{**TINY, "epochs": 1, "text_init": "hashing"})
    m.validate_params()
    init = m._initial_item_embeddings(cyclic)
    assert init.shape == (cyclic.n_items, TINY["d"])
    assert init.std() == pytest.approx(TINY["d"] ** -0.5, rel=0.2)
    titles = cyclic.item_meta.set_index(cyclic.item_meta.index)["title"]
    same = [i for i in range(cyclic.n_items) if titles.get(i) == titles.get(0)][1:]
    other = [i for i in range(cyclic.n_items) if titles.get(i) != titles.get(0)]
    cos = init @ init[0] / (np.linalg.norm(init, axis=1) * np.linalg.norm(init[0]))
    assert cos[same].mean() > cos[other].mean() + 0.2  # same title text -> nearby starting points
    fitted = SASRec(**{**TINY, "epochs": 2, "text_init": "hashing"}).fit(cyclic)
    assert fitted.item_vectors().shape == (cyclic.n_items, TINY["d"])
    with pytest.raises(ParameterError, match="text_init"):
        SASRec(text_init="glove").fit(cyclic)


def test_mixed_precision_only_when_asked(cyclic, monkeypatch):
    """float32 by default, whatever the machine: no timing probe decides (it once flipped a seeded test)."""
    assert SASRec().amp is False and GRU4Rec().amp is False
    used = []
    real = loop.autocast
    monkeypatch.setattr(loop, "autocast", lambda dev, enabled: used.append(enabled) or real(dev, enabled))
    SASRec(**{**TINY, "epochs": 1}).fit(cyclic)
    assert used and not any(used)
    used.clear()
    m = SASRec(**{**TINY, "epochs": 1, "amp": True}).fit(cyclic)
    assert used and all(used)
    assert np.isfinite(m.score(np.arange(3))).all()


def test_ensemble_averages_members(cyclic):
    m = GRU4Rec(**{**TINY, "epochs": 2, "n_models": 2}).fit(cyclic)
    assert len(m.nets_) == 2
    single = GRU4Rec(**{**TINY, "epochs": 2}).fit(cyclic)
    # the first member is the single model; the ensemble scores are mean log-probabilities
    np.testing.assert_allclose(m._net_scores(m.nets_[0], np.arange(4), 64), single.score(np.arange(4)), rtol=1e-5)
    s = m.score(np.arange(4))
    # a geometric mean of distributions has total mass <= 1
    assert (np.log(np.exp(s.astype(np.float64)).sum(1)) <= 1e-5).all()


def test_side_features_and_event_types_are_used(cyclic):
    m = SASRec(**{**TINY, "epochs": 2, "item_features": "category+title"}).fit(cyclic)
    assert m.n_item_features_ > 0
    assert m.event_vocab_ == ["purchase", "view"]
    vecs = m.item_vectors()
    assert vecs is not None and vecs.shape == (cyclic.n_items, 16)
    ids, _ = m.similar_items(0, N=3)
    assert len(ids) == 3 and 0 not in ids


def test_user_without_history_gets_finite_scores():
    df = pd.DataFrame({"user_id": ["a", "a", "a", "b"], "item_id": ["x", "y", "z", "x"], "timestamp": [1, 2, 3, 4]})
    data = Interactions.from_frame(df, users=None)
    data.users.add("nobody")  # a known user with no interactions
    for klass in (SASRec, GRU4Rec):
        m = klass(d=8, max_len=4, epochs=1, threads=1).fit(data)
        s = m.score(np.array([0, 1, 2]))
        assert s.shape == (3, 3) and np.isfinite(s).all()


# ---------------------------------------------------------------------------------------------- params
@pytest.mark.parametrize(("klass", "params", "name"), [
    (SASRec, {"d": 0}, "d"),
    (SASRec, {"n_heads": 3}, "n_heads"),  # 3 does not divide d=64
    (SASRec, {"loss": "hinge"}, "loss"),
    (SASRec, {"dropout": 1.5}, "dropout"),
    (SASRec, {"max_len": True}, "max_len"),
    (SASRec, {"item_features": "colour"}, "item_features"),
    (SASRec, {"lr": 0}, "lr"),
    (GRU4Rec, {"n_layers": 0}, "n_layers"),
    (GRU4Rec, {"device": "tpu"}, "device"),
    (GRU4Rec, {"epochs": 0}, "epochs"),
    (SASRec, {"time_budget": 0}, "time_budget"),
    (GRU4Rec, {"time_budget": "10m"}, "time_budget"),
    (SASRec, {"use_time": "yes"}, "use_time"),
    (SASRec, {"block": "lstm"}, "block"),
    (SASRec, {"amp": "auto"}, "amp"),
])
def test_bad_parameters_name_themselves(cyclic, klass, params, name):
    with pytest.raises(ParameterError, match=rf"The '{name}' parameter of {klass.__name__} must be"):
        klass(**params).fit(cyclic)


# ---------------------------------------------------------------------------------------------- persistence
@pytest.mark.parametrize("name", SEQ_MODELS)
def test_save_load_scores_identical(fitted, name, tmp_path):
    models, _, _ = fitted
    m = models[name]
    users = np.arange(10)
    loaded = Recommender.load(m.save(tmp_path / name))
    np.testing.assert_array_equal(m.score(users), loaded.score(users))
    assert not any(net.training for net in loaded.nets_)


@pytest.mark.parametrize("name", SEQ_MODELS)
def test_fixed_seed_is_reproducible(cyclic, name):
    params = {**TINY, "epochs": 3}
    a = create(name, **params).fit(cyclic).score(np.arange(8))
    b = create(name, **params).fit(cyclic).score(np.arange(8))
    c = create(name, **{**params, "seed": 1}).fit(cyclic).score(np.arange(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_scoring_restores_the_thread_setting(fitted):
    before = torch.get_num_threads()
    fitted[0]["sasrec"].score(np.arange(3))
    assert torch.get_num_threads() == before


def gap_data(n_users: int = 120, length: int = 12, seed: int = 0) -> Interactions:
    """The item after an event is "quick" when that event came within a minute of the one before, else
    "slow"; gaps are random, so the items alone say nothing about the next one."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        t, item = 0, "quick"
        for _ in range(length):
            gap = int(rng.choice([5, 30, 7200, 200_000]))
            t += gap
            rows.append((f"u{u}", item, t))
            item = "quick" if gap <= 60 else "slow"
    return Interactions.from_frame(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def test_time_gap_embedding_predicts_what_only_the_timing_tells():
    data = gap_data()
    split = leave_one_out(data)
    targets = split.test.item  # one per user, in user order
    users = np.flatnonzero(np.diff(split.test.indptr) > 0)
    hits = {}
    for use_time in (False, True):
        m = SASRec(**{**TINY, "epochs": 25, "use_time": use_time, "patience": 0}).fit(split.train_valid())
        assert m.time_buckets_ == (20 if use_time else 1)
        top = m.recommend(users, N=1, filter_seen=False)[0][:, 0]
        hits[use_time] = float((top == targets).mean())
    assert hits[True] > 0.95  # the gap before the last event decides the next item
    assert hits[False] < 0.8  # without it the model can only guess the more frequent one


def test_use_time_is_ignored_without_real_times(cyclic):
    m = SASRec(**{**TINY, "epochs": 1, "use_time": True}).fit(cyclic)  # cyclic's times are positions
    assert m.time_buckets_ == 1

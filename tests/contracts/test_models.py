"""ONE contract suite every registered model must pass (in the spirit of implicit's shared test mixin)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from shopmind.errors import NotFittedError, ParameterError
from shopmind.models import Recommender, available, create
from shopmind.models.registry import parse_spec

# Small, fast settings for the tiny fixture; models not listed use their defaults. Every name must be a
# hyperparameter of that model: create() refuses any other, so a typo fails here instead of training with defaults.
FAST_PARAMS: dict[str, dict[str, object]] = {
    "sasrec": {"epochs": 3, "d": 16, "max_len": 16, "batch_size": 32},
    "gru4rec": {"epochs": 3, "d": 16, "max_len": 16, "batch_size": 32},
    "als": {"factors": 8, "epochs": 5},
    "bpr": {"factors": 8, "epochs": 20},
    "mf": {"factors": 8, "epochs": 5},
    "hybrid": {},
    "coldstart": {"base": "als:factors=8:epochs=5", "encoder": "hashing"},
    "fusion": {"encoder": "hashing", "epochs": 3, "d": 16},
    "lmtext": {"max_examples": 48, "batch_size": 16, "n_negatives": 8, "train_layers": 1, "threads": 1},
    "lmrerank": {"base": "itemknn", "top_n": 12,
                 "lm": "lmtext:max_examples=32:batch_size=16:n_negatives=8:train_layers=1:threads=1"},
}


def _model(name: str) -> Recommender:
    return create(name, **FAST_PARAMS.get(name, {}))


def test_fast_params_name_registered_models_and_their_hyperparameters():
    """A misspelt model or parameter name must fail, not train with defaults (it once did: ``epochs`` for
    ``mf``, whose passes were called ``iterations``)."""
    assert set(FAST_PARAMS) <= set(available())
    for name, params in FAST_PARAMS.items():
        unknown = set(params) - set(available()[name].param_names())
        assert not unknown, f"{name} has no hyperparameter(s) {sorted(unknown)}"


#: Names retired for the shared vocabulary (models/base.py): seed, epochs, threads.
RETIRED = {"num_threads": "threads", "random_state": "seed", "iterations": "epochs", "n_threads": "threads",
           "random_seed": "seed", "n_epochs": "epochs"}


@pytest.mark.parametrize("name", sorted(available()))
def test_shared_hyperparameters_have_one_name(name):
    params = set(available()[name].param_names())
    assert not params & set(RETIRED), {p: RETIRED[p] for p in params & set(RETIRED)}


@pytest.mark.parametrize("name", sorted(n for n, k in available().items() if "threads" in k.param_names()))
def test_threads_has_one_meaning(name, block_data):
    """``threads``: an int >= 0, 0 = every core this process may use; the same check everywhere."""
    with pytest.raises(ParameterError, match=r"'threads' parameter .* must be an int >= 0 \(0 = every core"):
        create(name, threads=-1).fit(block_data)


@pytest.fixture(scope="module", params=sorted(available()))
def fitted(request, block_data):
    return request.param, _model(request.param).fit(block_data), block_data


def test_fit_returns_self_and_learned_state_has_underscore(fitted):
    name, model, data = fitted
    assert model.n_items_ == data.n_items
    params = set(model.get_params())
    learned = [k for k in vars(model) if k not in params and not k.startswith("_")]
    assert learned and all(k.endswith("_") for k in learned), learned
    # hyperparameters are stored verbatim
    for k, v in FAST_PARAMS.get(name, {}).items():
        assert model.get_params()[k] == v


def test_score_shape(fitted):
    _, model, data = fitted
    s = model.score(np.array([0, 1, 2]))
    assert s.shape == (3, data.n_items)
    assert np.isfinite(s).all()


def test_recommend_single_and_batch(fitted):
    _, model, data = fitted
    ids, scores = model.recommend(0, N=5)
    assert ids.shape == (5,) and scores.shape == (5,)
    assert np.all(np.diff(scores) <= 1e-6), "scores must be descending"
    bids, bscores = model.recommend(np.array([0, 1]), N=5)
    assert bids.shape == (2, 5)
    np.testing.assert_array_equal(bids[0], ids)


def test_recommend_filters_seen_and_filter_items(fitted):
    _, model, data = fitted
    seen = set(data.history(3).tolist())
    ids, _ = model.recommend(3, N=10)
    assert not seen & set(ids[ids >= 0].tolist())
    banned = ids[:2]
    ids2, _ = model.recommend(3, N=10, filter_items=banned)
    assert not set(banned.tolist()) & set(ids2.tolist())
    ids3, _ = model.recommend(3, N=10, filter_seen=False)
    assert len(ids3) == 10


def test_recommend_restricted_to_items(fitted):
    _, model, data = fitted
    allowed = np.array([1, 2, 3, 30, 31])
    ids, _ = model.recommend(5, N=3, items=allowed, filter_seen=False)
    assert set(ids[ids >= 0].tolist()) <= set(allowed.tolist())


def test_bad_user_and_bad_n(fitted):
    _, model, data = fitted
    with pytest.raises(ParameterError, match="users"):
        model.recommend(data.n_users + 5)
    with pytest.raises(ParameterError, match="'N'"):
        model.recommend(0, N=0)


def test_save_load_identical(fitted, tmp_path):
    _, model, _ = fitted
    path = model.save(tmp_path / "m")
    loaded = Recommender.load(path)
    a = model.recommend(np.arange(6), N=7)
    b = loaded.recommend(np.arange(6), N=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
    assert loaded.items_ == model.items_ and loaded.users_ == model.users_


@pytest.mark.parametrize("name", sorted(available()))
def test_unfitted_model_raises(name):
    with pytest.raises(NotFittedError):
        _model(name).recommend(0)


@pytest.mark.parametrize("name", sorted(available()))
def test_unknown_param_is_rejected(name):
    with pytest.raises(ParameterError, match="no_such_param"):
        create(name, no_such_param=1)


def test_personalised_models_beat_popularity(block_data):
    """On block data, a personalised model must beat most-popular (the fixture has strong structure)."""
    from shopmind.evaluation.protocol import evaluate
    from shopmind.training.splits import leave_one_out

    split = leave_one_out(block_data)
    full = split.train_valid()
    pop = evaluate(create("popular").fit(full), full, split.test).metrics["ndcg@10"]
    knn = evaluate(create("itemknn").fit(full), full, split.test).metrics["ndcg@10"]
    assert knn > pop + 0.05


def _recorded_configurations() -> dict[str, str]:
    """The hybrid@best component lists of benchmarks/run.sh (VAR="..." lines ending in _BEST)."""
    text = (Path(__file__).resolve().parents[2] / "benchmarks" / "run.sh").read_text()
    return dict(re.findall(r'^(\w+_BEST)="([^"]+)"', text, flags=re.MULTILINE))


def test_recorded_benchmark_configurations_name_only_hyperparameters_models_accept():
    """benchmarks/run.sh reproduces the published numbers: every model and parameter it names must exist
    (a renamed or removed one would fail there after a 30-minute run, or worse, be ignored)."""
    configs = _recorded_configurations()
    assert {"BEAUTY_BEST", "ML1M_BEST", "ML100K_BEST"} <= set(configs)
    for label, components in configs.items():
        for spec in components.split(","):
            name, params = parse_spec(spec)
            model = create(name, **params)
            model.validate_params()
            assert all(model.get_params()[k] == v for k, v in params.items()), (label, spec)

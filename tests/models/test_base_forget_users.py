"""Recommender.forget_users: exact unlearning where the model allows it (item-kNN, user-kNN, EASE: the model
equals a fit without the users), the users' own rows removed everywhere else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from fixtures.sequences import TINY
from shopmind.data import Interactions
from shopmind.data.ids import IdMapping
from shopmind.errors import ParameterError
from shopmind.models import Recommender, create

EXACT = [("itemknn", {}), ("seqknn", {}), ("userknn", {"k": 10}), ("ease", {"l2": 50.0}),
         ("ease", {"l2": 50.0, "weighted": True})]
REMOVED = [("als", {"factors": 8, "epochs": 3, "threads": 1}), ("bpr", {"factors": 8, "epochs": 3, "threads": 1}),
           ("sasrec", TINY)]


def _frame(data: Interactions) -> pd.DataFrame:
    types = data.event_type if data.event_type is not None else np.full(len(data), "click", dtype=object)
    return pd.DataFrame({"user_id": data.users.raws(data.user.tolist()), "item_id": data.items.raws(data.item.tolist()),
                         "timestamp": data.timestamp, "type": types})


def _without(data: Interactions, gone: list[str]) -> Interactions:
    """The same data without the users ``gone``, on the same item ids and the same order of the other users."""
    frame = _frame(data)
    users = [u for u in data.users.to_list() if u not in gone]
    return Interactions.from_frame(frame[~frame["user_id"].isin(gone)], items=IdMapping(data.items.to_list()),
                                   users=IdMapping(users, kind="user"), name=data.name)


def _state_equal(a: object, b: object) -> None:
    for name, value in vars(a).items():
        if name.endswith("_") and name not in ("fit_info_", "train_seconds_", "users_", "items_"):
            other = vars(b)[name]
            if sp.issparse(value):
                assert (value != other).nnz == 0, name
            elif isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, other, err_msg=name)


@pytest.mark.parametrize(("name", "params"), EXACT, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXACT)])
def test_exact_unlearning_equals_a_fit_without_the_users(block_data: Interactions, name: str,
                                                         params: dict[str, object]) -> None:
    gone = ["u3", "u10", "u11"]
    model = create(name, **params).fit(block_data)
    action = model.forget_users(np.array([block_data.users.index(u) for u in gone]))
    retrained = create(name, **params).fit(_without(block_data, gone))
    assert action == "exact"
    assert model.users_.to_list() == retrained.users_.to_list() and model.n_users_ == block_data.n_users - 3
    _state_equal(model, retrained)
    users = np.arange(model.n_users_)
    np.testing.assert_array_equal(model.score(users), retrained.score(users))


@pytest.mark.parametrize(("name", "params"), REMOVED, ids=[n for n, _ in REMOVED])
def test_other_models_lose_the_users_own_rows(block_data: Interactions, cyclic: Interactions, name: str,
                                              params: dict[str, object], tmp_path) -> None:
    data = cyclic if name == "sasrec" else block_data
    model = create(name, **{**params, "seed": 0} if name != "sasrec" else params).fit(data)
    before = model.score(np.arange(model.n_users_))
    gone = [data.users.raw(2), data.users.raw(5)]
    action = model.forget_users(np.array([2, 5]))
    assert action == "user_removed"
    assert model.n_users_ == data.n_users - 2 and all(u not in model.users_ for u in gone)
    assert model.seen_.shape[0] == model.n_users_
    factors = model.linear_factors()
    if factors is not None:
        assert len(factors[0]) == model.n_users_
    # every other user keeps exactly the scores they had (their own rows moved up, nothing else changed)
    keep = np.setdiff1d(np.arange(data.n_users), [2, 5])
    np.testing.assert_allclose(model.score(np.arange(model.n_users_)), before[keep], rtol=1e-5, atol=1e-5)
    # and a saved artifact holds no trace of them
    path = model.save(tmp_path / name)
    loaded = Recommender.load(path)
    assert all(u not in loaded.users_ for u in gone) and loaded.n_users_ == model.n_users_


def test_forget_users_checks_its_indices(block_data: Interactions) -> None:
    model = create("itemknn").fit(block_data)
    with pytest.raises(ParameterError, match="forget_users"):
        model.forget_users(np.array([block_data.n_users]))
    assert model.forget_users(np.array([], dtype=np.int64)) == "exact" and model.n_users_ == block_data.n_users

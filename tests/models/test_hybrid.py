"""The hybrid blend: weights learned on held-out training interactions, component specs, refit policy;
and sequence models following new histories without retraining."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.models import create
from shopmind.training.splits import leave_one_out

TINY_SAS = "sasrec:d=16:max_len=12:epochs=3:threads=1:batch_size=16"


def _other_mapping():
    from shopmind.data import Interactions

    return Interactions.from_sequences({"a": ["x", "y"], "b": ["y", "z"]})


def test_learned_weights_are_the_best_point_of_the_grid_including_every_single_part(block_data):
    m = create("hybrid", components="itemknn,popular", grid_step=0.25).fit(block_data)
    table = m.valid_ndcg_
    assert "1.00,0.00" in table and "0.00,1.00" in table  # each part alone is on the grid
    best = max(table.values())
    chosen = ",".join(f"{w:.2f}" for w in m.weights_)
    assert table[chosen] == pytest.approx(best)
    assert table[chosen] >= max(table["1.00,0.00"], table["0.00,1.00"])


@pytest.mark.parametrize(("components", "match"), [("itemknn,nosuch", "components"), ("itemknn:k", "components"),
                                                   ("hybrid", "components")])
def test_bad_components_name_the_parameter(block_data, components, match):
    with pytest.raises(ParameterError, match=match):
        create("hybrid", components=components).fit(block_data)
    with pytest.raises(ParameterError, match="refit"):
        create("hybrid", refit="never").fit(block_data)


def test_refit_auto_reuses_the_sequence_network_and_reads_full_histories(block_data):
    m = create("hybrid", components=f"itemknn,{TINY_SAS}", grid_step=0.5).fit(block_data)
    assert m.reused_ == ["sasrec"]
    sas = m.models_[1]
    assert sas.seen_.nnz == block_data.to_csr(weighted=False).nnz
    assert np.isfinite(m.score(np.arange(5))).all()
    again = create("hybrid", components=f"itemknn,{TINY_SAS}", grid_step=0.5, refit="all").fit(block_data)
    assert again.reused_ == []


def test_sequence_models_follow_new_histories_without_retraining(block_data):
    split = leave_one_out(block_data)
    name, *params = TINY_SAS.split(":")
    kwargs = {k: int(v) for k, v in (p.split("=") for p in params)}
    sas = create(name, **kwargs).fit(split.train)
    before = sas.recommend(np.arange(10), N=5)[0]
    weights = [p.detach().clone() for p in sas.nets_[0].parameters()]
    full = split.train_valid()
    sas.update_histories(full)
    after = sas.recommend(np.arange(10), N=5)[0]
    assert not np.array_equal(before, after)  # the newest item changed what comes next
    for w, p in zip(weights, sas.nets_[0].parameters(), strict=True):
        assert np.array_equal(w.numpy(), p.detach().numpy())  # no training happened
    for u in range(10):  # the newly read items count as seen
        assert not set(after[u]) & set(full.history(u).tolist())
    with pytest.raises(ParameterError, match="data"):
        sas.update_histories(_other_mapping())


def test_early_stopping_components_validate_on_the_blends_held_out_items(block_data, monkeypatch):
    from shopmind.models.sasrec import SASRec
    from shopmind.training.splits import carve_validation

    seen: list[tuple[int, int | None]] = []
    real_fit = SASRec.fit

    def spy(self, train, valid=None):
        seen.append((len(train), None if valid is None else len(valid)))
        out = real_fit(self, train, valid)
        if valid is not None:
            assert np.array_equal(np.flatnonzero(np.diff(valid.indptr) > 0), users)
        return out

    carved = carve_validation(block_data, max_users=12, seed=0)
    hist, users = carved.rest, carved.users
    monkeypatch.setattr(SASRec, "fit", spy)
    m = create("hybrid", components=f"itemknn,{TINY_SAS}:patience=2:eval_every=1", grid_step=0.5,
               max_valid_users=12).fit(block_data)
    # trained once, on the blend's history with the blend's 12 held-out items as its validation:
    # no second hold-out of its own, so the network saw every other training interaction
    assert seen == [(len(hist), 12)]
    assert m.models_[1].history_ and "valid_ndcg@10" in m.models_[1].history_[0]
    # a fixed-schedule component (no early stopping) trains on the history alone, as before
    seen.clear()
    create("hybrid", components=f"itemknn,{TINY_SAS}:patience=0", grid_step=0.5, max_valid_users=12).fit(block_data)
    assert seen == [(len(hist), None)]

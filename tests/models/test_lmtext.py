"""The fine-tuned MiniLM next-item model (``lmtext``) and the retrieve-then-rerank model (``lmrerank``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError
from shopmind.models import create

COLOURS = ["red", "blue", "green", "black", "white", "yellow"]
KINDS = ["shirt", "hat", "scarf", "sock", "glove", "coat", "bag"]
FAST = {"batch_size": 16, "n_negatives": 8, "train_layers": 1, "threads": 1, "history_len": 4}


def _colour_shop(n_users: int = 90, seed: int = 0) -> Interactions:
    """Items are "<colour> <kind>"; every shopper sticks to one colour, so the next item's colour is
    readable from the text of the history and nowhere else (item ids carry no signal across users)."""
    rng = np.random.default_rng(seed)
    titles = [f"{c} {k}" for c in COLOURS for k in KINDS]
    seqs = {}
    for u in range(n_users):
        c = u % len(COLOURS)
        own = [c * len(KINDS) + k for k in rng.permutation(len(KINDS))[:5]]
        seqs[f"u{u}"] = [f"i{i}" for i in own]
    data = Interactions.from_sequences(seqs, name="colours")
    meta = pd.DataFrame({"title": [titles[int(data.items.raw(i)[1:])] for i in range(data.n_items)]})
    data.item_meta = meta
    return data


def _next_hit_rate(model, data: Interactions) -> float:
    """Share of users whose last item's colour is the colour of the model's top unseen pick."""
    titles = data.item_meta["title"].tolist()
    hits = 0
    for u in range(data.n_users):
        hist = data.history(u)
        ids, _ = model.recommend(u, N=1)
        hits += titles[int(ids[0])].split()[0] == titles[int(hist[-1])].split()[0]
    return hits / data.n_users


@pytest.fixture(scope="module")
def colours() -> Interactions:
    return _colour_shop()


def test_fine_tuning_lowers_the_loss_and_keeps_the_colour(colours):
    model = create("lmtext", epochs=2, max_examples=160, lr=1e-4, **FAST).fit(colours)
    log = model.train_log_
    assert len(log) == 2 and log[1]["loss"] < log[0]["loss"]
    assert _next_hit_rate(model, colours) >= 0.9
    zero_shot = create("lmtext", epochs=0, **FAST).fit(colours)
    assert zero_shot.train_log_ == []
    # fine-tuning changed the encoder
    assert not np.allclose(model.item_emb_, zero_shot.item_emb_)


def test_user_texts_follow_new_histories_and_the_cache_is_reset(colours):
    model = create("lmtext", epochs=0, **FAST).fit(colours)
    before = model.score(np.array([0]))[0].copy()
    # user 0 now shops one of user 1's items: their text, and so their scores, change
    extra = Interactions(user=np.array([0], dtype=np.int32), item=colours.history(1)[:1].astype(np.int32),
                         weight=np.ones(1, np.float32), timestamp=np.array([10**9], dtype=np.int64),
                         users=colours.users, items=colours.items, item_meta=colours.item_meta)
    model.update_histories(colours.concat(extra))
    assert not np.allclose(before, model.score(np.array([0]))[0])
    with pytest.raises(ParameterError, match="data"):
        model.update_histories(_colour_shop(n_users=12))


def test_rerank_with_alpha_zero_keeps_the_base_order_and_learns_alpha_on_validation(colours):
    base = create("itemknn").fit(colours)
    fixed = create("lmrerank", base="itemknn", top_n=10, alpha=0.0,
                   lm="lmtext:epochs=0:threads=1:history_len=4").fit(colours)
    users = np.arange(20)
    np.testing.assert_array_equal(fixed.recommend(users, N=10)[0], base.recommend(users, N=10)[0])
    learned = create("lmrerank", base="popular", top_n=20, alphas=[0.0, 0.5, 2.0],
                     lm="lmtext:epochs=0:threads=1:history_len=4").fit(colours)
    assert set(learned.valid_ndcg_) == {"0", "0.5", "2"}
    assert learned.valid_ndcg_[f"{learned.alpha_:g}"] == max(learned.valid_ndcg_.values())
    # popularity cannot tell colours apart; the text model can, so the re-ranker chooses to use it
    assert learned.alpha_ > 0
    assert _next_hit_rate(learned, colours) > _next_hit_rate(create("popular").fit(colours), colours)
    assert learned.rerank_ms_per_user_ >= 0
    why = learned.explain(0, int(learned.recommend(0, N=1)[0][0]))
    assert why["reason"] == "lm-rerank" and "because_of_text" in why["lm"]


@pytest.mark.parametrize(("params", "field"), [
    ({"base": "nosuch"}, "base"), ({"lm": "itemknn"}, "lm"), ({"top_n": 1}, "top_n"),
    ({"alphas": []}, "alphas"), ({"alpha": -1.0}, "alpha"),
])
def test_bad_rerank_parameters_name_the_parameter(colours, params, field):
    with pytest.raises(ParameterError, match=field):
        create("lmrerank", **params).fit(colours)


@pytest.mark.parametrize(("params", "field"), [({"train_layers": 7}, "train_layers"), ({"lr": 0}, "lr"),
                                               ({"batch_size": 1}, "batch_size")])
def test_bad_lm_parameters_name_the_parameter(colours, params, field):
    with pytest.raises(ParameterError, match=field):
        create("lmtext", **params).fit(colours)

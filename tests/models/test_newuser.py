"""Text encoders (offline, cross-lingual), the store-backed embedding cache, encoder-based content
models, text-based cold start of new items, and the `shopmind text` commands."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.models import create


def test_new_user_blend_sharpens_with_each_event_and_beats_its_parts(block_data):
    from shopmind.training.coldstart import cold_user_split, evaluate_cold_users

    split = cold_user_split(block_data, fraction=0.3, max_reveal=5, seed=0)
    assert not np.isin(split.train.user, split.users).any()
    assert all(len(r) == 5 for r in split.revealed) and all(len(t) for t in split.targets)
    blend = create("newuser", base="itemknn").fit(split.train)
    pop = create("popular").fit(split.train)
    got = [evaluate_cold_users(blend, split, r)["ndcg@10"] for r in (1, 3, 5)]
    base = [evaluate_cold_users(pop, split, r)["ndcg@10"] for r in (1, 3, 5)]
    assert got[2] > base[2] + 0.1  # five events of a taste group say more than popularity
    assert got[2] >= got[0]
    assert blend.c_ in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0) and blend.valid_ndcg_
    fixed = create("newuser", base="itemknn", c=4.0).fit(split.train)
    known = int(split.train.user[0])
    assert fixed.c_ == 4.0 and fixed.explain(known, 1)["prior_weight"] == pytest.approx(4 / (4 + 12), abs=0.05)
    with pytest.raises(ParameterError, match="base"):
        create("newuser", base="nosuch").fit(split.train)
    with pytest.raises(Exception, match="cannot score a history"):
        create("sasrec", epochs=1).score_history(split.revealed_rows(1))

"""Interactions.from_frame: ratings at or below a threshold are not positives."""

from __future__ import annotations

import pandas as pd

from shopmind.data import Interactions


def _ratings() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["u1", "u1", "u1", "u2", "u2"], "item_id": ["a", "b", "c", "a", "c"],
                         "type": ["rating", "rating", "rating", "rating", "view"], "value": [1, 2, 4, 5, 1],
                         "timestamp": [1, 2, 3, 4, 5]})


def test_without_a_threshold_every_rating_is_a_positive() -> None:
    data = Interactions.from_frame(_ratings())
    assert len(data) == 5


def test_ratings_at_or_below_the_threshold_are_dropped() -> None:
    data = Interactions.from_frame(_ratings(), rating_threshold=2.0)
    kept = sorted(zip(data.users.raws(data.user.tolist()), data.items.raws(data.item.tolist()), strict=True))
    # the 1- and 2-star ratings go; a view with a value is not a rating and stays
    assert kept == [("u1", "c"), ("u2", "a"), ("u2", "c")]


def test_kept_as_zero_weight_when_zero_weights_are_kept() -> None:
    data = Interactions.from_frame(_ratings(), rating_threshold=2.0, drop_zero_weight=False)
    assert sorted(data.weight.tolist()) == [0.0, 0.0, 0.5, 1.0, 1.0]

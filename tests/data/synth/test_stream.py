"""The demo shop in chunks of shoppers: same catalog, ids numbered across chunks, dormant accounts."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.data.synth.shop import generate_demo_shop
from shopmind.data.synth.stream import stream_demo_shop
from shopmind.errors import ParameterError


def _all(shop_chunks: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.concat([c.users for c in shop_chunks], ignore_index=True),
            pd.concat([c.events for c in shop_chunks], ignore_index=True))


def test_chunks_share_the_catalog_and_number_ids_across_chunks() -> None:
    shop = stream_demo_shop(n_users=70, n_items=90, days=10, seed=5, chunk_users=30)
    assert shop.n_chunks == 3
    pd.testing.assert_frame_equal(shop.items, generate_demo_shop(n_users=1, n_items=90, days=10, seed=5,
                                                                 items_only=True).items)
    chunks = list(shop.chunks)
    assert [len(c.users) for c in chunks] == [30, 30, 10] and [c.first_user for c in chunks] == [0, 30, 60]
    users, events = _all(chunks)
    assert users["user_id"].tolist() == [f"U{i:05d}" for i in range(1, 71)]
    assert events["event_id"].is_unique and events["event_id"].iloc[0] == "E0000000001"
    assert events["event_id"].tolist() == sorted(events["event_id"])
    # sessions never span chunks: each session id belongs to one user
    assert events.groupby("session_id")["user_id"].nunique().max() == 1
    assert set(events["user_id"]) <= set(users["user_id"]) and set(events["item_id"].dropna()) <= set(
        shop.items["item_id"])
    for c in chunks:  # chronological within a chunk
        assert c.events["timestamp"].is_monotonic_increasing


def test_same_seed_same_stream_and_dormant_share() -> None:
    a = _all(list(stream_demo_shop(n_users=60, n_items=40, days=7, seed=3, chunk_users=25,
                                   active_share=0.5).chunks))
    b = _all(list(stream_demo_shop(n_users=60, n_items=40, days=7, seed=3, chunk_users=25,
                                   active_share=0.5).chunks))
    pd.testing.assert_frame_equal(a[1], b[1])
    users, events = a
    active = events["user_id"].nunique()
    assert len(users) == 60 and 15 <= active <= 45  # about half the accounts are active
    full = _all(list(stream_demo_shop(n_users=60, n_items=40, days=7, seed=3, chunk_users=25).chunks))[1]
    assert full["user_id"].nunique() >= 55  # (a session may start too late to leave an event in the period)


@pytest.mark.parametrize(("kwargs", "name"), [({"chunk_users": 0}, "chunk_users"),
                                              ({"active_share": 0.0}, "active_share"),
                                              ({"active_share": 1.5}, "active_share")])
def test_bad_parameters_name_the_parameter(kwargs: dict, name: str) -> None:
    with pytest.raises(ParameterError, match=name):
        stream_demo_shop(n_users=10, n_items=10, days=3, **kwargs)

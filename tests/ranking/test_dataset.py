"""CTR / conversion rankers: labels and causal features, learning a planted signal, persistence, errors,
the ranking stage of the live service, and the `shopmind ctr` commands."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.errors import DataError, ParameterError
from shopmind.ranking import build_dataset, create_ranker
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


def test_negative_feedback_after_an_exposure_makes_it_a_negative():
    rows = [
        _ev("u1", "a", "impression", 10), _ev("u1", "a", "view", 11), _ev("u1", "a", "dislike", 12),
        _ev("u1", "b", "impression", 10), _ev("u1", "b", "view", 11),
        _ev("u2", "a", "not_interested", 5, "s2"), _ev("u2", "a", "impression", 10, "s2"),
        _ev("u2", "a", "click", 11, "s2"),  # the negative came before this exposure: the click counts
    ]
    ds = build_dataset(pd.DataFrame(rows), target="click", warmup=0.0, chunks=1)
    got = {(ds.users.raw(int(u)), ds.catalog.raw(int(f[1]))): bool(y)
           for u, f, y in zip(ds.user, ds.fields, ds.label, strict=True)}
    assert got == {("u1", "a"): False, ("u1", "b"): True, ("u2", "a"): True}

"""Live signals: sliding trending windows, popularity, bandit counts, co-occurrence and sessions."""

from __future__ import annotations

import numpy as np

from shopmind.pipeline.history import SessionStore, UserHistory


def test_sessions_layer_over_history():
    history = UserHistory.build(np.array(["u1", "u1", "u2"]), np.array([1, 2, 3]),
                                np.array(["view", "purchase", "view"]), np.array([1, 2, 3]), np.ones(3))
    sessions = SessionStore(max_users=1)
    sessions.record("u1", [(7, "view", 10)])
    ctx = sessions.context("u1", history, recent=2)
    assert ctx.anchors == [(7, "view"), (2, "purchase")]
    assert sorted(ctx.seen.tolist()) == [1, 2, 7] and ctx.purchased.tolist() == [2]
    sessions.record("u2", [(8, "view", 11)])  # evicts u1 (max_users=1)
    assert len(sessions) == 1 and sessions.context("u1", history).anchors == [(2, "purchase"), (1, "view")]

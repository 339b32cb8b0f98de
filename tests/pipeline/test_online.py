"""The in-process online state: nothing shared, no cost, and a per-process rate limiter."""

from __future__ import annotations

from shopmind.pipeline.online import InProcessState


def test_the_default_shares_nothing():
    state = InProcessState()
    assert not state.shared and not state.degraded
    assert state.admit([b"k"]) is None and state.session("u") is None and state.active_version() is None
    assert state.describe() == {"backend": "memory", "shared": False, "degraded": False}


def test_rate_limit_counts_per_fixed_window():
    now = [1000.0]
    state = InProcessState(clock=lambda: now[0])
    assert [state.hit("k", 2, 60) for _ in range(3)] == [True, True, False]
    assert state.hit("other", 2, 60)
    now[0] += 60  # the next window starts from zero
    assert state.hit("k", 2, 60)


def test_the_service_reports_its_online_state(service):
    assert service.status()["online_state"]["backend"] == "memory"
    assert not service.state.online.shared

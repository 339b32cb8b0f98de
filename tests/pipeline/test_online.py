"""The in-process online state: nothing shared, no cost."""

from __future__ import annotations

from shopmind.pipeline.online import InProcessState


def test_the_default_shares_nothing():
    state = InProcessState()
    assert not state.shared and not state.degraded
    assert state.admit([b"k"]) is None and state.session("u") is None and state.active_version() is None
    assert state.describe() == {"backend": "memory", "shared": False, "degraded": False}


def test_rate_limits_are_left_to_the_workers_own_bucket():
    assert InProcessState().hit("k", 1.0, 2) is None


def test_the_service_reports_its_online_state(service):
    assert service.status()["online_state"]["backend"] == "memory"
    assert not service.state.online.shared

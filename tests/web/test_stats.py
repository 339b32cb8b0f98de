"""Overview figures from the API's metrics and the service's attribution counters."""

from __future__ import annotations

import pytest

from shopmind.api.metrics import Metrics
from shopmind.pipeline.results import AttributionLog
from shopmind.web.stats import RateSampler, api_traffic, quantile_from_buckets, recommendation_outcomes


def test_quantiles_interpolate_inside_the_bucket():
    bounds = (0.001, 0.01, 0.1)
    assert quantile_from_buckets([0, 0, 0, 0], bounds, 0.5) is None
    assert quantile_from_buckets([10, 0, 0, 0], bounds, 0.5) == pytest.approx(0.0005)
    assert quantile_from_buckets([0, 0, 0, 4], bounds, 0.99) == pytest.approx(0.1)


def test_api_traffic_leaves_the_console_out():
    m = Metrics()
    m.requests.inc(("GET", "/recommendations/{user_id}", "200"), 8)
    m.requests.inc(("GET", "/recommendations/{user_id}", "500"), 2)
    m.requests.inc(("GET", "/items/{item_id}/similar", "404"))
    m.requests.inc(("GET", "/admin/data", "200"), 50)
    for _ in range(10):
        m.latency.observe(0.003, ("/recommendations/{user_id}",))
    m.latency.observe(2.0, ("/admin/data",))
    t = api_traffic(m)
    assert (t.requests, t.client_errors, t.server_errors) == (11, 1, 2)
    assert 2.5 <= t.p50_ms <= 5 and t.p99_ms <= 5
    assert [r["route"] for r in t.routes] == ["/recommendations/{user_id}", "/items/{item_id}/similar"]


def test_outcomes_are_attributed_events_over_items_served():
    m, log = Metrics(), AttributionLog()
    m.recommended.inc(("model",), 100)
    m.recommended.inc(("trending",), 50)
    log.attributed[("model", "click")] = 10
    log.attributed[("model", "purchase")] = 2
    rows = {r["source"]: r for r in recommendation_outcomes(m, log)}
    assert rows["model"]["ctr"] == pytest.approx(0.1) and rows["model"]["conversion"] == pytest.approx(0.02)
    assert rows["trending"]["clicks"] == 0 and rows["trending"]["ctr"] == 0


def test_events_per_minute_over_the_sampled_window():
    rates = RateSampler(started=0.0, window=600)
    assert rates.sample(60, now=60.0) == (60.0, 60.0)
    per_minute, span = rates.sample(660, now=660.0)  # the first samples fall out of the window
    assert span == 600.0 and per_minute == pytest.approx(60.0)

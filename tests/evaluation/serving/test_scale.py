"""The scale phase's search for the highest rate at p99 <= 20 ms (against a server model whose p99 grows with
the rate), and its version-name reader; the whole phase runs against real servers in `bench-serve`."""

from __future__ import annotations

import pytest

from shopmind.evaluation.serving import scale


@pytest.fixture()
def fake_server(monkeypatch):
    """p99 = rate / 10 ms (so 200 rps is the limit), and errors above 400 rps."""
    rates: list[float] = []

    def latency(url, users, rate, duration, seed, workers=1):
        rates.append(rate)
        return {"errors": int(rate > 400), "p50_ms": rate / 20, "p99_ms": rate / 10, "achieved_rps": rate}

    monkeypatch.setattr(scale, "latency", latency)
    monkeypatch.setattr(scale, "run_loop", lambda result: result)
    return rates


def test_the_rate_search_steps_up_then_bisects_to_the_limit(fake_server):
    got = scale.max_rate("http://x:1", ["u"], 0, start=100.0, duration=1.0, steps=10, say=lambda m: None)
    assert 180 <= got["max_rps_p99_20ms"] <= 200
    assert fake_server[:4] == pytest.approx([100.0, 140.0, 196.0, 274.4])
    assert all(r["ok"] == (r["p99_ms"] <= 20) for r in got["runs"]) and got["limit_found"]
    short = scale.max_rate("http://x:1", ["u"], 0, start=100.0, duration=1.0, steps=2, say=lambda m: None)
    assert short["max_rps_p99_20ms"] == 140.0 and not short["limit_found"]  # a lower bound, and it says so


def test_a_first_rate_over_the_limit_bisects_down_within_the_step_budget(fake_server):
    got = scale.max_rate("http://x:1", ["u"], 0, start=1000.0, duration=1.0, steps=4, say=lambda m: None)
    assert fake_server == [1000.0, 500.0, 250.0, 125.0] and got["max_rps_p99_20ms"] == 125.0
    got = scale.max_rate("http://x:1", ["u"], 0, start=1000.0, duration=1.0, steps=2, say=lambda m: None)
    assert got["max_rps_p99_20ms"] == 0.0  # no rate passed: nothing is claimed


def test_each_rate_step_states_the_cpu_of_the_load_generator_and_the_server(fake_server):
    import os

    got = scale.max_rate("http://x:1", ["u"], 0, start=100.0, duration=1.0, steps=1, say=lambda m: None,
                         server_pid=os.getpid())
    run = got["runs"][0]
    assert run["load_generator_cpu_s"] >= 0 and "load_average_1min" in run
    assert run["server_cpu_s"] is None or run["server_cpu_s"] >= 0
    if os.path.exists("/proc/self/stat"):
        assert scale.process_tree_cpu(os.getpid()) > 0  # this test process has used some CPU


def test_a_list_reflects_a_view_when_it_leaves_the_item_out_and_is_built_from_it():
    cold = {"cold_start": True, "items": [{"item_id": "b", "because_item_id": None}]}
    assert not scale.reflects(cold, "a")  # the event is not in the list's making yet
    assert scale.reflects({**cold, "cold_start": False}, "a")  # the model folded the view in
    assert scale.reflects({"cold_start": True, "items": [{"item_id": "b", "because_item_id": "a"}]}, "a")
    assert not scale.reflects({"cold_start": False, "items": [{"item_id": "a"}]}, "a")  # the viewed item is back


def test_interleaved_searches_take_turns_and_find_what_each_finds_alone(monkeypatch):
    """Two servers' searches alternate step by step (in alternating order), and each ends where it ends when
    run alone: the interleaving changes when the steps run, not the search."""
    limits = {"http://one:1": 200.0, "http://two:2": 330.0}
    calls: list[tuple[str, float]] = []

    def latency(url, users, rate, duration, seed, workers=1):
        calls.append((url, rate))
        p99 = 10.0 if rate <= limits[url] else 30.0
        return {"errors": 0, "p50_ms": 1.0, "p99_ms": p99, "achieved_rps": rate, "requests": int(rate)}

    monkeypatch.setattr(scale, "latency", latency)
    monkeypatch.setattr(scale, "run_loop", lambda result: result)
    alone = {url: scale.max_rate(url, ["u"], 0, start=100.0, duration=1.0, steps=14, say=lambda m: None)
             for url in limits}
    calls.clear()
    both = scale.interleaved_max_rates([("http://one:1", None, 1), ("http://two:2", None, 2)], ["u"], 0,
                                       start=100.0, duration=1.0, steps=14, say=lambda m: None)
    for url, got in zip(limits, both, strict=True):
        assert got["max_rps_p99_20ms"] == alone[url]["max_rps_p99_20ms"]
        assert [r["rps"] for r in got["runs"]] == [r["rps"] for r in alone[url]["runs"]]
    assert 190 <= both[0]["max_rps_p99_20ms"] <= 200 and 310 <= both[1]["max_rps_p99_20ms"] <= 330
    order = [url for url, _ in calls]
    assert order[:4] == ["http://one:1", "http://two:2", "http://two:2", "http://one:1"]  # turns, alternating


def test_each_worker_count_gets_its_own_key_prefix_in_the_one_database():
    assert scale.with_prefix("redis://h:6379/15", "bench-w2:") == "redis://h:6379/15?prefix=bench-w2:"
    assert scale.with_prefix("redis://h:6379/15?prefix=ci:", "bench-w1:") == "redis://h:6379/15?prefix=ci:bench-w1:"

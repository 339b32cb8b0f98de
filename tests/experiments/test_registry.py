"""Experiments in the store: create, list, stop; exposures logged with their propensity; users forgotten."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.errors import DataError, UnknownIdError
from shopmind.experiments.registry import (
    assign,
    create_experiment,
    forget_users,
    get_experiment,
    list_experiments,
    load_document,
    log_exposure,
    log_exposures,
    stop_experiment,
)
from shopmind.storage import open_store

SPEC = {"experiment_id": "hero", "surface": "home", "traffic": 0.5,
        "variants": [{"name": "control", "model_version": "v1"}, {"name": "new", "model_version": "v2",
                                                                    "weight": 3}]}


def test_create_assign_log_stop_and_restart(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(url) as store:
        exp = create_experiment(store, SPEC, known_model_versions=["v1", "v2"])
        users = [f"u{i}" for i in range(400)]
        inside = [u for u in users if assign(exp, u) is not None]
        outside = [u for u in users if assign(exp, u) is None]
        assert 150 < len(inside) < 250
        row = log_exposure(store, exp, inside[0], recommendation_id="r1", timestamp=pd.Timestamp("2024-05-01",
                                                                                                  tz="UTC"))
        assert row is not None and row["propensity"] == (0.25 if row["variant"] == "control" else 0.75)
        assert row["model_version"] == ("v1" if row["variant"] == "control" else "v2")
        assert log_exposure(store, exp, outside[0]) is None
        with pytest.raises(DataError, match="must show the assigned variant"):
            log_exposure(store, exp, inside[0], variant="control" if row["variant"] == "new" else "new")
        rows = log_exposures(store, exp, [{"user_id": u, "recommendation_id": f"r-{u}"} for u in inside[1:6]] +
                             [{"user_id": outside[1]}])
        assert rows[-1] is None and all(r is not None for r in rows[:-1])
    with open_store(url) as store:  # a restart (or another worker) sees the same experiment and variants
        again = get_experiment(store, "hero")
        assert [assign(again, u) for u in inside] == [assign(exp, u) for u in inside]
        assert len(store.exposures_frame("hero")) == 6
        stopped = stop_experiment(store, "hero")
        assert stopped.status == "stopped" and assign(stopped, inside[0]) is None
        assert len(store.exposures_frame("hero")) == 6  # stopping keeps the log
        assert [e.status for e in list_experiments(store)] == ["stopped"]
        assert forget_users(store, [inside[0]]) == 1 and len(store.exposures_frame("hero")) == 5
        with pytest.raises(UnknownIdError):
            get_experiment(store, "nope")


def test_overlap_is_checked_against_the_store() -> None:
    with open_store("sqlite:///:memory:") as store:
        create_experiment(store, SPEC)
        with pytest.raises(DataError) as err:
            create_experiment(store, {**SPEC, "experiment_id": "other", "traffic": 0.6})
        assert err.value.field == "traffic"
        assert create_experiment(store, {**SPEC, "experiment_id": "other"}).buckets == (5000, 10000)


def test_load_document_reads_json_and_yaml() -> None:
    assert load_document('{"a": 1}') == {"a": 1}
    assert load_document("experiment_id: e1\nvariants:\n  - name: a\n") == {"experiment_id": "e1",
                                                                           "variants": [{"name": "a"}]}
    with pytest.raises(DataError, match="expected an object"):
        load_document("[1, 2]")


def test_experiment_results_read_only_the_exposed_users_outcomes_and_match_the_full_analysis(tmp_path) -> None:
    from shopmind.experiments.analysis import analyze
    from shopmind.experiments.registry import experiment_results

    t0 = pd.Timestamp("2024-05-01 10:00", tz="UTC")
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        exp = create_experiment(store, {"experiment_id": "e", "surface": "home",
                                        "variants": [{"name": "a"}, {"name": "b"}]})
        users = [f"u{i}" for i in range(60)]
        log_exposures(store, exp, [{"user_id": u, "timestamp": t0} for u in users])
        events = []
        for i, u in enumerate(users):
            for k in range(i % 4):
                events.append({"user_id": u, "item_id": f"i{k}", "type": "click",
                               "timestamp": t0 + pd.Timedelta(hours=k + 1)})
            if i % 3 == 0:
                events.append({"user_id": u, "item_id": "i9", "type": "purchase", "value": 1 + i % 5,
                               "timestamp": t0 + pd.Timedelta(hours=6)})
            events.append({"user_id": u, "item_id": "i1", "type": "view", "timestamp": t0 + pd.Timedelta(hours=2)})
        events += [{"user_id": f"other{i}", "item_id": "i1", "type": "purchase", "timestamp": t0}
                   for i in range(30)]
        store.append_events(events)
        mine = experiment_results(store, "e").as_dict()
        full = analyze(exp, store.exposures_frame("e"), store.events_frame()).as_dict()
    assert mine["users"] == full["users"] == 60
    assert mine["variants"] == full["variants"] and mine["srm"] == full["srm"]
    pd.testing.assert_frame_equal(pd.json_normalize(mine["comparisons"]), pd.json_normalize(full["comparisons"]))
    assert round(sum(v["conversion"] * v["users"] for v in mine["variants"])) == 20

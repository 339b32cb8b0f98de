"""Deterministic assignment: stable, balanced, salted per experiment, mutually exclusive per surface; bad
documents are rejected naming the field."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats as sps

from shopmind.errors import DataError
from shopmind.experiments.assignment import BUCKETS, Experiment, assign_on_surface, surface_bucket, unit_hash

T = datetime(2024, 5, 1, tzinfo=UTC)


def doc(eid: str = "e1", surface: str = "home", **extra: object) -> dict:
    return {"experiment_id": eid, "surface": surface, "variants": [{"name": "control"}, {"name": "treatment"}],
            **extra}


def test_the_hash_is_stable_across_processes() -> None:
    code = "from shopmind.experiments.assignment import unit_hash; print(repr(unit_hash('salt:u42')))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123", "PATH": ""})
    assert float(other.stdout) == unit_hash("salt:u42")


def test_assignment_is_stable_and_balanced() -> None:
    exp = Experiment.create(doc(variants=[{"name": "a", "weight": 1}, {"name": "b", "weight": 1},
                                          {"name": "c", "weight": 2}]), [], now=T)
    users = [f"user-{i}" for i in range(20_000)]
    first = [exp.assign(u) for u in users]
    assert first == [exp.assign(u) for u in users]
    counts = [first.count(v) for v in ("a", "b", "c")]
    assert sps.chisquare(counts, np.array([0.25, 0.25, 0.5]) * len(users)).pvalue > 0.001
    assert exp.shares() == {"a": 0.25, "b": 0.25, "c": 0.5}
    assert Experiment.model_validate(exp.to_doc()).assign("user-7") == exp.assign("user-7")  # survives a restart


def test_salts_make_experiments_independent() -> None:
    one = Experiment.create(doc("one", surface="s1"), [], now=T)
    two = Experiment.create(doc("two", surface="s2"), [], now=T)
    users = [f"u{i}" for i in range(10_000)]
    table = np.zeros((2, 2))
    for u in users:
        table[one.variant_of(u) == "treatment", two.variant_of(u) == "treatment"] += 1
    assert sps.chi2_contingency(table).pvalue > 0.001


def test_traffic_share_and_stopping() -> None:
    exp = Experiment.create(doc(traffic=0.2), [], now=T)
    users = [f"u{i}" for i in range(20_000)]
    enrolled = sum(exp.assign(u) is not None for u in users) / len(users)
    assert enrolled == pytest.approx(0.2, abs=0.015) and exp.buckets == (0, 2000)
    stopped = exp.stopped(T)
    assert stopped.status == "stopped" and all(stopped.assign(u) is None for u in users[:200])


def test_experiments_on_one_surface_are_mutually_exclusive() -> None:
    a = Experiment.create(doc("a", traffic=0.5), [], now=T)
    b = Experiment.create(doc("b", traffic=0.3), [a], now=T)
    other = Experiment.create(doc("c", surface="email"), [a, b], now=T)
    assert a.buckets == (0, 5000) and b.buckets == (5000, 8000) and other.buckets == (0, BUCKETS)
    users = [f"u{i}" for i in range(5_000)]
    assert not any(a.assign(u) is not None and b.assign(u) is not None for u in users)
    hits = [assign_on_surface([a, b, other], "home", u) for u in users]
    assert all(h is None or h[0].experiment_id in ("a", "b") for h in hits)
    assert all(h is not None for h in (assign_on_surface([other], "email", u) for u in users[:100]))
    with pytest.raises(DataError, match="no free range") as err:
        Experiment.create(doc("d", traffic=0.5), [a, b], now=T)
    assert err.value.field == "traffic"
    with pytest.raises(DataError, match="overlap running experiment 'a'") as err:
        Experiment.create(doc("d", buckets=[4000, 6000]), [a, b], now=T)
    assert err.value.field == "buckets"
    # a stopped experiment frees its range
    d = Experiment.create(doc("d", traffic=0.5), [a.stopped(T), b], now=T)
    assert d.buckets == (0, 5000)
    assert 0 <= surface_bucket("home", "x") < BUCKETS


@pytest.mark.parametrize(("bad", "field"), [
    ({"colour": "red"}, "colour"),
    ({"variants": [{"name": "only"}]}, "variants"),
    ({"variants": [{"name": "a"}, {"name": "a"}]}, "variants"),
    ({"variants": [{"name": "a"}, {"name": "b", "weight": -1}]}, "variants[1].weight"),
    ({"variants": [{"name": "a"}, {"name": "b", "colour": 1}]}, "variants[1].colour"),
    ({"traffic": 0}, "traffic"),
    ({"traffic": 1.5}, "traffic"),
    ({"control": "nobody"}, "control"),
    ({"experiment_id": "has space"}, "experiment_id"),
    ({"metrics": ["happiness"]}, "metrics[0]"),
    ({"buckets": [10, 5]}, "buckets"),
])
def test_bad_documents_name_the_field(bad: dict, field: str) -> None:
    with pytest.raises(DataError) as err:
        Experiment.create({**doc(), **bad}, [], now=T)
    assert err.value.field == field, str(err.value)


def test_duplicate_id_and_missing_model_version_are_rejected() -> None:
    a = Experiment.create(doc("a", surface="s1"), [], now=T)
    with pytest.raises(DataError, match="already exists") as err:
        Experiment.create(doc("a", surface="s2"), [a], now=T)
    assert err.value.field == "experiment_id"
    spec = doc("m", variants=[{"name": "old", "model_version": "v1"}, {"name": "new", "model_version": "v9"}])
    with pytest.raises(DataError, match="'v9', which is not loaded") as err:
        Experiment.create(spec, [], known_model_versions=["v1", "v2"], now=T)
    assert err.value.field == "variants[1].model_version"
    assert Experiment.create(spec, [], known_model_versions=["v1", "v9"], now=T).control == "old"

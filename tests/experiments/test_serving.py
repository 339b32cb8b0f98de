"""Experiments in the serving path: the router finds the running experiment that enrols a user on the
recommendations surface (one per surface), applies the variant's settings, logs the exposure with the list's
recommendation id and model version; bad settings are rejected naming the field."""

from __future__ import annotations

import pytest

from shopmind.errors import DataError
from shopmind.experiments.registry import create_experiment, stop_experiment
from shopmind.experiments.serving import SURFACE, ExperimentRouter
from shopmind.pipeline.results import Recommendation
from shopmind.pipeline.rules import RerankOptions
from shopmind.storage import open_store

DOC = {"experiment_id": "div", "surface": SURFACE, "traffic": 0.5,
       "variants": [{"name": "control"}, {"name": "diverse", "settings": {"diversity": 0.3, "explore": 2}}]}


def test_router_assigns_applies_settings_and_logs() -> None:
    store = open_store("sqlite:///:memory:")
    create_experiment(store, DOC)
    create_experiment(store, {**DOC, "experiment_id": "other", "variants": [{"name": "a"}, {"name": "b"}]})
    router = ExperimentRouter(store, refresh_seconds=0)
    users = [f"u{i}" for i in range(400)]
    hits = {u: router.assignment(u) for u in users}
    by_exp = {e: sum(1 for h in hits.values() if h and h.experiment.experiment_id == e) for e in ("div", "other")}
    assert 150 < by_exp["div"] < 250 and 150 < by_exp["other"] < 250  # two halves of the surface, no overlap
    assert all(h is not None for h in hits.values())  # 50% + 50%: everyone is in exactly one
    user, hit = next((u, h) for u, h in hits.items() if h and h.variant == "diverse")
    opts = router.options(hit, RerankOptions(max_per_category=3))
    assert opts.diversity == 0.3 and opts.explore == 2 and opts.max_per_category == 3
    router.log(hit, user, Recommendation("rec-1", [], user, "als-v2"))
    row = store.exposures_frame("div").iloc[0]
    assert (row["user_id"], row["variant"], row["recommendation_id"], row["model_version"]) == \
        (user, "diverse", "rec-1", "als-v2")
    assert row["propensity"] == 0.5
    stop_experiment(store, "div")
    assert router.assignment(user) is None  # the stopped experiment frees its users at the next refresh


@pytest.mark.parametrize(("settings", "field"), [({"colour": 1}, "variants[1].settings.colour"),
                                                 ({"explore": 1.5}, "variants[1].settings.explore"),
                                                 ({"diversity": "high"}, "variants[1].settings.diversity")])
def test_bad_variant_settings_name_the_field(settings: dict, field: str) -> None:
    store = open_store("sqlite:///:memory:")
    with pytest.raises(DataError) as err:
        create_experiment(store, {**DOC, "variants": [{"name": "a"}, {"name": "b", "settings": settings}]})
    assert err.value.field == field and store.list_experiments() == []

"""The production counters by model version: counted per list served and per attributed event, flushed to the
store's additive sums, read back by a fresh log (a restart) and added up across two logs (two workers)."""

from __future__ import annotations

from shopmind.pipeline.results import VERSION_COUNTERS, AttributionLog, Recommendation, RecommendedItem
from shopmind.storage import open_store


def rec(rid: str, version: str | None, items: tuple[str, ...] = ("a", "b")) -> Recommendation:
    return Recommendation(rid, [RecommendedItem(item_id=i, score=1.0, source="model", reason="", position=k)
                                for k, i in enumerate(items)], "u1", version)


def test_counters_by_version_survive_a_restart_and_add_up_across_workers(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(url) as store:
        one, two = AttributionLog(), AttributionLog()
        one.remember(rec("r1", "v1"))
        one.remember(rec("r2", "v2"))
        one.remember(rec("r3", None))  # no model: not counted by version
        assert one.attribute("r1", "a", "click") == "model"
        one.attribute("r1", "zzz", "click")  # not an item of the list: not attributed
        one.attribute("r2", "b", "purchase")
        two.remember(rec("r4", "v1"))
        two.attribute("r4", "b", "click")
        one.flush(store)
        two.flush(store)
        two.flush(store)  # nothing pending: nothing added twice
        assert store.bandit_stats(VERSION_COUNTERS) == {"v1": {"recommendations": 2.0, "click": 2.0},
                                                        "v2": {"recommendations": 1.0, "purchase": 1.0}}
    with open_store(url) as store:
        restarted = AttributionLog()
        restarted.load(store)
        rows = {r["model_version"]: r for r in restarted.version_counters()}
        assert rows["v1"] == {"model_version": "v1", "recommendations": 2, "click": 2, "ctr": 1.0}
        assert rows["v2"]["purchase"] == 1 and rows["v2"]["ctr"] == 0.0

"""CTR / conversion rankers: labels and causal features, learning a planted signal, persistence, errors,
the ranking stage of the live service, and the `shopmind ctr` commands."""

from __future__ import annotations

from shopmind.ranking import build_dataset, create_ranker


def test_the_service_ranking_stage_promotes_likely_clicks(trained_shop):
    from shopmind.pipeline import RecommendationService
    from shopmind.storage import open_store

    with open_store(f"sqlite:///{trained_shop.db}") as store:
        events, items = store.events_frame(), store.items_frame()
        ds = build_dataset(events, items, target="click", warmup=0.3, chunks=4)
        ranker = create_ranker("lr").fit(*ds.split_by_time((0.9,)))
        service = RecommendationService.open(store, trained_shop.model)
        user = trained_shop.heavy_user()
        from shopmind.pipeline.rules import RerankOptions

        opts = RerankOptions(explore=0)
        plain = [i.item_id for i in service.recommend(user, n=10, options=opts).items]
        info = service.set_ranker(ranker)
        assert info["ranker"] == "lr" and service.status()["ranker"]["ranker"] == "lr"
        ranked = [i.item_id for i in service.recommend(user, n=10, options=opts).items]
        assert ranked != plain
        cat = service.state.catalog
        seen = service.state.sessions.context(user, service.state.history).seen
        p = service.ranker.probabilities(cat, service.state.signals, user, seen, cat.indices(plain + ranked))
        assert p[10:].mean() > p[:10].mean()  # the ranked list is the one the ranker expects more clicks on
        service.set_ranker(None)
        assert [i.item_id for i in service.recommend(user, n=10, options=opts).items] == plain

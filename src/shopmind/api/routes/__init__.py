"""The API's routers, one module per area (catalog, events, recommendations, items, operations, customers,
experiments, marketing, search, assist, privacy, campaigns, dp, content)."""

from fastapi import APIRouter

from shopmind.api.routes import (
    assist,
    campaigns,
    catalog,
    content,
    customers,
    dp,
    events,
    experiments,
    items,
    marketing,
    ops,
    privacy,
    recommendations,
    search,
)

#: In matching order: a request is matched against the routes one by one, so the recommendation routes (the
#: bulk of the traffic) come first. No two routers have overlapping paths, so the order changes nothing else.
ROUTERS: list[APIRouter] = [recommendations.router, ops.router, catalog.router, events.router, items.router,
                             customers.router, experiments.router, marketing.router, search.router, assist.router,
                             privacy.router, campaigns.router, dp.router, content.router]

__all__ = ["ROUTERS"]

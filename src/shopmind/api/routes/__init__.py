"""The API's routers, one module per area (catalog, events, recommendations, items, operations)."""

from fastapi import APIRouter

from shopmind.api.routes import catalog, events, items, ops, recommendations

ROUTERS: list[APIRouter] = [ops.router, catalog.router, events.router, recommendations.router, items.router]

__all__ = ["ROUTERS"]

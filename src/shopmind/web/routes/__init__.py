"""The console's pages, in navigation order. A page is one module here (its ``router`` and ``PAGE``) plus one
line in :data:`PAGES`."""

from fastapi import APIRouter

from shopmind.web.console import Page
from shopmind.web.routes import (
    assist,
    campaigns,
    customers,
    data,
    experiments,
    items,
    models,
    overview,
    search,
    signin,
    studio,
    users,
)

PAGES: list[Page] = [
    overview.PAGE,
    data.PAGE,
    models.PAGE,
    users.PAGE,
    items.PAGE,
    customers.PAGE,
    search.PAGE,
    assist.PAGE,
    experiments.PAGE,
    campaigns.PAGE,
    studio.PAGE,
]

#: Every router of the console: signing in, then the pages'.
ROUTERS: list[APIRouter] = [signin.router, *(page.router for page in PAGES)]

__all__ = ["PAGES", "ROUTERS"]

"""The FastAPI application around a :class:`~shopmind.pipeline.service.RecommendationService`.

>>> from shopmind.api import create_app
>>> from shopmind.settings import ApiSettings
>>> app = create_app(service, ApiSettings(keys="k1:read,k2:write"))   # doctest: +SKIP

OpenAPI docs are served at ``/docs`` (and the schema at ``/openapi.json``).
"""

from __future__ import annotations

import gc
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from shopmind import __version__
from shopmind.api.errors import install_error_handlers
from shopmind.api.metrics import Metrics, exposition
from shopmind.api.middleware import BodyLimitMiddleware, MetricsMiddleware
from shopmind.api.routes import ROUTERS
from shopmind.pipeline.service import RecommendationService
from shopmind.settings import ApiSettings

logger = logging.getLogger(__name__)

DESCRIPTION = """Recommendations for online shops: personal, anonymous-session, similar, bought together and
trending lists with business rules, promotions, diversity and exploration; batch writes of items, users and
events (idempotent by `event_id`, applied in real time).

Authenticate with `X-API-Key: KEY` (or `Authorization: Bearer KEY`); keys have `read` or `write` scope.
Every error has the shape `{"error": {"code", "message", "field"?, "details"?}}`."""


def _service_gauges(service: RecommendationService) -> list[str]:
    lines: list[str] = []
    bundle = service.model
    if bundle is not None:
        lines += exposition("shopmind_model_info", "The active model version.",
                            [({"version": bundle.version, "model": bundle.name}, 1.0)])
    lines += exposition("shopmind_catalog_items", "Items in the serving catalog.",
                        [({}, float(len(service.state.catalog)))])
    lines += exposition("shopmind_live_sessions", "Users with live session state.",
                        [({}, float(len(service.state.sessions)))])
    attributed = sorted(service.attribution.attributed.items())
    lines += exposition("shopmind_attributed_events_total",
                        "Events echoing a recommendation id, by source of the item and event type.",
                        [({"source": s, "type": t}, float(v)) for (s, t), v in attributed], kind="counter")
    return lines


def create_app(service: RecommendationService, settings: ApiSettings | None = None, *,
               close_store: bool = False, search: Any = None, assist: Any = None) -> FastAPI:
    """The REST API over ``service``. With ``close_store`` the app closes the service's store on shutdown
    (``shopmind serve`` owns it; tests usually do not). ``search`` (a :class:`shopmind.search.SearchService`)
    and ``assist`` enable the ``/search`` and ``/assist`` routes (503 without them)."""
    settings = settings or ApiSettings()
    metrics = Metrics()
    metrics.collectors.append(lambda: _service_gauges(service))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.auth_enabled:
            logger.warning("no API keys configured (SHOPMIND_API_KEYS): authentication is DISABLED")
        # The live state is hundreds of thousands of long-lived objects; a full garbage collection walks
        # them all (a quarter of a second at 100,000 items), stalling every request queued behind it.
        # Frozen, they are left out of collections (they are freed by reference counting as usual).
        gc.collect()
        gc.freeze()
        yield
        service.state.online.close()
        if close_store:
            service.store.close()

    options: dict[str, Any] = {}
    if "strict_content_type" in inspect.signature(FastAPI).parameters:
        options["strict_content_type"] = False  # accept JSON bodies sent without a Content-Type
    app = FastAPI(title=settings.title, version=__version__, description=DESCRIPTION, lifespan=lifespan, **options)
    app.state.service, app.state.settings, app.state.metrics = service, settings, metrics
    app.state.body_limits = {}  # path prefix -> larger body limit (the console's file upload)
    app.state.search, app.state.assist = search, assist
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, path_limits=app.state.body_limits)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app

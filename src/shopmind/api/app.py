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
from shopmind.api.keys import KeyRing, RateLimiter
from shopmind.api.metrics import Metrics, exposition
from shopmind.api.middleware import ApiMiddleware
from shopmind.api.routes import ROUTERS
from shopmind.api.routes.recommendations import hot_route
from shopmind.pipeline.service import RecommendationService
from shopmind.privacy.pseudonym import Pseudonymiser, PseudonymMiddleware
from shopmind.settings import ApiSettings
from shopmind.storage import ApiKeyStore

logger = logging.getLogger(__name__)

DESCRIPTION = """Recommendations for online shops: personal, anonymous-session, similar, bought together and
trending lists with business rules, promotions, diversity and exploration; batch writes of items, users and
events (idempotent by `event_id`, applied in real time).

Authenticate with `X-API-Key: KEY` (or `Authorization: Bearer KEY`); keys have `read`, `write` or `admin` scope
(each implies the ones before it) and a rate limit (over it: 429 with `Retry-After`). Request bodies are limited
in size (413) and batches in length (422). Every error has the shape
`{"error": {"code", "message", "field"?, "details"?}}`."""


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


#: Operations whose input is checked beyond what a JSON schema can say: a schema-valid request may still be a 422
#: naming the field. Published in the schema as ``x-semantic-validation`` (``make fuzz`` reads it).
SEMANTIC_VALIDATION: dict[tuple[str, str], str] = {
    **{("get", p): "rule expressions (filter, boost, promote, pin) name fields and items that must exist"
       for p in ("/recommendations/{user_id}", "/trending", "/items/{item_id}/similar",
                 "/items/{item_id}/bought-together")},
    **{("post", p): "rules name fields and items that must exist" for p in
       ("/recommendations", "/recommendations/session", "/rerank")},
    ("get", "/search"): "price_min must not exceed price_max",
    ("post", "/audiences"): "the audience expression language (docs/customers.md)",
    ("post", "/models/retrain"): "the model name and its hyperparameters (`shopmind models`)",
    ("post", "/bandits"): "the bandit document (arms, policy) is checked by the bandit registry",
    ("post", "/experiments"): "the experiment document (variants, allocation) is checked by the registry",
}
#: Batch writes: rows are checked one by one, a bad row is reported in ``errors`` and the others are written
#: (200); only a batch whose every row is bad is a 422. Published as ``x-partial-acceptance``.
PARTIAL_ACCEPTANCE = {("post", "/events"), ("post", "/items"), ("post", "/users")}


def harden_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Complete the generated OpenAPI document so it says what the server does: every operation behind a key
    documents 429 (with ``Retry-After``); every operation with a body documents 400, 413 and 415; every 422
    has the one error shape; the two markers above are set."""
    error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            if "401" in responses and "429" not in responses:
                responses["429"] = {"description": "Over the API key's rate limit; retry after `Retry-After` s",
                                    "headers": {"Retry-After": {"schema": {"type": "integer"}}}, **error_ref}
            if "requestBody" in op:
                for status, text in (("400", "Malformed JSON"), ("413", "Request body too large"),
                                     ("415", "The body is not JSON"), ("422", "Invalid body")):
                    responses.setdefault(status, {"description": text, **error_ref})
            if "422" in responses:
                responses["422"] = {"description": responses["422"].get("description", "Invalid input"),
                                    **error_ref}
            if (method, path) in SEMANTIC_VALIDATION:
                op["x-semantic-validation"] = SEMANTIC_VALIDATION[(method, path)]
            if (method, path) in PARTIAL_ACCEPTANCE:
                op["x-partial-acceptance"] = True
    return schema


def create_app(service: RecommendationService, settings: ApiSettings | None = None, *,
               close_store: bool = False, search: Any = None, assist: Any = None,
               privacy_secret: str | None = None, keyring: KeyRing | None = None) -> FastAPI:
    """The REST API over ``service``. With ``close_store`` the app closes the service's store on shutdown
    (``shopmind serve`` owns it; tests usually do not). ``search`` (a :class:`shopmind.search.SearchService`)
    and ``assist`` enable the ``/search`` and ``/assist`` routes (503 without them). ``privacy_secret`` turns
    on pseudonymised mode (user ids are replaced by a keyed hash before any route sees them) and keys the
    deletion log. API keys are the configured ones (``settings.keys``) and those stored in the service's store
    (``shopmind keys create``), unless ``keyring`` is given."""
    settings = settings or ApiSettings()
    if keyring is None:
        store = service.store if isinstance(service.store, ApiKeyStore) else None
        keyring = KeyRing(settings.keys, store)
    metrics = Metrics()
    metrics.collectors.append(lambda: _service_gauges(service))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not keyring.enabled:
            logger.warning("no API keys configured (SHOPMIND_API_KEYS or `shopmind keys create`): authentication "
                           "is DISABLED")
        # The live state is hundreds of thousands of long-lived objects; a full garbage collection walks
        # them all (a quarter of a second at 100,000 items), stalling every request queued behind it.
        # Frozen, they are left out of collections (they are freed by reference counting as usual).
        gc.collect()
        gc.freeze()
        yield
        await service.state.online.aclose()
        service.state.online.close()
        if close_store:
            service.store.close()

    options: dict[str, Any] = {}
    if "strict_content_type" in inspect.signature(FastAPI).parameters:
        options["strict_content_type"] = False  # accept JSON bodies sent without a Content-Type
    app = FastAPI(title=settings.title, version=__version__, description=DESCRIPTION, lifespan=lifespan, **options)
    app.state.service, app.state.settings, app.state.metrics = service, settings, metrics
    # with several workers the buckets are shared through the online state (one limit per key, not per worker)
    app.state.keyring = keyring
    app.state.limiter = RateLimiter(settings.rate_limit, settings.rate_burst, shared=lambda: service.state.online)
    app.state.body_limits = {}  # path prefix -> larger body limit (the console's file upload)
    app.state.search, app.state.assist = search, assist
    app.state.privacy_secret = privacy_secret
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # `GET /recommendations/{user_id}` served straight by its endpoint, ahead of the routers (documented by
    # the router's route as before; see hot_route)
    app.router.routes.insert(0, hot_route())
    if privacy_secret:  # innermost: the body limit applies before a body is read here
        app.add_middleware(PseudonymMiddleware, pseudonymiser=Pseudonymiser(privacy_secret))
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = harden_openapi(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(ApiMiddleware, metrics=metrics, limit=settings.max_body_bytes,
                       path_limits=app.state.body_limits)
    return app

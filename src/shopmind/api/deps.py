"""Dependencies shared by the routes: the service, the settings, the metrics and API-key scopes.

They are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, and a
thread hop per dependency costs milliseconds on a busy machine - these do no blocking work.

Keys are sent as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``. A missing or unknown key is 401; a
key without the needed scope is 403 (``write`` implies ``read``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable

from fastapi import Depends, Request

from shopmind.api.errors import ApiError
from shopmind.api.metrics import Metrics
from shopmind.pipeline.service import RecommendationService
from shopmind.settings import ApiSettings


async def get_service(request: Request) -> RecommendationService:
    service: RecommendationService = request.app.state.service
    return service


async def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def limit_rate(request: Request, settings: ApiSettings, key: str | None) -> None:
    """429 once the key (else the client address) has made ``settings.rate_limit`` requests this minute
    (counted in the shared online state, so across workers)."""
    who = key if key is not None else (request.client.host if request.client else "unknown")
    bucket = hashlib.sha1(who.encode()).hexdigest()[:16]  # keys never leave the process
    service: RecommendationService = request.app.state.service
    if not service.state.online.hit(bucket, settings.rate_limit, 60):
        raise ApiError(429, f"rate limit of {settings.rate_limit} requests a minute reached; retry in the next "
                       "minute", field="X-API-Key", headers={"Retry-After": str(60 - int(time.time()) % 60)})


def authorize(request: Request, scope: str) -> None:
    """Raise :class:`ApiError` (401 or 403) unless the request presents a key holding ``scope`` (or
    authentication is off), and 429 over the rate limit (``ApiSettings.rate_limit``). What :func:`require`
    checks, callable from a route without the dependency."""
    settings: ApiSettings = request.app.state.settings
    if not settings.auth_enabled:
        if settings.rate_limit:
            limit_rate(request, settings, None)
        return
    key = _presented_key(request)
    if key is None:
        raise ApiError(401, "missing API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'",
                       field="X-API-Key", headers={"WWW-Authenticate": "Bearer"})
    scopes = settings.keys.get(key)
    if scopes is None:
        raise ApiError(401, "unknown API key", field="X-API-Key", headers={"WWW-Authenticate": "Bearer"})
    if scope not in scopes:
        raise ApiError(403, f"this API key lacks the {scope!r} scope (it has: {', '.join(sorted(scopes))})",
                       field="X-API-Key")
    if settings.rate_limit:
        limit_rate(request, settings, key)


def require(scope: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency that lets a request through only with a key holding ``scope``."""

    async def check(request: Request) -> None:
        authorize(request, scope)

    check.__name__ = f"require_{scope}"
    return check


READ = [Depends(require("read"))]
WRITE = [Depends(require("write"))]

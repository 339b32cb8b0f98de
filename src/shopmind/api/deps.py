"""Dependencies shared by the routes: the service, the settings, the metrics and API-key scopes.

They are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, and a
thread hop per dependency costs milliseconds on a busy machine - these do no blocking work.

Keys are sent as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``. A missing, unknown or revoked key is
401; a key without the needed scope is 403 (``admin`` implies ``write``, which implies ``read``); a key over
its rate limit is 429 with ``Retry-After`` (seconds). Keys are the configured ones and the ones created with
``shopmind keys create`` (:class:`~shopmind.api.keys.KeyRing`).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from fastapi import Depends, Request

from shopmind.api.errors import ApiError
from shopmind.api.keys import KeyInfo, KeyRing, RateLimiter
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


def authorize(request: Request, scope: str) -> None:
    """Raise :class:`ApiError` (401, 403 or 429) unless the request presents a key holding ``scope`` and
    within its rate limit (or authentication is off). What :func:`require` checks, callable from a route
    without the dependency."""
    info = _key_holding(request, scope)
    if info is not None:
        _within_limit(info, request.app.state.limiter.acquire(info.key_id, info.rate_limit))


async def authorize_async(request: Request, scope: str) -> None:
    """:func:`authorize`, with the rate limit's round trip to a shared state (several workers) awaited, so
    the worker's event loop serves other requests meanwhile."""
    info = _key_holding(request, scope)
    if info is not None:
        limiter: RateLimiter = request.app.state.limiter
        _within_limit(info, await limiter.acquire_async(info.key_id, info.rate_limit))


def _key_holding(request: Request, scope: str) -> KeyInfo | None:
    """The presented key's info when it holds ``scope`` (401 / 403 otherwise); None when authentication is
    off."""
    keyring: KeyRing = request.app.state.keyring
    if not keyring.enabled:
        return None
    key = _presented_key(request)
    if key is None:
        raise ApiError(401, "missing API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'",
                       field="X-API-Key", headers={"WWW-Authenticate": "Bearer"})
    info = keyring.lookup(key)
    if info is None:
        raise ApiError(401, "unknown or revoked API key", field="X-API-Key", headers={"WWW-Authenticate": "Bearer"})
    if scope not in info.scopes:
        raise ApiError(403, f"this API key lacks the {scope!r} scope (it has: {', '.join(sorted(info.scopes))})",
                       field="X-API-Key")
    return info


def _within_limit(info: KeyInfo, wait: float) -> None:
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise ApiError(429, f"API key {info.key_id} is over its rate limit; retry in {retry} s",
                       field="X-API-Key", headers={"Retry-After": str(retry)})


def require(scope: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency that lets a request through only with a key holding ``scope``."""

    async def check(request: Request) -> None:
        await authorize_async(request, scope)

    check.__name__ = f"require_{scope}"
    return check


READ = [Depends(require("read"))]
WRITE = [Depends(require("write"))]
ADMIN = [Depends(require("admin"))]

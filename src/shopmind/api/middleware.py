"""Pure ASGI middleware (cheaper than ``BaseHTTPMiddleware`` on the hot path), in one layer.

:class:`ApiMiddleware` wraps every request once (each layer costs every request an extra coroutine and
``send`` wrapper):

- metrics: request count and latency by method, route template and status (a 413 below is counted too);
- body limit: 413 for a declared ``Content-Length`` over the limit, before reading anything; a body that
  turns out larger while streaming raises :class:`~shopmind.api.errors.PayloadTooLarge` from ``receive``,
  which the app's handlers turn into the same 413.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopmind.api.errors import PayloadTooLarge, error_response
from shopmind.api.metrics import Metrics


class ApiMiddleware:
    """Count requests and observe their latency (the route label is the matched route template), and reject
    request bodies larger than ``limit`` bytes with 413 in the common error shape. ``path_limits`` (path
    prefix -> bytes, read per request, so a part mounted later can add its own) lets e.g. the console's file
    upload take more."""

    def __init__(self, app: ASGIApp, metrics: Metrics, limit: int, path_limits: Mapping[str, int] | None = None
                 ) -> None:
        self.app, self.metrics, self.default_limit = app, metrics, limit
        self.path_limits = path_limits if path_limits is not None else {}

    def _too_large(self, scope: Scope, limit: int) -> int | None:
        """The declared body length when it is over ``limit``."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    return declared
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            path = scope.get("path", "")
            limits = self.path_limits
            limit = next((n for prefix, n in limits.items() if path.startswith(prefix)), self.default_limit) \
                if limits else self.default_limit
            declared = self._too_large(scope, limit)
            if declared is not None:
                response = error_response(413, f"request body of {declared:,} bytes is larger than the "
                                          f"limit of {limit:,} bytes; send smaller batches")
                await response(scope, receive, recording)
                return
            seen = 0

            async def limited() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise PayloadTooLarge(limit)
                return message

            await self.app(scope, limited, recording)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.inc((scope.get("method", ""), template, str(status)))
            self.metrics.latency.observe(time.perf_counter() - start, (template,))

"""One JSON error shape for every error the API returns::

    {"error": {"code": "validation_error", "message": "...", "field": "events[3].user_id", "details": [...]}}

``field`` names the offending input where there is one (query parameter, path parameter or a dotted path
into the JSON body, e.g. ``items[2].price``); ``details`` lists every problem when there are several.
Handlers here turn FastAPI's, Starlette's and shopmind's exceptions into that shape; anything unexpected
becomes a logged 500 with the same shape and no internals.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shopmind.errors import DataError, ParameterError, StoreError, UnknownIdError
from shopmind.pipeline.rules import RequestError

logger = logging.getLogger(__name__)

#: Error code of each HTTP status.
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
         429: "rate_limited", 500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    """An error with an HTTP status, raised by routes and dependencies."""

    def __init__(self, status: int, message: str, *, code: str | None = None, field: str | None = None,
                 details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.field, self.details, self.headers = field, details, headers


class PayloadTooLarge(StarletteHTTPException):
    """Raised while reading a body past the size limit (an HTTPException so FastAPI re-raises it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit:,} bytes")


def error_body(code: str, message: str, field: str | None = None, details: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        err["field"] = field
    if details is not None:
        err["details"] = details
    return {"error": err}


def error_response(status: int, message: str, *, code: str | None = None, field: str | None = None,
                   details: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code or CODES.get(status, "error"), message, field, details),
                        status_code=status, headers=headers)


#: Union-member tags pydantic puts in error locations (``filters.0.RuleIn.brand.str``): not field names.
_TYPE_TAG = re.compile(r"^([A-Z]\w*In|str|int|float|bool|list|dict|none)$|[\[(]")


def field_path(loc: Sequence[Any]) -> str:
    """``('body', 'events', 3, 'user_id')`` -> ``'events[3].user_id'``; ``('query', 'n')`` -> ``'n'``."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header", "cookie") else list(loc)
    parts = [p for p in parts if isinstance(p, int) or not _TYPE_TAG.search(str(p))]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "body"


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        e = next(e for e in errors if e.get("type") == "json_invalid")
        detail = (e.get("ctx") or {}).get("error", "invalid JSON")
        return error_response(400, f"malformed JSON in the request body: {detail} (at character {e['loc'][-1]})",
                              code="malformed_json")
    ctype = request.headers.get("content-type", "")
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if any(tuple(e.get("loc", ())) == ("body",) for e in errors) and "json" not in ctype and has_body:
        return error_response(415, f"send the body as JSON with 'Content-Type: application/json' (got "
                              f"{ctype or 'no Content-Type'})", field="body")
    details = [{"field": field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
               for e in errors]
    first = details[0] if details else {"field": "body", "message": "invalid request"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return error_response(422, f"{first['field']}: {first['message']}{more}", field=first["field"],
                          details=details)


def _template_regex(template: str) -> re.Pattern[str]:
    """``/items/{item_id}/similar`` -> a pattern matching that path with any one segment for the parameter."""
    parts = re.split(r"(\{[^/{}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def allowed_methods(request: Request, fallback: str = "") -> list[str]:
    """Every method the app's OpenAPI schema documents on the request's path (Starlette's own 405 names only the
    first route that matched the path, e.g. ``GET`` where ``GET, DELETE`` are allowed); ``HEAD`` comes with
    ``GET``. ``fallback`` (Starlette's ``Allow``) is used for paths outside the schema (the console)."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(request.app.state, "allow_table", None)
    if table is None:
        paths = request.app.openapi().get("paths", {})
        table = [(_template_regex(path), {m.upper() for m in ops if m.upper() in _METHODS})
                 for path, ops in paths.items()]
        request.app.state.allow_table = table
    methods = set().union(*(m for rx, m in table if rx.match(request.url.path)))
    if not methods:
        methods = {m.strip() for m in fallback.split(",") if m.strip()}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


_METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, code=exc.code, field=exc.field, details=exc.details,
                              headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            return error_response(400, "the request body is not valid JSON text (UTF-8)", code="malformed_json")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
        elif exc.status_code == 405:
            allowed = allowed_methods(request, (getattr(exc, "headers", None) or {}).get("Allow", ""))
            message = (f"method {request.method} is not allowed on {request.url.path}; allowed: "
                       f"{', '.join(allowed)} (see /docs)")
            return error_response(405, message, headers={"Allow": ", ".join(allowed)})
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(request, exc)

    @app.exception_handler(UnknownIdError)
    async def _unknown(request: Request, exc: UnknownIdError) -> JSONResponse:
        return error_response(404, str(exc), field=f"{exc.kind}_id", details={"id": str(exc.raw_id)})

    @app.exception_handler(RequestError)
    async def _request(request: Request, exc: RequestError) -> JSONResponse:
        return error_response(422, str(exc), field=exc.field)

    @app.exception_handler(ParameterError)
    async def _param(request: Request, exc: ParameterError) -> JSONResponse:
        return error_response(422, str(exc), field=exc.name)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        return error_response(422, str(exc), field=exc.field)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        logger.error("store error on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "the store is unavailable; nothing was written, retry later")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal server error (logged on the server)")

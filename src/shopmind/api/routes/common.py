"""Helpers shared by the route modules: documented error responses and batch-write outcomes."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from shopmind.api.errors import ApiError
from shopmind.api.metrics import Metrics
from shopmind.api.schemas import ErrorOut, RecommendationOut, WriteOut
from shopmind.pipeline.results import Recommendation
from shopmind.pipeline.writes import WriteResult

#: OpenAPI documentation of the error responses every endpoint may give.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in (
        (400, "Malformed JSON"), (401, "Missing or unknown API key"), (403, "API key lacks the scope"),
        (413, "Request body too large"), (422, "Invalid parameters or body; `field` names the input"),
        (500, "Internal error"))
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "Unknown id"}}


def write_outcome(result: WriteResult, batch: str) -> WriteOut:
    """The response of a batch write; a batch whose every row was rejected is a 422 naming the fields."""
    out = WriteOut.of(result, batch)
    if result.received and result.rejected == result.received:
        first = out.errors[0] if out.errors else None
        raise ApiError(422, f"every one of the {result.received} {batch} was rejected"
                       + (f"; first: {first.field}: {first.reason}" if first else ""),
                       field=first.field if first else batch,
                       details=[e.model_dump() for e in out.errors[:100]])
    return out


def recommendation_out(rec: Recommendation, metrics: Metrics) -> Response:
    """The response of a list endpoint, serialised once here (the route's ``response_model`` documents it;
    returning a ready response spares FastAPI validating the same data a second time on the hot path)."""
    for item in rec.items:
        metrics.recommended.inc((item.source,))
    return Response(RecommendationOut.of(rec).model_dump_json(), media_type="application/json")

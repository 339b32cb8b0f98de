"""Helpers shared by the route modules: documented error responses and batch-write outcomes."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import orjson
from starlette.responses import Response

from shopmind.api.errors import ApiError
from shopmind.api.metrics import Metrics
from shopmind.api.schemas import ErrorOut, WriteOut
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
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut,
                                                   "description": "Conflicts with the current state"}}


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


#: Below this magnitude the stdlib encoder writes a float with an exponent (``repr``), orjson without.
_SMALL = 1e-4


def recommendation_json(rec: Recommendation) -> bytes:
    """``RecommendationOut.of(rec).model_dump_json()``, written straight from the dataclasses: the same
    fields, order and values, without building and validating a pydantic model per item on the hot path
    (``tests/api`` checks that both agree).

    Encoded by orjson, which writes what the stdlib encoder (``ensure_ascii=False``, compact) writes - the
    same strings and escapes, the same shortest round-trip floats - except for a float of magnitude below
    1e-4 (``0.000014`` rather than ``1.4e-05``): a list with such a score is left to the stdlib encoder, so
    the bytes clients get are the same as before either way."""
    plain = True
    items = []
    for i in rec.items:
        score = i.score if math.isfinite(i.score) else None  # as pydantic writes inf and NaN
        if score is not None and score != 0.0 and -_SMALL < score < _SMALL:
            plain = False
        items.append({"item_id": i.item_id, "score": score, "source": i.source, "reason": i.reason,
                      "position": i.position, "because_item_id": i.because_item_id, "title": i.title,
                      "category": i.category})
    body = {"recommendation_id": rec.recommendation_id, "user_id": rec.user_id, "model_version": rec.model_version,
            "cold_start": rec.cold_start, "items": items, "unknown_item_ids": rec.extra.get("unknown_item_ids"),
            "window": rec.extra.get("window")}
    if plain:
        try:
            return orjson.dumps(body)
        except TypeError:  # e.g. a lone surrogate in a string or an integer past 64 bits: as before
            pass
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def recommendation_out(rec: Recommendation, metrics: Metrics) -> Response:
    """The response of a list endpoint, serialised once here (the route's ``response_model``,
    :class:`RecommendationOut`, documents it; returning a ready response spares FastAPI validating the same
    data a second time on the hot path)."""
    for source, count in Counter(item.source for item in rec.items).items():
        metrics.recommended.inc((source,), count)
    return Response(recommendation_json(rec), media_type="application/json")

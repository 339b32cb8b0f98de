"""Differential privacy: the epsilon budget of the published lists and its ledger (``shopmind.privacy``).

``/trending`` and ``/items/{id}/bought-together`` are released with noise when ``SHOPMIND_DP_EPSILON`` is
set (see docs/privacy.md); these routes show what the releases have spent.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from shopmind.api.deps import READ, WRITE
from shopmind.api.errors import ApiError
from shopmind.api.routes.common import CONFLICT, ERRORS
from shopmind.api.schemas import ErrorOut
from shopmind.privacy.dp import PrivacyBudgetError, private_group_sizes
from shopmind.privacy.published import PrivateLists

router = APIRouter(tags=["privacy"], responses=ERRORS)
#: The documented answer of a list whose release the period's budget cannot pay for.
BUDGET_SPENT: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorOut, "description": "The differential-privacy budget of the period is spent"}}


class BudgetOut(BaseModel):
    """Where the epsilon budget of the current period stands."""

    enabled: bool = Field(description="Whether /trending and bought-together lists are released with noise.")
    epsilon: float | None = Field(description="Epsilon each release spends (null: DP is off).")
    period: str
    budget: float
    spent: float
    remaining: float
    queries: int = Field(description="Releases paid for in this period.")
    resets_at: str


class SegmentSizesIn(BaseModel):
    """A differentially private release of the customer segments' sizes."""

    model_config = ConfigDict(extra="forbid")

    epsilon: float | None = Field(strict=True, default=None, gt=0,
                                  description="Epsilon of this release (default: the server's SHOPMIND_DP_EPSILON).")
    max_segments: int = Field(strict=True, default=3, ge=1, le=1000, description="Segments one user counts in at most.")


class SegmentSizeOut(BaseModel):
    segment_id: str
    size: int = Field(description="Noisy member count.")


class SegmentSizesOut(BaseModel):
    """Noisy segment sizes and what the release cost."""

    epsilon: float
    scale: float = Field(description="Laplace scale of the noise (max_segments / epsilon).")
    segments: list[SegmentSizeOut]
    budget: BudgetOut


class SpendOut(BaseModel):
    """One paid release."""

    period: str
    query: str
    epsilon: float
    timestamp: str


def private_lists(request: Request) -> PrivateLists | None:
    """The app's :class:`PrivateLists` when differential privacy is on, else None."""
    dp = getattr(request.app.state, "dp", None)
    return dp if isinstance(dp, PrivateLists) and dp.enabled else None


def budget_spent(exc: PrivacyBudgetError) -> ApiError:
    """A 429 naming the period and when it renews (``Retry-After`` in seconds)."""
    wait = max(1, math.ceil((exc.resets_at - pd.Timestamp.now(tz="UTC")).total_seconds()))
    return ApiError(429, str(exc), code="privacy_budget_spent", field="epsilon",
                    details={"period": exc.period, "resets_at": exc.resets_at.isoformat()},
                    headers={"Retry-After": str(wait)})


def _lists(request: Request) -> PrivateLists:
    dp = getattr(request.app.state, "dp", None)
    if not isinstance(dp, PrivateLists):
        raise ApiError(503, "differential privacy is not configured on this server (shopmind serve sets it up)",
                       code="unavailable")
    return dp


@router.get("/dp/budget", response_model=BudgetOut, dependencies=READ)
def budget(request: Request) -> dict[str, Any]:
    """The epsilon budget of the current period: spent, remaining, releases and when it renews."""
    dp = _lists(request)
    return {"enabled": dp.enabled, "epsilon": dp.settings.epsilon, **dp.ledger.status().as_dict()}


@router.get("/dp/ledger", response_model=list[SpendOut], dependencies=READ)
def ledger(request: Request, period: Annotated[str | None, Query(
        max_length=16, description="A period name such as 2026-12-06, 2026-W49 or 2026-12 (default: all).")] = None
           ) -> list[dict[str, Any]]:
    """Every paid release, oldest first (all periods, or one)."""
    frame = _lists(request).ledger.store.privacy_spends(period)
    return [{"period": r.period, "query": r.query, "epsilon": float(r.epsilon), "timestamp": r.timestamp.isoformat()}
            for r in frame.itertuples()]


@router.post("/dp/segments", response_model=SegmentSizesOut, dependencies=WRITE,
             responses={**BUDGET_SPENT, **CONFLICT})
def segment_sizes(request: Request, body: SegmentSizesIn) -> dict[str, Any]:
    """The customer segments' sizes under differential privacy: each user counts in at most `max_segments`
    segments, Laplace noise is added, and the release is paid from the period's budget (429 once spent)."""
    dp = _lists(request)
    eps = body.epsilon if body.epsilon is not None else dp.settings.epsilon
    if eps is None:
        raise ApiError(422, "epsilon: give one, or start the server with SHOPMIND_DP_EPSILON", field="epsilon")
    store = dp.service.store
    catalog = [str(s["segment_id"]) for s in store.list_segments()]
    if not catalog:
        raise ApiError(409, "there are no customer segments yet: run `shopmind customers refresh` first",
                       code="conflict")
    members = {sid: _members(store, sid) for sid in catalog}
    try:
        status = dp.ledger.charge("segments", eps)
    except PrivacyBudgetError as exc:
        raise budget_spent(exc) from None
    names, sizes = private_group_sizes(members, eps, max_groups=body.max_segments)
    return {"epsilon": eps, "scale": sizes.scale,
            "segments": [{"segment_id": n, "size": int(v)} for n, v in zip(names, sizes.values.tolist(),
                                                                           strict=True)],
            "budget": {"enabled": dp.enabled, "epsilon": dp.settings.epsilon, **status.as_dict()}}


def _members(store: Any, segment_id: str, page: int = 10_000) -> list[str]:
    out: list[str] = []
    while True:
        chunk = store.segment_users(segment_id, limit=page, offset=len(out))
        out.extend(chunk)
        if len(chunk) < page:
            return out

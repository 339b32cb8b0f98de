"""Differential privacy: the epsilon budget of the published lists and its ledger (``shopmind.privacy``).

``/trending`` and ``/items/{id}/bought-together`` are released with noise when ``SHOPMIND_DP_EPSILON`` is
set (see docs/privacy.md); these routes show what the releases have spent.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shopmind.api.deps import READ
from shopmind.api.errors import ApiError
from shopmind.api.routes.common import ERRORS
from shopmind.api.schemas import ErrorOut
from shopmind.privacy.dp import PrivacyBudgetError
from shopmind.privacy.published import PrivateLists

router = APIRouter(tags=["privacy"], responses=ERRORS, dependencies=READ)
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


@router.get("/dp/budget", response_model=BudgetOut)
def budget(request: Request) -> dict[str, Any]:
    """The epsilon budget of the current period: spent, remaining, releases and when it renews."""
    dp = _lists(request)
    return {"enabled": dp.enabled, "epsilon": dp.settings.epsilon, **dp.ledger.status().as_dict()}


@router.get("/dp/ledger", response_model=list[SpendOut])
def ledger(request: Request, period: Annotated[str | None, Query(
        max_length=16, description="A period name such as 2026-12-06, 2026-W49 or 2026-12 (default: all).")] = None
           ) -> list[dict[str, Any]]:
    """Every paid release, oldest first (all periods, or one)."""
    frame = _lists(request).ledger.store.privacy_spends(period)
    return [{"period": r.period, "query": r.query, "epsilon": float(r.epsilon), "timestamp": r.timestamp.isoformat()}
            for r in frame.itertuples()]

"""Bandits over creatives and slots, shared by every worker through the store: create, choose, reward."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from shopmind.api.deps import READ, WRITE, get_service
from shopmind.api.errors import ApiError
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.marketing.state import SharedBandit
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["marketing"], responses=ERRORS)
Service = Annotated[RecommendationService, Depends(get_service)]
BanditId = Annotated[str, Path(min_length=1, max_length=64)]


class ChooseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=256)
    context: dict[str, float | int | str | bool] | None = None


class RewardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision_id: str = Field(min_length=1, max_length=64)
    reward: float = Field(ge=-1e9, le=1e9)


def _bandit(service: RecommendationService, bandit_id: str) -> SharedBandit:
    """The bandit with the latest shared sums (other workers' rewards included)."""
    return SharedBandit.load(service.store, bandit_id)


@router.post("/bandits", dependencies=WRITE, status_code=201)
def create(service: Service, doc: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Create a bandit: `bandit_id`, `arms`, `policy` (thompson, epsilon_greedy, ucb1, linucb), `params`,
    `features` (the context values LinUCB reads)."""
    return SharedBandit.create(service.store, doc).summary()


@router.get("/bandits/{bandit_id}", dependencies=READ, responses=NOT_FOUND)
def show(bandit_id: BanditId, service: Service) -> dict[str, Any]:
    """The bandit and its arms' pulls, rewards and mean rewards."""
    return _bandit(service, bandit_id).summary()


@router.post("/bandits/{bandit_id}/choose", dependencies=WRITE, responses=NOT_FOUND)
def choose(bandit_id: BanditId, body: ChooseIn, service: Service) -> dict[str, Any]:
    """Choose an arm for a user; the decision is logged with its propensity (send its `decision_id` back with
    the reward)."""
    return _bandit(service, bandit_id).choose(body.user_id, body.context).as_dict()


@router.post("/bandits/{bandit_id}/reward", dependencies=WRITE, responses=NOT_FOUND)
def reward(bandit_id: BanditId, body: RewardIn, service: Service) -> dict[str, Any]:
    """Record a decision's reward, exactly once (a retry answers `counted: false`)."""
    bandit = _bandit(service, bandit_id)
    counted = bandit.reward(body.decision_id, body.reward)
    if not counted and service.store.get_decision(body.decision_id) is None:
        raise ApiError(404, f"unknown decision id {body.decision_id!r}", field="decision_id")
    return {"decision_id": body.decision_id, "counted": counted}

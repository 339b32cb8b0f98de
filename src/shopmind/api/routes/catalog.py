"""Catalog and users: batch upserts and deletes, and item lookup."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Request

from shopmind.api.deps import READ, WRITE, get_service, get_settings
from shopmind.api.routes.common import ERRORS, NOT_FOUND, write_outcome
from shopmind.api.routes.privacy import eraser_of
from shopmind.api.schemas import DeleteOut, ItemIds, ItemsBatch, UserIds, UsersBatch, WriteOut
from shopmind.errors import UnknownIdError
from shopmind.pipeline.service import RecommendationService
from shopmind.privacy.erasure import erase_many
from shopmind.settings import ApiSettings

router = APIRouter(tags=["catalog"], responses=ERRORS)
Service = Annotated[RecommendationService, Depends(get_service)]
ItemId = Annotated[str, Path(min_length=1, max_length=256)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


@router.post("/items", response_model=WriteOut, dependencies=WRITE)
def upsert_items(batch: ItemsBatch, service: Service) -> WriteOut:
    """Insert or replace items (an upsert replaces the item's whole record). Bad rows are reported in
    `errors` and quarantined; the rest are stored and recommendable at once."""
    return write_outcome(service.upsert_items(batch.items), "items")


@router.post("/items/delete", response_model=DeleteOut, dependencies=WRITE)
def delete_items(batch: ItemIds, service: Service) -> DeleteOut:
    """Delete items by id; they stop being recommended at once. Unknown ids are listed in `not_found`."""
    return DeleteOut.of(service.delete_items(batch.item_ids))


@router.get("/items/{item_id}", dependencies=READ, responses=NOT_FOUND)
def get_item(item_id: ItemId, service: Service) -> dict[str, Any]:
    """One catalog item as stored."""
    item = service.store.get_item(item_id)
    if item is None:
        raise UnknownIdError("item", item_id)
    return {k: _jsonable(v) for k, v in item.items()}


@router.delete("/items/{item_id}", response_model=DeleteOut, dependencies=WRITE, responses=NOT_FOUND)
def delete_item(item_id: ItemId, service: Service) -> DeleteOut:
    """Delete one item (404 when unknown)."""
    result = service.delete_items([item_id])
    if result.not_found:
        raise UnknownIdError("item", item_id)
    return DeleteOut.of(result)


@router.post("/users", response_model=WriteOut, dependencies=WRITE)
def upsert_users(batch: UsersBatch, service: Service) -> WriteOut:
    """Insert or replace users. Bad rows are reported in `errors` and quarantined."""
    return write_outcome(service.upsert_users(batch.users), "users")


@router.post("/users/delete", response_model=DeleteOut, dependencies=WRITE)
def delete_users(batch: UserIds, request: Request, service: Service,
                 settings: Annotated[ApiSettings, Depends(get_settings)]) -> DeleteOut:
    """Delete users by id everywhere, as `DELETE /users/{user_id}` does for one (each request is in the
    deletion log). Ids nothing knew are listed in `not_found`."""
    deleted, missing = erase_many(eraser_of(request, service, settings), batch.user_ids, source="api")
    return DeleteOut(deleted=deleted, not_found=missing)

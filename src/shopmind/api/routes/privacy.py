"""Users' rights: look a user up, export everything kept on them (access), delete them everywhere (erasure).

``DELETE /users/{user_id}`` erases the user from the store, the live state, every loaded model version and
every saved artifact, and answers with the receipt; the request goes to the deletion log under a keyed hash of
the id (``shopmind privacy log``). See docs/privacy.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from shopmind.api.deps import READ, WRITE, get_service, get_settings
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.api.schemas import ErasureReceiptOut
from shopmind.errors import UnknownIdError
from shopmind.pipeline.service import RecommendationService
from shopmind.privacy.erasure import Eraser
from shopmind.settings import ApiSettings

router = APIRouter(tags=["privacy"], responses=ERRORS)
Service = Annotated[RecommendationService, Depends(get_service)]
UserId = Annotated[str, Path(min_length=1, max_length=256)]


def eraser_of(request: Request, service: RecommendationService, settings: ApiSettings) -> Eraser:
    """The erasure service of this app: its store, live service and models directory, and the privacy secret
    (``app.state.privacy_secret``) that keys the deletion log."""
    return Eraser(service.store, service, settings.models_dir, getattr(request.app.state, "privacy_secret", None))


@router.get("/users/{user_id}", dependencies=READ, responses=NOT_FOUND)
def get_user(user_id: UserId, service: Service) -> dict[str, Any]:
    """One user: the stored record (attributes, created_at) and how many events are stored for them. 404 when
    the store knows neither a record nor an event of the id (e.g. after `DELETE /users/{user_id}`)."""
    user = service.store.get_user(user_id)
    events = len(service.store.events_frame(user_ids=[user_id]))
    if user is None and events == 0:
        raise UnknownIdError("user", user_id)
    created = user.get("created_at") if user else None
    return {"user_id": user_id, "attributes": (user or {}).get("attributes") or {},
            "created_at": None if created is None or created != created else str(created), "events": events}


@router.get("/users/{user_id}/export", dependencies=WRITE, responses=NOT_FOUND)
def export_user(user_id: UserId, request: Request, service: Service,
                settings: Annotated[ApiSettings, Depends(get_settings)]) -> dict[str, Any]:
    """Everything kept about one user as JSON (right of access): every stored row naming them, their live
    session and negative feedback, and their history and vector in each model version and saved artifact.
    Needs the write scope: it is personal data."""
    return eraser_of(request, service, settings).export(user_id)


@router.delete("/users/{user_id}", response_model=ErasureReceiptOut, dependencies=WRITE, responses=NOT_FOUND)
def delete_user(user_id: UserId, request: Request, service: Service,
                settings: Annotated[ApiSettings, Depends(get_settings)]) -> dict[str, Any]:
    """Delete one user everywhere (right to erasure): their record, events, quarantined rows, exposures,
    decisions, profile and segments; their live session and feedback and what their events added to
    popularity, trending and bought-together; their rows in every loaded model version and saved artifact
    (exact unlearning for itemknn, seqknn, userknn and ease). Answers the receipt; 404 when nothing knew the id."""
    return eraser_of(request, service, settings).erase(user_id, source="api")

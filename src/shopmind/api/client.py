"""A small Python client for the shopmind REST API (``shopmind serve``).

>>> from shopmind.api.client import ShopmindClient
>>> with ShopmindClient("http://127.0.0.1:8000", api_key="k2") as client:   # doctest: +SKIP
...     client.insert_events([{"event_id": "e1", "user_id": "U1", "item_id": "SKU1", "type": "view"}])
...     rec = client.recommend("U1", n=5, filters=["category:Beauty"], diversity=0.7)
...     [(i["item_id"], i["reason"]) for i in rec["items"]]

Methods mirror the endpoints and return the decoded JSON. An error response raises
:class:`ShopmindAPIError` carrying the status and the API's error ``code``, ``message`` and ``field``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from shopmind.errors import ShopmindError


class ShopmindAPIError(ShopmindError):
    """An error answer from the API (the one error shape, decoded)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, details: Any = None) -> None:
        where = f" ({field})" if field else ""
        super().__init__(f"HTTP {status} {code}{where}: {message}")
        self.status, self.code, self.message, self.field, self.details = status, code, message, field, details


def _listed(values: Iterable[str] | str | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


class ShopmindClient:
    """Client of one shopmind server. ``http`` injects a ready ``httpx.Client`` (e.g. a FastAPI
    ``TestClient``); otherwise one is created for ``base_url``."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", api_key: str | None = None, *,
                 timeout: float = 10.0, http: httpx.Client | None = None) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self._owns = http is None
        self.http = http if http is not None else httpx.Client(base_url=base_url, timeout=timeout)
        self._headers = headers

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        if self._owns:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
              json: Any = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.http.request(method, path, params=clean or None, json=json, headers=self._headers)
        if response.status_code >= 400:
            try:
                err = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                raise ShopmindAPIError(response.status_code, "http_error", response.text[:200]) from None
            raise ShopmindAPIError(response.status_code, err.get("code", "error"), err.get("message", ""),
                                   err.get("field"), err.get("details"))
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def _request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                 json: Any = None) -> dict[str, Any]:
        """A call whose answer is a JSON object."""
        body = self._call(method, path, params=params, json=json)
        if not isinstance(body, dict):
            raise ShopmindAPIError(200, "unexpected_body", f"{method} {path} answered {type(body).__name__}, "
                                   "not a JSON object")
        return body

    def _request_list(self, method: str, path: str) -> list[dict[str, Any]]:
        """A call whose answer is a JSON array of objects."""
        body = self._call(method, path)
        if not isinstance(body, list):
            raise ShopmindAPIError(200, "unexpected_body", f"{method} {path} answered {type(body).__name__}, "
                                   "not a JSON array")
        return body

    @staticmethod
    def _list_params(filters: Sequence[str] | str | None, boosts: Sequence[str] | str | None,
                     exclude: Sequence[str] | str | None, pins: Sequence[str] | str | None, **more: Any
                     ) -> dict[str, Any]:
        return {"filter": _listed(filters), "boost": _listed(boosts), "exclude": _listed(exclude),
                "pin": _listed(pins), **more}

    # ------------------------------------------------------------------ operations
    def health(self) -> dict[str, Any]:
        return self._request("GET", "/health")

    def ready(self) -> dict[str, Any]:
        return self._request("GET", "/ready")

    def metrics(self) -> str:
        return str(self._call("GET", "/metrics"))

    def models(self) -> list[dict[str, Any]]:
        return self._request_list("GET", "/models")

    def rollback_model(self) -> dict[str, Any]:
        return self._request("POST", "/models/rollback")

    def activate_model(self, version: str) -> dict[str, Any]:
        return self._request("POST", "/models/activate", json={"version": version})

    def reload_model(self, name: str) -> dict[str, Any]:
        return self._request("POST", "/models/reload", json={"name": name})

    # ------------------------------------------------------------------ writes
    def retrain(self, model: str = "als", params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Start a background retrain (``POST /models/retrain``); poll :meth:`retrain_job` with its job id."""
        return self._request("POST", "/models/retrain", json={"model": model, "params": dict(params or {})})

    def retrain_job(self, job_id: str) -> dict[str, Any]:
        return self._request("GET", f"/models/retrain/{quote(job_id, safe='')}")

    def upsert_items(self, items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return self._request("POST", "/items", json={"items": list(items)})

    def delete_items(self, item_ids: Sequence[str]) -> dict[str, Any]:
        return self._request("POST", "/items/delete", json={"item_ids": list(item_ids)})

    def get_item(self, item_id: str) -> dict[str, Any]:
        return self._request("GET", f"/items/{quote(item_id, safe='')}")

    def upsert_users(self, users: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return self._request("POST", "/users", json={"users": list(users)})

    def delete_users(self, user_ids: Sequence[str]) -> dict[str, Any]:
        return self._request("POST", "/users/delete", json={"user_ids": list(user_ids)})

    def insert_events(self, events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Append events (idempotent by ``event_id``); returns inserted/duplicates/rejected and row errors."""
        return self._request("POST", "/events", json={"events": list(events)})

    # ------------------------------------------------------------------ reads
    def recommend(self, user_id: str, n: int = 10, offset: int = 0, *, filters: Sequence[str] | str | None = None,
                  boosts: Sequence[str] | str | None = None, exclude: Sequence[str] | str | None = None,
                  pins: Sequence[str] | str | None = None, promote: str | None = None,
                  promote_share: float | None = None, diversity: float | None = None,
                  max_per_category: int | None = None, explore: int | None = None,
                  filter_seen: bool | None = None, context: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``GET /recommendations/{user_id}``; rules are expressions such as ``"brand:Acme; price:..50"``."""
        params = self._list_params(filters, boosts, exclude, pins, n=n, offset=offset, promote=promote,
                                   promote_share=promote_share, diversity=diversity,
                                   max_per_category=max_per_category, explore=explore, filter_seen=filter_seen,
                                   context=[f"{k}:{v}" for k, v in (context or {}).items()] or None)
        return self._request("GET", f"/recommendations/{quote(user_id, safe='')}", params=params)

    def recommend_session(self, item_ids: Sequence[str], n: int = 10, **options: Any) -> dict[str, Any]:
        """``POST /recommendations/session`` for an anonymous visitor; ``options`` as in the JSON body."""
        body = {"item_ids": list(item_ids), "n": n, "options": options}
        return self._request("POST", "/recommendations/session", json=body)

    def rerank(self, item_ids: Sequence[str], user_id: str | None = None, n: int | None = None,
               **options: Any) -> dict[str, Any]:
        body = {"item_ids": list(item_ids), "user_id": user_id, "n": n, "options": options}
        return self._request("POST", "/rerank", json=body)

    def similar(self, item_id: str, n: int = 10, *, filters: Sequence[str] | str | None = None) -> dict[str, Any]:
        params = {"n": n, "filter": _listed(filters)}
        return self._request("GET", f"/items/{quote(item_id, safe='')}/similar", params=params)

    def bought_together(self, item_id: str, n: int = 10) -> dict[str, Any]:
        return self._request("GET", f"/items/{quote(item_id, safe='')}/bought-together", params={"n": n})

    def trending(self, window: str = "24h", n: int = 10, *, filters: Sequence[str] | str | None = None
                 ) -> dict[str, Any]:
        params = {"window": window, "n": n, "filter": _listed(filters)}
        return self._request("GET", "/trending", params=params)

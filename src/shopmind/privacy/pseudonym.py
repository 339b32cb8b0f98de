"""Pseudonymised mode: user ids become a keyed hash at the edge, so nothing behind it holds a raw id.

With a secret configured (``SHOPMIND_PRIVACY_SECRET``), :class:`Pseudonymiser` maps a shop's user id to
``p_`` + the first 32 hex digits of HMAC-SHA256(secret, id). The mapping is applied where ids come in - the
REST API (:class:`PseudonymMiddleware`: paths, query strings and JSON bodies) and file imports
(:meth:`Pseudonymiser.read_result`) - so the store, the serving state, model artifacts, logs and exports only
ever see the pseudonym, while the shop keeps calling the API with its own ids. The same id always gives the
same pseudonym, and a pseudonym passed in again is kept as it is (so an id taken from a response can be sent
back).

>>> p = Pseudonymiser("a secret")
>>> alias = p("U00042")
>>> alias.startswith("p_") and len(alias) == 34, p(alias) == alias, p("U00042") == alias
(True, True, True)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

import pandas as pd

from shopmind.data.loaders.base import ReadResult

PSEUDONYM = re.compile(r"p_[0-9a-f]{32}")
#: Path segments followed by a user id (``/users/{id}``, ``/recommendations/{id}``).
USER_PATH_PREFIXES = ("users", "recommendations")
#: JSON keys (at any depth) and query parameters holding user ids.
USER_KEYS = frozenset({"user_id"})
USER_LIST_KEYS = frozenset({"user_ids"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Pseudonymiser:
    """Keyed, deterministic pseudonyms of user ids (see the module docs)."""

    def __init__(self, secret: str | bytes) -> None:
        self._key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)

    def __call__(self, user_id: object) -> str:
        raw = str(user_id).strip()
        if PSEUDONYM.fullmatch(raw):
            return raw
        return "p_" + hmac.new(self._key, b"user:" + raw.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def column(self, values: pd.Series) -> pd.Series:
        """A column of ids mapped (missing values stay missing)."""
        return pd.Series([v if v is None or (isinstance(v, float) and v != v) else self(v) for v in values],
                         index=values.index, dtype=object)

    def read_result(self, result: ReadResult) -> ReadResult:
        """What a reader made of a file, with every user id (and every rejected user-id value) pseudonymised."""
        events, users = result.events, result.users
        if events is not None and "user_id" in events.columns:
            events = events.assign(user_id=self.column(events["user_id"]))
        if users is not None and "user_id" in users.columns:
            users = users.assign(user_id=self.column(users["user_id"]))
        rejects = [replace(r, value=self(r.value)) if r.field == "user_id" and r.value not in (None, "") else r
                   for r in result.rejects]
        return replace(result, events=events, users=users, rejects=rejects)

    def json(self, doc: Any) -> Any:
        """A JSON document with the values of ``user_id`` keys and ``user_ids`` lists (at any depth) mapped."""
        if isinstance(doc, dict):
            out: dict[str, Any] = {}
            for k, v in doc.items():
                if k in USER_KEYS and isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip():
                    out[k] = self(v)
                elif k in USER_LIST_KEYS and isinstance(v, list):
                    out[k] = [self(x) if isinstance(x, str | int) and not isinstance(x, bool) and str(x).strip()
                              else x for x in v]
                else:
                    out[k] = self.json(v)
            return out
        if isinstance(doc, list):
            return [self.json(v) for v in doc]
        return doc

    def path(self, path: str) -> str:
        """A request path with the user id of ``/users/{id}...`` and ``/recommendations/{id}`` mapped."""
        parts = path.split("/")
        if len(parts) > 2 and parts[1] in USER_PATH_PREFIXES and parts[2] and parts[2] != "delete":
            parts[2] = quote(self(unquote(parts[2])), safe="")
        return "/".join(parts)

    def query(self, query: bytes) -> bytes:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        if not any(k in USER_KEYS for k, _ in pairs):
            return query
        return urlencode([(k, self(v) if k in USER_KEYS and v else v) for k, v in pairs]).encode("latin-1")



class PseudonymMiddleware:
    """ASGI middleware: pseudonymise the user ids of every HTTP request before the app (and its access log)
    sees them - the path (``/users/{id}``, ``/recommendations/{id}``), the ``user_id`` query parameter and the
    ``user_id`` / ``user_ids`` values of a JSON body."""

    def __init__(self, app: ASGIApp, pseudonymiser: Pseudonymiser) -> None:
        self.app = app
        self.pseudonymiser = pseudonymiser

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        p = self.pseudonymiser
        # changed in place: the server's access log reads the same scope
        path = p.path(scope["path"])
        if path != scope["path"]:
            scope["path"] = path
            scope["raw_path"] = path.encode("ascii", "ignore")
        scope["query_string"] = p.query(scope.get("query_string", b""))
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        try:
            doc = json.loads(body) if body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            doc = None  # not JSON: the app answers it as usual
        if doc is not None:
            body = json.dumps(p.json(doc), ensure_ascii=False).encode("utf-8")
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
            scope["headers"] = [*headers, (b"content-length", str(len(body)).encode())]
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """``messages`` first, then whatever the server sends next (a disconnect)."""
    queue = list(messages)

    async def replayed() -> Message:
        if queue:
            return queue.pop(0)
        return await then()

    return replayed

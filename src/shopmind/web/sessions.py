"""Console sessions: a signed cookie, the scopes of the API key it was opened with, and a CSRF token.

A person signs in with an API key (the keys and scopes of ``SHOPMIND_API_KEYS``). The cookie holds no key,
only an HMAC fingerprint of it, the CSRF token and the expiry, signed with the console's secret; it is
``HttpOnly`` (no script reads it), ``SameSite=Strict`` and limited to ``/admin``. Every request looks the
fingerprint up among the configured keys again, so a key removed from the configuration ends its sessions.
A key with the ``write`` scope may act (import, activate, retrain); a ``read`` key sees every page but acts on
nothing. Without configured keys (loopback development) everyone is signed in with both scopes, and the
pages say so in a banner.

Every state-changing request must carry the session's CSRF token, as the form field ``csrf_token`` or the
``X-CSRF-Token`` header (HTMX sends the header on every request, see ``base.html``).

>>> signer = SessionSigner(b"secret", max_age=3600)
>>> cookie = signer.dump(SessionData(key_id="abc", csrf="t0k", expires=4102444800.0))
>>> signer.load(cookie).key_id, signer.load(cookie + "x")
('abc', None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import Request

#: The session cookie's name and path.
COOKIE = "shopmind_console"
COOKIE_PATH = "/admin"
#: Where the CSRF token travels.
CSRF_FIELD, CSRF_HEADER = "csrf_token", "x-csrf-token"


@dataclass(frozen=True)
class SessionData:
    """What the cookie carries: the key's fingerprint (None before sign-in), the CSRF token, the expiry."""

    key_id: str | None
    csrf: str
    expires: float


@dataclass(frozen=True)
class Session:
    """The session of one request, with the scopes its key holds now."""

    data: SessionData
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: True without configured keys: everyone is signed in (loopback development).
    development: bool = False

    @property
    def signed_in(self) -> bool:
        return bool(self.scopes)

    @property
    def can_act(self) -> bool:
        """The key may change things (``write`` scope)."""
        return "write" in self.scopes

    @property
    def csrf(self) -> str:
        return self.data.csrf


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and checks session cookies with one secret (see the module docs)."""

    def __init__(self, secret: bytes, max_age: float) -> None:
        self.secret, self.max_age = secret, max_age

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()

    def fingerprint(self, api_key: str) -> str:
        """What a session remembers of the key it was opened with (the key itself never leaves the server)."""
        return _b64(hmac.new(self.secret, b"key:" + api_key.encode(), hashlib.sha256).digest()[:18])

    def new(self, key_id: str | None = None) -> SessionData:
        return SessionData(key_id, secrets.token_urlsafe(24), time.time() + self.max_age)

    def dump(self, data: SessionData) -> str:
        payload = json.dumps({"k": data.key_id, "c": data.csrf, "e": data.expires}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def load(self, cookie: str | None) -> SessionData | None:
        """The session in ``cookie``, or None when it is missing, forged, malformed or expired."""
        if not cookie or "." not in cookie:
            return None
        body, _, mac = cookie.partition(".")
        try:
            payload = _unb64(body)
            if not hmac.compare_digest(_unb64(mac), self._mac(payload)):
                return None
            raw = json.loads(payload)
            data = SessionData(raw["k"], str(raw["c"]), float(raw["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return data if data.expires > time.time() else None


class Sessions:
    """Sessions against the configured API keys: sign-in, the session of a request, the cookie."""

    def __init__(self, signer: SessionSigner, keys: Mapping[str, frozenset[str]],
                 stored: Callable[[str], frozenset[str] | None] | None = None, stored_any: bool = False) -> None:
        self.signer = signer
        #: ``stored``: the scopes of a key created with ``shopmind keys create`` (None: unknown or revoked);
        #: ``stored_any``: such keys exist, so the console is not open to everyone.
        self.stored = stored
        self.development = not keys and not stored_any
        #: fingerprint -> scopes, computed once (the keys are fixed for the life of the app)
        self._scopes = {signer.fingerprint(k): frozenset(v) for k, v in keys.items()}
        #: fingerprint -> the stored key it was made from, for keys signed in with (checked on every request)
        self._stored_keys: dict[str, str] = {}

    def sign_in(self, api_key: str) -> SessionData | None:
        """A new signed-in session for a known key (None for an unknown one)."""
        key_id = self.signer.fingerprint(api_key.strip())
        known = any(hmac.compare_digest(key_id, k) for k in self._scopes)
        if not known and self.stored is not None and self.stored(api_key.strip()):
            self._stored_keys[key_id] = api_key.strip()
            known = True
        return self.signer.new(key_id) if known else None

    def resolve(self, data: SessionData | None) -> Session:
        """The request's session: its data (a fresh anonymous one without a valid cookie) with the scopes its
        key holds now."""
        data = data or self.signer.new()
        if self.development:
            return Session(data, frozenset({"read", "write"}), development=True)
        scopes = self._scopes.get(data.key_id or "")
        stored_key = self._stored_keys.get(data.key_id or "")
        if scopes is None and stored_key is not None and self.stored is not None:
            scopes = self.stored(stored_key)  # a revoked key ends its sessions
        return Session(data, scopes or frozenset())

    def of(self, request: Request) -> Session:
        """The session of ``request`` (cached on it); a request without a valid cookie gets a new anonymous
        one, which :func:`set_cookie` hands out with the response."""
        cached: Session | None = getattr(request.state, "console_session", None)
        if cached is None:
            data = self.signer.load(request.cookies.get(COOKIE))
            cached = self.resolve(data)
            request.state.console_session = cached
            request.state.console_new_cookie = data is None
        return cached

    def cookie_value(self, data: SessionData) -> str:
        return self.signer.dump(data)


def csrf_ok(session: Session, presented: str | None) -> bool:
    """The request carries this session's CSRF token."""
    return bool(presented) and hmac.compare_digest(str(presented), session.csrf)

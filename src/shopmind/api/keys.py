"""API keys: the ones configured in the settings (``SHOPMIND_API_KEYS``) and the ones created with
``shopmind keys create`` and kept in the store, hashed; plus a per-key rate limiter.

A created key looks like ``sm_<key_id>_<secret>``: ``key_id`` names it in ``shopmind keys list`` and in
logs, and only the SHA-256 of the whole key is stored (the key carries 256 random bits, so a fast hash is
enough; nothing can be guessed from it).

>>> key_id, key = new_key()
>>> key.startswith(f"sm_{key_id}_") and len(hash_key(key)) == 64
True
>>> sorted(expand_scopes(["admin"]))
['admin', 'read', 'write']
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from shopmind.errors import ParameterError
from shopmind.pipeline.online import OnlineState
from shopmind.storage import ApiKeyStore

#: Scopes a created key can be given; each implies the ones before it.
KEY_SCOPES = ("read", "write", "admin")


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """A scope with the ones it implies: ``admin`` -> admin, write, read; ``write`` -> write, read."""
    out: set[str] = set()
    for s in scopes:
        if s not in KEY_SCOPES:
            raise ParameterError("keys", "scope", s, f"one of {', '.join(KEY_SCOPES)}")
        out.update(KEY_SCOPES[:KEY_SCOPES.index(s) + 1])
    return frozenset(out)


def new_key() -> tuple[str, str]:
    """A fresh ``(key_id, key)``; show the key once and store only :func:`hash_key` of it."""
    key_id = secrets.token_hex(4)
    return key_id, f"sm_{key_id}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    """The stored form of a key (hex SHA-256)."""
    return hashlib.sha256(key.strip().encode()).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    """What a presented key may do: its id (for logs and limits), scopes and rate limit (None: default)."""

    key_id: str
    scopes: frozenset[str]
    rate_limit: float | None = None


class KeyRing:
    """Looks a presented key up among the configured keys, then the stored ones.

    Stored keys are read from the store and remembered for ``ttl`` seconds (so a revoked key stops working
    within ``ttl``, and a request does not cost a store read). ``enabled`` is true once any key exists:
    configured, or created in the store (checked again every ``ttl`` seconds).
    """

    def __init__(self, configured: Mapping[str, frozenset[str]], store: ApiKeyStore | None = None,
                 ttl: float = 5.0, clock: Callable[[], float] = time.monotonic, cache_size: int = 10_000) -> None:
        self.configured = {hash_key(k): KeyInfo(f"cfg-{hash_key(k)[:8]}", frozenset(v))
                           for k, v in configured.items()}
        self.store, self.ttl, self.clock, self.cache_size = store, ttl, clock, cache_size
        self._cache: OrderedDict[str, tuple[float, KeyInfo | None]] = OrderedDict()
        self._stored_any: tuple[float, bool] = (-math.inf, False)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Authentication is on: some key is configured or stored (revoked keys count: once a shop has
        made keys, the API never falls back to open access)."""
        if self.configured:
            return True
        if self.store is None:
            return False
        now = self.clock()
        checked, found = self._stored_any
        if now - checked >= self.ttl:
            found = bool(self.store.list_api_keys())
            self._stored_any = (now, found)
        return found

    def lookup(self, key: str) -> KeyInfo | None:
        """The key's :class:`KeyInfo`, or None for an unknown or revoked key."""
        digest = hash_key(key)
        info = self.configured.get(digest)
        if info is not None or self.store is None:
            return info
        now = self.clock()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        row = self.store.find_api_key(digest)
        found = None
        if row is not None and row.get("revoked_at") is None:
            found = KeyInfo(str(row["key_id"]), expand_scopes(row["scopes"]), row.get("rate_limit"))
        with self._lock:
            self._cache[digest] = (now, found)
            self._cache.move_to_end(digest)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return found


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second on average, bursts of up to ``burst``.

    With ``shared`` (the service's online state, read at each request) and a state that several workers
    share, the bucket is the one in that state (:meth:`OnlineState.hit`), so N workers together allow a key
    its limit, not N times it; while that state cannot be reached, this worker's own bucket decides.

    >>> limiter = RateLimiter(rate=1.0, burst=2, clock=lambda: 0.0)
    >>> [limiter.acquire("k") for _ in range(3)]
    [0.0, 0.0, 1.0]
    """

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000, shared: Callable[[], OnlineState] | None = None) -> None:
        self.rate, self.burst, self.clock, self.max_keys = rate, burst, clock, max_keys
        self.shared = shared
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _bucket(self, rate: float | None) -> tuple[float, float]:
        """The rate and burst of a bucket (``rate`` overrides the default; its burst scales with it)."""
        r = self.rate if rate is None else rate
        burst = max(1.0, self.burst * r / self.rate) if rate is not None and self.rate > 0 else self.burst
        return r, burst

    def _online(self) -> OnlineState | None:
        online = self.shared() if self.shared is not None else None
        return online if online is not None and online.shared else None

    def acquire(self, key: str, rate: float | None = None) -> float:
        """Take one request from ``key``'s bucket: 0.0 if allowed, else the seconds until one is (the
        ``Retry-After``). ``rate`` overrides the default rate for this key (its burst scales with it)."""
        r, burst = self._bucket(rate)
        if r <= 0:
            return 0.0
        online = self._online()
        if online is not None:
            wait = online.hit(key, r, burst)
            if wait is not None:
                return wait
        return self._local(key, r, burst)

    async def acquire_async(self, key: str, rate: float | None = None) -> float:
        """:meth:`acquire`, with the shared bucket's round trip awaited (the event loop serves other requests
        meanwhile)."""
        r, burst = self._bucket(rate)
        if r <= 0:
            return 0.0
        online = self._online()
        if online is not None:
            wait = await online.hit_async(key, r, burst)
            if wait is not None:
                return wait
        return self._local(key, r, burst)

    def _local(self, key: str, r: float, burst: float) -> float:
        """This worker's own bucket."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * r)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / r
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

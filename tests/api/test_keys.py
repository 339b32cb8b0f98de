"""API keys: generation and hashing, the key ring over configured and stored keys, the per-key rate limiter."""

from __future__ import annotations

import asyncio

import pytest

from shopmind.api.keys import KeyRing, RateLimiter, expand_scopes, hash_key, new_key
from shopmind.errors import ParameterError
from shopmind.storage import open_store


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_new_keys_are_distinct_and_only_their_hash_is_kept() -> None:
    (id1, k1), (id2, k2) = new_key(), new_key()
    assert k1 != k2 and id1 != id2 and k1.startswith(f"sm_{id1}_") and len(k1) > 40
    assert hash_key(k1) == hash_key(f" {k1} ") != hash_key(k2)
    assert k1 not in hash_key(k1)


def test_scopes_imply_the_lower_ones() -> None:
    assert expand_scopes(["read"]) == {"read"}
    assert expand_scopes(["write"]) == {"read", "write"}
    assert expand_scopes(["admin"]) == {"read", "write", "admin"}
    with pytest.raises(ParameterError, match="scope"):
        expand_scopes(["root"])


def test_key_ring_reads_configured_and_stored_keys_and_notices_revocation() -> None:
    clock = Clock()
    with open_store("sqlite:///:memory:") as store:
        ring = KeyRing({"cfg": frozenset({"read"})}, store, ttl=5.0, clock=clock)
        key_id, key = new_key()
        assert ring.lookup(key) is None  # not stored yet (and remembered as unknown for ttl seconds)
        store.put_api_key({"key_id": key_id, "key_hash": hash_key(key), "scopes": ["write"], "rate_limit": 3})
        clock.now = 5.0
        info = ring.lookup(key)
        assert info is not None and info.key_id == key_id and info.scopes == {"read", "write"}
        assert info.rate_limit == 3.0
        assert ring.lookup("cfg").scopes == {"read"} and ring.lookup("nope") is None
        store.revoke_api_key(key_id)
        assert ring.lookup(key) is not None  # cached for ttl seconds ...
        clock.now = 10.0
        assert ring.lookup(key) is None  # ... then the revocation holds


def test_key_ring_is_enabled_once_any_key_exists() -> None:
    clock = Clock()
    with open_store("sqlite:///:memory:") as store:
        assert KeyRing({"k": frozenset({"read"})}, store).enabled
        ring = KeyRing({}, store, ttl=1.0, clock=clock)
        assert not ring.enabled and not KeyRing({}, None).enabled
        store.put_api_key({"key_id": "a", "key_hash": hash_key("x"), "scopes": ["read"]})
        clock.now = 1.0
        assert ring.enabled
        store.revoke_api_key("a")
        clock.now = 2.0
        assert ring.enabled  # revoking every key does not reopen the API to everyone


def test_rate_limiter_token_bucket_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=4, clock=clock)
    assert [limiter.acquire("a") for _ in range(4)] == [0.0] * 4
    assert limiter.acquire("a") == pytest.approx(0.5)  # one token comes back every 0.5 s
    assert limiter.acquire("b") == 0.0  # buckets are per key
    clock.now = 0.5
    assert limiter.acquire("a") == 0.0 and limiter.acquire("a") > 0
    clock.now = 100.0
    assert [limiter.acquire("a") for _ in range(4)] == [0.0] * 4 and limiter.acquire("a") > 0  # capped at burst
    # a key's own rate: 1 a second, burst scaled to 2
    assert [limiter.acquire("c", 1.0) for _ in range(2)] == [0.0, 0.0] and limiter.acquire("c", 1.0) == 1.0
    assert RateLimiter(rate=0.0, burst=1, clock=clock).acquire("x") == 0.0  # 0: no limit


def test_the_awaited_limiter_counts_as_the_blocking_one() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=2, clock=clock)

    async def three():
        return await asyncio.gather(*(limiter.acquire_async("a") for _ in range(3)))

    got = asyncio.run(three())
    assert got == [0.0, 0.0, pytest.approx(0.5)] and limiter.acquire("a") == pytest.approx(0.5)
    assert asyncio.run(limiter.acquire_async("c", 1.0)) == 0.0  # a key's own rate, as acquire


def test_with_several_workers_a_key_gets_its_limit_not_n_times_it(redis_url) -> None:
    from shopmind.pipeline.state_redis import RedisOnlineState

    states = [RedisOnlineState(redis_url, worker=f"w{k}") for k in range(3)]
    try:
        # three workers' limiters, each reading the shared state as the app does (its service's online state)
        limiters = [RateLimiter(rate=0.01, burst=2, clock=Clock(), shared=lambda s=s: s) for s in states]
        allowed = sum(lim.acquire("k") == 0.0 for _ in range(4) for lim in limiters)
        assert allowed == 2  # the key's burst, across 12 requests on 3 workers (per worker it would be 6)
        assert limiters[2].acquire("k") > 0
        # Redis gone: each worker's own bucket decides (the key is not refused for want of Redis)
        states[0].client.close()
        states[0]._degraded = True
        assert limiters[0].acquire("other") == 0.0
    finally:
        for s in states:
            s.close()


def test_awaited_and_blocking_requests_on_several_workers_draw_from_one_bucket(redis_url) -> None:
    """The hot route and every ``require`` dependency take the shared bucket's round trip awaited; the
    bucket is the same one the blocking path draws from."""
    from shopmind.pipeline.state_redis import RedisOnlineState

    states = [RedisOnlineState(redis_url, worker=f"w{k}") for k in range(2)]
    limiters = [RateLimiter(rate=0.01, burst=3, clock=Clock(), shared=lambda s=s: s) for s in states]

    async def requests():
        try:
            return await asyncio.gather(*(lim.acquire_async("k") for _ in range(3) for lim in limiters))
        finally:
            for s in states:
                await s.aclose()

    try:
        waits = asyncio.run(requests())
        assert sorted(waits)[:3] == [0.0] * 3 and all(90.0 < w <= 300.0 for w in sorted(waits)[3:])
        assert limiters[0].acquire("k") > 0  # the blocking path sees the same emptied bucket
        # Redis gone: the awaited path falls back to the worker's own bucket too
        states[1].client.close()
        states[1]._degraded = True
        assert asyncio.run(limiters[1].acquire_async("other")) == 0.0
    finally:
        for s in states:
            s.close()

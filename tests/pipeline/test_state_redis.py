"""Several serving workers sharing one online state in the real Redis server: read-your-writes across workers,
events counted once, the log that keeps every worker's signals current, attribution, versions swapped
together, rate limits, and the faults (Redis gone mid-load, then back: degraded, then recovered, nothing
acknowledged lost). Two workers are two services over one store in this process, each with its own
:class:`RedisOnlineState`, exactly as two ``serve`` processes would have."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import redis

from fixtures.shop import TEST_CONFIG
from shopmind.errors import ShopmindError
from shopmind.models import create
from shopmind.pipeline import RecommendationService
from shopmind.pipeline.state_redis import RedisOnlineState, redact
from shopmind.schema import Event
from shopmind.storage import open_store


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll ``condition`` (the log and the channel are applied by background threads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Workers:
    """Services over one store copy, each sharing its online state through its own Redis connection."""

    def __init__(self, trained_shop, tmp_path: Path, url: str) -> None:
        shutil.copy(trained_shop.db, tmp_path / "s.db")
        self.url = f"sqlite:///{tmp_path / 's.db'}"
        self.trained_shop = trained_shop
        self.redis_url = url
        self.opened: list[tuple[RecommendationService, RedisOnlineState]] = []

    def start(self, name: str, **options) -> RecommendationService:
        online = RedisOnlineState(self.redis_url, worker=name, **options)
        store = open_store(self.url)
        service = RecommendationService.open(store, self.trained_shop.model, config=TEST_CONFIG, version="knn-v1")
        service.share_state(online)
        self.opened.append((service, online))
        return service

    def close(self) -> None:
        for service, online in self.opened:
            online.close()
            service.store.close()


@pytest.fixture()
def workers(trained_shop, tmp_path, redis_url) -> Iterator[Workers]:
    w = Workers(trained_shop, tmp_path, redis_url)
    yield w
    w.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _item_with_neighbours(service: RecommendationService) -> str:
    counts = np.diff(service.state.viewed_together.indptr)
    return service.state.catalog.raw(int(np.argmax(counts)))


def test_an_event_posted_to_one_worker_shapes_the_next_request_on_another(workers):
    a, b = workers.start("a"), workers.start("b")
    item = _item_with_neighbours(a)
    user = "redis-newcomer"
    before = b.recommend(user, n=5)
    assert before.cold_start and not any(i.because_item_id for i in before.items)
    res = a.ingest_events([{"event_id": "e1", "user_id": user, "item_id": item, "type": "view", "timestamp": _now()}])
    assert res.inserted == 1
    # no waiting: the session was in Redis before the write was acknowledged
    after = b.recommend(user, n=5)
    assert item not in [i.item_id for i in after.items]
    assert any(i.because_item_id == item for i in after.items)
    ctx = b.state.sessions.context(user, b.state.history)
    assert ctx.anchors[0] == (b.state.catalog.index(item), "view")


def test_the_log_keeps_every_workers_counters_current_and_counts_a_retry_once(workers):
    a, b = workers.start("a"), workers.start("b")
    item = _item_with_neighbours(a)
    idx = b.state.catalog.index(item)
    pop0 = float(b.state.signals.popularity_of(np.array([idx]))[0])
    event = {"event_id": "buy-1", "user_id": "u-log", "item_id": item, "type": "purchase", "timestamp": _now()}
    assert a.ingest_events([event]).inserted == 1
    weight = TEST_CONFIG.event_weights["purchase"]
    wait_for(lambda: b.state.signals.popularity_of(np.array([idx]))[0] == pop0 + weight, "the log on worker b")
    # the same batch applied again on the other worker (a client retrying elsewhere): claimed already
    again = b.state.apply_events([Event.model_validate(event)])
    assert len(again) == 0
    assert b.state.signals.popularity_of(np.array([idx]))[0] == pop0 + weight
    # a third worker started now reads the event from the store, and skips it in the log
    c = workers.start("c")
    assert c.state.signals.popularity_of(np.array([c.state.catalog.index(item)]))[0] == pop0 + weight
    # trending and exploration counts follow the same log
    imp = {"event_id": "imp-1", "user_id": "u-log", "item_id": item, "type": "impression", "timestamp": _now()}
    impressions0 = float(b.state.signals.bandit_counts(np.array([idx]))[0][0])
    assert a.ingest_events([imp]).inserted == 1
    wait_for(lambda: b.state.signals.bandit_counts(np.array([idx]))[0][0] == impressions0 + 1, "impressions on b")


def test_an_event_is_attributed_to_a_recommendation_another_worker_served(workers, redis_url):
    a, b = workers.start("a"), workers.start("b")
    rec = a.recommend("attrib-user", n=5)
    first = rec.items[0]
    client = redis.Redis.from_url(redis_url)
    wait_for(lambda: client.exists(f"shopmind:rec:{rec.recommendation_id}") == 1, "the recommendation in Redis")
    event = {"event_id": "c1", "user_id": "attrib-user", "item_id": first.item_id, "type": "click",
             "timestamp": _now(), "context": {"recommendation_id": rec.recommendation_id}}
    assert b.ingest_events([event]).inserted == 1
    assert b.attribution.attributed[(first.source, "click")] == 1
    # and the worker that served it counts it too, through the log
    wait_for(lambda: a.attribution.attributed[(first.source, "click")] == 1, "attribution on worker a")


def test_a_catalog_change_and_a_forgotten_user_reach_every_worker(workers):
    a, b = workers.start("a"), workers.start("b")
    a.upsert_items([{"item_id": "NEW-1", "title": "A new kettle", "category": "Home > Kitchen", "price": 20.0}])
    wait_for(lambda: b.state.catalog.is_known("NEW-1"), "the new item on worker b")
    assert b.state.catalog.titles[b.state.catalog.index("NEW-1")] == "A new kettle"
    a.delete_items(["NEW-1"])
    wait_for(lambda: not b.state.catalog.is_known("NEW-1"), "the deletion on worker b")
    item = _item_with_neighbours(a)
    a.ingest_events([{"user_id": "gone", "item_id": item, "type": "view", "timestamp": _now()}])
    wait_for(lambda: len(b.state.sessions.live_items("gone")[0]) == 1, "the session on worker b")
    a.delete_users(["gone"])
    wait_for(lambda: len(b.state.sessions.live_items("gone")[0]) == 0, "the forgotten session on worker b")


def test_a_model_version_swaps_on_every_worker_and_rolls_back_together(workers, trained_shop, tmp_path):
    a, b = workers.start("a"), workers.start("b")
    path = create("popular").fit(trained_shop.data).save(tmp_path / "popular")
    info = a.load_model(path)
    wait_for(lambda: b.versions.active is not None and b.versions.active.version == info["version"],
             "the new version on worker b")
    assert b.versions.active.name == "popular"
    a.rollback()
    wait_for(lambda: b.versions.active.version == "knn-v1", "the rollback on worker b")
    b.activate(info["version"])  # any worker can lead
    wait_for(lambda: a.versions.active.version == info["version"], "the activation on worker a")


def test_a_keys_token_bucket_is_shared_by_every_worker(workers):
    a, b = workers.start("a"), workers.start("b")
    # one token back every 100 s: the burst of 3 is all a key gets, whichever worker it reaches
    waits = [w.state.online.hit("key-1", 0.01, 3) for w in (a, b, a, b)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 90.0 < waits[3] <= 100.0  # Retry-After: until the bucket has a token again
    assert b.state.online.hit("key-2", 0.01, 3) == 0.0  # buckets are per key
    # refilled at the rate, on Redis' clock: 1,000 a second comes back within a few milliseconds
    assert a.state.online.hit("fast", 1000.0, 1) == 0.0
    wait_for(lambda: b.state.online.hit("fast", 1000.0, 1) == 0.0, "a token back in the shared bucket")


def test_an_unreachable_redis_is_a_clear_error_at_start():
    with pytest.raises(ShopmindError, match="not reachable"):
        RedisOnlineState("redis://127.0.0.1:1/0")
    assert redact("redis://user:secret@host:6379/0") == "redis://***@host:6379/0"


def test_a_key_prefix_on_the_url_keeps_two_shops_apart_in_one_database(trained_shop, tmp_path, redis_url):
    """``?prefix=`` puts every key of a state under its own prefix: two shops (or a benchmark's 1-worker and
    2-worker servers) share one Redis database without seeing each other's sessions or active version."""
    from shopmind.pipeline.state_redis import split_prefix

    sep = "&" if "?" in redis_url else "?"
    (tmp_path / "a").mkdir()
    shop_a = Workers(trained_shop, tmp_path / "a", f"{redis_url}{sep}prefix=shop-a:")
    shop_b = Workers(trained_shop, tmp_path, f"{redis_url}{sep}prefix=shop-b:")
    try:
        a, b = shop_a.start("a"), shop_b.start("b")
        assert a.state.online.describe()["prefix"] == "shop-a:"
        item = _item_with_neighbours(a)
        event = {"event_id": "p1", "user_id": "prefixed", "item_id": item, "type": "view", "timestamp": _now()}
        assert a.ingest_events([event]).inserted == 1
        assert a.state.online.session("prefixed") is not None
        assert b.state.online.session("prefixed") is None  # shop b's keys are elsewhere
        keys = [k.decode() for k in redis.Redis.from_url(split_prefix(redis_url)[0]).keys("shop-*")]
        assert keys and all(k.startswith("shop-a:") for k in keys)
    finally:
        shop_a.close()
        shop_b.close()
    with pytest.raises(ShopmindError, match=r"prefix 'bad prefix!' is not a key prefix; expected"):
        RedisOnlineState(f"{redis_url}{sep}prefix=bad prefix!")


def test_redis_gone_mid_load_degrades_then_recovers_without_losing_an_acknowledged_event(trained_shop, tmp_path,
                                                                                            private_redis):
    w = Workers(trained_shop, tmp_path, private_redis.url)
    try:
        a, b = w.start("a", retry_seconds=0.1), w.start("b", retry_seconds=0.1)
        item = _item_with_neighbours(a)
        acked: list[str] = []

        def post(k: int, user: str) -> None:
            res = a.ingest_events([{"event_id": f"f-{k}", "user_id": user, "item_id": item, "type": "view",
                                    "timestamp": _now()}])
            assert res.inserted == 1
            acked.append(f"f-{k}")

        post(0, "before")
        private_redis.stop()  # Redis restarted: everything it held is gone
        post(1, "during")  # acknowledged: the store has it, whatever Redis does
        assert a.state.online.degraded
        assert a.status()["online_state"]["degraded"]
        # both workers keep serving, from the model and their own state
        assert len(a.recommend(trained_shop.heavy_user(), n=5).items) == 5
        assert len(b.recommend("during", n=5).items) == 5
        assert b.state.online.degraded or b.state.online.session("during") is None
        private_redis.start()
        wait_for(lambda: not a.state.online.degraded and not b.state.online.degraded, "recovery")
        # the outbox was replayed: what worker a acknowledged while Redis was gone reaches worker b
        wait_for(lambda: len(b.state.sessions.live_items("during")[0]) == 1, "the outage's event on worker b")
        assert a.state.online.describe()["recoveries"] >= 1 and a.state.online.describe()["outbox"] == 0
        post(2, "after")
        assert b.recommend("after", n=5) and len(b.state.sessions.live_items("after")[0]) == 1
        with open_store(w.url) as store:
            stored = set(store.events_frame()["event_id"].dropna().astype(str))
        assert set(acked) <= stored
    finally:
        w.close()


def test_negative_feedback_given_on_one_worker_hides_the_item_on_every_worker(workers):
    a, b = workers.start("a"), workers.start("b")
    user = workers.trained_shop.heavy_user()
    shown = b.recommend(user, n=5).items[0].item_id
    idx = b.state.catalog.index(shown)
    assert a.ingest_events([{"event_id": "h1", "user_id": user, "item_id": shown, "type": "hide",
                             "timestamp": _now()}]).inserted == 1
    # in the shared session before the write was acknowledged: the next list on b leaves it out at once
    assert shown not in [i.item_id for i in b.recommend(user, n=5).items]
    assert idx in b.state.sessions.shared_hidden(user)  # the session that request read from Redis
    # and the log brings it into b's own negative feedback (what b keeps if Redis goes away)
    wait_for(lambda: idx in b.state.feedback.items(user), "the hide in worker b's negative feedback")
    # a low rating is negative feedback too, whichever worker takes it
    other = b.recommend(user, n=5).items[0].item_id
    b.ingest_events([{"event_id": "r1", "user_id": user, "item_id": other, "type": "rating", "value": 1.0,
                      "timestamp": _now()}])
    wait_for(lambda: a.state.catalog.index(other) in a.state.feedback.items(user), "the low rating on worker a")
    assert other not in [i.item_id for i in a.recommend(user, n=5).items]


def test_an_erased_user_is_forgotten_by_every_worker(workers):
    a, b = workers.start("a"), workers.start("b")
    user = workers.trained_shop.heavy_user()
    item = b.recommend(user, n=5).items[0].item_id
    a.ingest_events([{"event_id": "x1", "user_id": user, "item_id": item, "type": "dislike", "timestamp": _now()}])
    wait_for(lambda: len(b.state.feedback.items(user)) == 1, "the dislike on worker b")
    assert b.versions.active.user_index(user) >= 0 and len(b.state.history.seen(user))
    # erasure as the privacy layer does it: the store first, then the serving worker that took the request
    a.store.erase_user(user)
    a.forget_users([user])
    wait_for(lambda: b.versions.active.user_index(user) < 0, "the user's model vector dropped on worker b")
    assert b.state.feedback.items(user) == [] and len(b.state.history.seen(user)) == 0
    assert b.state.sessions.shared_hidden(user) is None
    assert np.array_equal(b.state.signals.popularity_of(np.arange(len(b.state.catalog))),
                          a.state.signals.popularity_of(np.arange(len(a.state.catalog))))


def test_a_swap_between_loaded_versions_takes_effect_with_the_next_request(workers, trained_shop, tmp_path, redis_url):
    a, b = workers.start("a"), workers.start("b")
    info = a.load_model(create("popular").fit(trained_shop.data).save(tmp_path / "popular"))
    wait_for(lambda: b.versions.active.version == info["version"], "the new version on worker b")
    # the active version changes in Redis, and the channel's notice has not been handled (here: never sent)
    redis.Redis.from_url(redis_url).hset("shopmind:active", mapping={"version": "knn-v1", "source": "memory"})
    b.recommend("any-user", n=5)  # its session read sees the swap: b serves knn-v1 from this request on
    assert b.versions.active.version == "knn-v1"
    # a version this worker has not loaded is left to the thread that follows the channel (no load in a request)
    redis.Redis.from_url(redis_url).hset("shopmind:active", mapping={"version": "nowhere-1", "source": "/nowhere"})
    b.recommend("any-user", n=5)
    assert b.versions.active.version == "knn-v1"


def _dump(client: redis.Redis) -> dict[bytes, object]:
    """Every key of the database and its value (the log without its entry ids, which are times)."""
    out: dict[bytes, object] = {}
    for key in sorted(client.keys("*")):
        kind = client.type(key)
        if kind == b"list":
            out[key] = client.lrange(key, 0, -1)
        elif kind == b"zset":
            out[key] = client.zrange(key, 0, -1, withscores=True)
        elif kind == b"set":
            out[key] = sorted(client.smembers(key))
        elif kind == b"stream":
            out[key] = [fields for _id, fields in client.xrange(key)]
        else:
            out[key] = client.get(key)
        out[key + b" ttl>0"] = client.ttl(key) > 0 if kind != b"stream" else None
    return out


def test_claiming_and_publishing_in_one_call_writes_what_the_multi_writes(redis_url):
    """admit_and_publish (one round trip) leaves Redis as admit + publish_events do, and publishes nothing
    when a key was claimed before."""
    events = [Event(user_id="u1", item_id="i1", type="view", timestamp=datetime(2024, 5, 1, tzinfo=UTC)),
              Event(user_id="u1", item_id="i2", type="purchase", timestamp=datetime(2024, 5, 1, 0, 1, tzinfo=UTC)),
              Event(user_id="u2", item_id="i3", type="hide", timestamp=datetime(2024, 5, 1, 0, 2, tzinfo=UTC),
                    event_id="e3")]
    by_user = {"u1": [("i1", "view", 1), ("i2", "purchase", 2), ("i1", "view", 3)], "u2": [("i3", "hide", 4)]}
    keys = [b"k1", b"k2", b"k3"]
    client = redis.Redis.from_url(redis_url)
    dumps = []
    for one_call in (False, True):
        client.flushdb()
        state = RedisOnlineState(redis_url, worker="w")
        try:
            if one_call:
                assert state.admit_and_publish(keys, events, by_user).tolist() == [True, True, True]
            else:
                assert state.admit(keys).tolist() == [True, True, True]
                state.publish_events(events, by_user)
            dumps.append(_dump(client))
            # the same keys again: nothing is claimed, nothing published
            assert state.admit_and_publish(keys[:2], events[:2], {"u1": by_user["u1"]}).tolist() == [False, False]
            assert _dump(client) == dumps[-1]
        finally:
            state.close()
    assert dumps[0] == dumps[1]
    assert len(dumps[0][b"shopmind:log"]) == 1 and dumps[0][b"shopmind:s:u1:n"] == b"3"


def test_the_awaited_session_read_answers_as_the_blocking_one_and_is_used_by_one_request_only(workers):
    """``GET /recommendations`` reads the shared session awaited (``prefetch_session``), so the event loop
    serves other requests meanwhile: the same session as the blocking read, concurrent reads on one loop each
    get their own user's, and a prefetch serves only the request that made it."""
    a, b = workers.start("a"), workers.start("b")
    items = [b.state.catalog.raw(i) for i in range(12)]
    users = [f"async-{k}" for k in range(12)]
    a.ingest_events([{"event_id": f"as-{k}", "user_id": u, "item_id": items[k], "type": "view", "timestamp": _now()}
                     for k, u in enumerate(users)])
    online = b.state.online

    async def read_all():
        try:
            return await asyncio.gather(*(online.session_async(u) for u in [*users, "nobody"]))
        finally:
            await online.aclose()

    got = asyncio.run(read_all())
    assert got == [online.session(u) for u in [*users, "nobody"]]
    assert [s.items for s in got[:-1]] == [[i] for i in items] and got[-1] is None
    # again on a second event loop: the connections of the first are not reused across loops
    assert asyncio.run(read_all()) == got

    user, item = users[0], _item_with_neighbours(a)

    async def request(service):
        await service.prefetch_session(user)
        try:
            return service.recommend(user, n=5)
        finally:
            service.drop_prefetch()
            await service.state.online.aclose()

    asyncio.run(request(b))
    # a later event, then a request without a prefetch: it reads afresh, not the earlier prefetched session
    a.ingest_events([{"event_id": "as-late", "user_id": user, "item_id": item, "type": "view", "timestamp": _now()}])
    assert b.state.sessions.context(user, b.state.history).anchors[0] == (b.state.catalog.index(item), "view")
    assert any(i.because_item_id == item for i in asyncio.run(request(b)).items)


def test_the_awaited_session_read_turns_degraded_when_redis_is_gone_and_recovers(trained_shop, tmp_path,
                                                                                 private_redis):
    w = Workers(trained_shop, tmp_path, private_redis.url)
    online = None

    def read(user):
        async def go():
            try:
                return await online.session_async(user)
            finally:
                await online.aclose()
        return asyncio.run(go())

    try:
        a = w.start("a", retry_seconds=0.1)
        online = a.state.online
        item = a.state.catalog.raw(0)
        a.ingest_events([{"event_id": "d1", "user_id": "u-d", "item_id": item, "type": "view", "timestamp": _now()}])
        assert read("u-d").items == [item]
        private_redis.stop()
        t0 = time.monotonic()
        assert read("u-d") is None
        assert online.degraded and time.monotonic() - t0 < 2.0
        # acknowledged while Redis is gone: kept in the outbox
        a.ingest_events([{"event_id": "d2", "user_id": "u-d2", "item_id": item, "type": "view", "timestamp": _now()}])
        private_redis.start()
        wait_for(lambda: not online.degraded, "recovery")
        # the restarted server lost what it held (nothing on disk); the outbox's session is read awaited again
        assert read("u-d") is None and read("u-d2").items == [item]
    finally:
        w.close()

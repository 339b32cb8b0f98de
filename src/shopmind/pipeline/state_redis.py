"""The online state shared through Redis, for several serving workers (``--state redis://HOST:PORT/DB``).

What lives in Redis (every key under ``prefix``, default ``shopmind:``; ``?prefix=NAME:`` on the URL sets it, so
that several shops or environments share one Redis database without sharing their state):

==========================  =====================================================================
``s:<user>:r|o|p|n|h``      a user's live session: recent events (list, capped), distinct items by
                            latest event (sorted set), purchased items (set), events counted, items
                            given negative feedback (set: hidden from the next list on any worker); expire
                            after ``session_ttl`` seconds without activity
``ev:<key>``                event ids already applied (claimed atomically by a Lua script), for
                            ``event_ttl`` seconds (an hour): a retried batch is counted once whichever
                            worker it reaches
``log``                     the stream of acknowledged changes (events, catalog changes, forgotten
                            users), each tagged with the worker that made it; every worker tails it
                            and applies the others' changes to its in-process signals, trending
                            windows, exposure/reward counters (exploration) and sessions (capped at
                            ``stream_len`` entries: it only has to cover how far a worker lags; a
                            worker that starts reads the store, then the log from that moment)
``rec:<id>``                a served recommendation's item -> source, for attribution of a later
                            event on any worker (``rec_ttl`` seconds, an hour; written in the
                            background)
``active`` / ``versions``   the version every worker serves (hash) and the pub/sub channel that
                            announces a swap, so that every worker activates it together
``rl:<bucket>``              per-key rate limits: one token bucket per API key that every worker draws
                            from (a Lua script on Redis' clock), so N workers never allow N times a
                            key's limit
==========================  =====================================================================

Writes are pipelined; a user's session and the log entry of a batch go in one MULTI/EXEC, so another
worker never sees one without the other. A batch of new events (the common case: ids no worker claimed yet)
is claimed and published in one Lua call instead (:data:`ADMIT_PUBLISH_LUA`: the same commands, run only when
every id was claimed, atomically too): one round trip before the acknowledgement instead of two. Reads of a
session are one round trip.

Faults: every call has a short timeout. When Redis cannot be reached the state turns ``degraded``: requests
are served from the worker's own state (the model, stored histories, its own live sessions) without waiting
on Redis, the changes it makes are kept in an outbox, and a background thread retries every
``retry_seconds``. When Redis answers again the outbox is replayed (sessions, log), the active version is
read back and the state is no longer degraded - no restart. Events are durable in the store before they are
acknowledged, so no acknowledged event depends on Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import redis
import redis.asyncio

from shopmind.errors import ShopmindError
from shopmind.pipeline.online import ReplicaHandler, SharedEvent, SharedSession
from shopmind.pipeline.results import Recommendation
from shopmind.schema import NEGATIVE_TYPES, Event

logger = logging.getLogger(__name__)

#: Claim idempotency keys: 1 for each key no worker claimed before (it is claimed now), else 0.
ADMIT_LUA = """
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then out[i] = 1 else out[i] = 0 end
end
return out
"""

#: :data:`ADMIT_LUA`, then - only when every key was claimed - the commands of the events' publication (the
#: sessions and the log entry that ``publish_events`` sends in a MULTI): ARGV[1] is the keys' time to live,
#: then each command is its argument count followed by its arguments. One round trip for a new event.
ADMIT_PUBLISH_LUA = """
local out, all = {}, true
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then out[i] = 1 else out[i] = 0; all = false end
end
if all then
  local i = 2
  while i <= #ARGV do
    local n = tonumber(ARGV[i])
    redis.call(unpack(ARGV, i + 1, i + n))
    i = i + n + 1
  end
end
return out
"""

#: One request from a token bucket (ARGV: rate a second, burst) on Redis' own clock, so that every worker
#: refills it alike: "0" when allowed, else the seconds until a token is (a string: Lua numbers would be
#: truncated to integers in the reply). The key expires once the bucket would be full again.
TOKEN_BUCKET_LUA = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local got = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(got[1]) or burst
local at = tonumber(got[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return string.format('%.6f', wait)
"""

#: A user's shared session and the active version in one call (KEYS: the session's r, o, p, n, h keys and
#: ``active``): ``{version}`` alone when the user has no shared session (no events counted, nothing hidden) -
#: the common case, answered without reading the rest - else ``{version, count, hidden, recent, items,
#: purchased}`` (a missing version or count is "": a Lua false is a null in RESP2 but a boolean in RESP3).
#: One command instead of a pipeline of six: packing the pipeline and parsing six replies were most of the
#: client's CPU time of the read (docs/scale.md, "Throughput").
SESSION_LUA = """
local active = redis.call('HGET', KEYS[6], 'version') or ''
local n = redis.call('GET', KEYS[4])
local h = redis.call('SMEMBERS', KEYS[5])
if not n and #h == 0 then return {active} end
n = n or ''
return {active, n, h, redis.call('LRANGE', KEYS[1], 0, -1), redis.call('ZRANGE', KEYS[2], 0, -1),
        redis.call('SMEMBERS', KEYS[3])}
"""

#: The keys of a user's shared session (see the module docs).
SESSION_PARTS = "ropnh"

FAULTS = (redis.ConnectionError, redis.TimeoutError, OSError)


def resp_command(*parts: bytes) -> bytes:
    """A command in Redis' wire format (RESP), packed once by the caller.

    >>> resp_command(b"GET", b"k")
    b'*2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\nk\\r\\n'
    """
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def split_prefix(url: str, default: str = "shopmind:") -> tuple[str, str]:
    """``url`` without its ``prefix`` query parameter, and the key prefix it names (``default`` without one).

    >>> split_prefix("redis://127.0.0.1:6379/15?prefix=shop-a:")
    ('redis://127.0.0.1:6379/15', 'shop-a:')
    >>> split_prefix("redis://127.0.0.1:6379/15")
    ('redis://127.0.0.1:6379/15', 'shopmind:')
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = [value for name, value in query if name == "prefix"]
    if not given:
        return url, default
    prefix = given[-1]
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", prefix):
        raise ShopmindError(f"--state {redact(url)}: prefix {prefix!r} is not a key prefix; expected 1-64 "
                            "letters, digits, '_', '.', ':' or '-', e.g. ?prefix=shop-a:")
    rest = urlencode([(name, value) for name, value in query if name != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


def redact(url: str) -> str:
    """``url`` without a password."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


class RedisOnlineState:
    """:class:`~shopmind.pipeline.online.OnlineState` in Redis (see the module docs).

    >>> state = RedisOnlineState("redis://127.0.0.1:6379/15")        # doctest: +SKIP
    >>> state.describe()["backend"]                                  # doctest: +SKIP
    'redis'
    """

    shared = True

    def __init__(self, url: str, *, prefix: str = "shopmind:", worker: str | None = None, max_recent: int = 50,
                 session_ttl: int = 7 * 86400, event_ttl: int = 3600, rec_ttl: int = 3600,
                 stream_len: int = 100_000, timeout: float = 0.25, retry_seconds: float = 0.5,
                 outbox: int = 100_000) -> None:
        self.url = url
        url, self.prefix = split_prefix(url, prefix)  # ?prefix= on the URL wins over the argument
        self.worker = worker or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.max_recent = max_recent
        self.session_ttl, self.event_ttl, self.rec_ttl = session_ttl, event_ttl, rec_ttl
        self.stream_len = stream_len
        self.retry_seconds = retry_seconds
        last: Any
        try:
            # (Any: redis-py's replies are typed as the union of every decoding choice)
            self.client: Any = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            # the log tail and the version subscription block longer than a request may wait
            self._tail: Any = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=timeout)
            self.client.ping()
            last = self.client.xrevrange(self._key("log"), count=1)
        except (ValueError, redis.RedisError, OSError) as exc:
            raise ShopmindError(f"--state {redact(url)}: Redis is not reachable ({exc}); expected "
                                "redis://HOST:PORT/DB of a running server") from None
        #: the log entry this worker has applied up to (changes from before it read the store are in the store)
        self.last_id: str = last[0][0].decode() if last else "0-0"
        self._admit = self.client.register_script(ADMIT_LUA)
        self._admit_publish = self.client.register_script(ADMIT_PUBLISH_LUA)
        self._bucket = self.client.register_script(TOKEN_BUCKET_LUA)
        self._session = self.client.register_script(SESSION_LUA)
        #: the session read's own connection per thread (see :meth:`_read_session`), and every one opened
        self._reader = threading.local()
        self._readers: list[Any] = []
        #: :meth:`session_async`'s idle connections (one per request waiting on Redis at once) and the event
        #: loop they belong to; their reads are bounded by ``timeout`` around the whole round trip
        self._async_pool: Any = redis.asyncio.ConnectionPool.from_url(url, socket_connect_timeout=timeout)
        self._async_idle: list[Any] = []
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self.timeout = timeout
        self._degraded = False
        self._since: float | None = None
        #: the active version this worker last saw published (the session read compares it, see session())
        self._active_seen: str | None = None
        self._outbox: deque[tuple[dict[str, str], Mapping[str, list[SharedEvent]] | None]] = deque(maxlen=outbox)
        self._recs: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._handler: ReplicaHandler | None = None
        self.replicated = 0  # changes applied from other workers
        self.recoveries = 0

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # ------------------------------------------------------------------ health
    @property
    def degraded(self) -> bool:
        return self._degraded

    def _fail(self, exc: BaseException) -> None:
        if not self._degraded:
            logger.warning("shared state %s unreachable (%s): serving from this worker's state", redact(self.url),
                           exc)
            self._since = time.time()
        self._degraded = True

    def describe(self) -> dict[str, Any]:
        return {"backend": "redis", "shared": True, "url": redact(self.url), "prefix": self.prefix,
                "worker": self.worker, "degraded": self._degraded,
                "degraded_since": self._since if self._degraded else None,
                "outbox": len(self._outbox), "replicated": self.replicated, "recoveries": self.recoveries}

    # ------------------------------------------------------------------ threads
    def start(self, handler: ReplicaHandler) -> None:
        self._handler = handler
        for target, name in ((self._tail_log, "log"), (self._follow_versions, "versions")):
            t = threading.Thread(target=target, name=f"shopmind-state-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=6.0)
        self._flush_recs()
        with self._lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.disconnect()
        self._async_idle = []  # closed with their event loop
        self.client.close()
        self._tail.close()

    async def aclose(self) -> None:
        idle, self._async_idle = self._async_idle, []
        for conn in idle:
            await conn.disconnect()

    def _recover(self) -> None:
        """Redis answers again: replay the outbox, converge on the active version, serve shared again."""
        self.client.ping()
        while self._outbox:
            fields, by_user = self._outbox[0]
            pipe = self.client.pipeline(transaction=True)
            if by_user:
                self._write_sessions(pipe, by_user)
            pipe.xadd(self._key("log"), fields, maxlen=self.stream_len, approximate=True)
            pipe.execute()
            self._outbox.popleft()
        self._degraded = False
        self.recoveries += 1
        logger.warning("shared state %s reachable again after %.1fs", redact(self.url),
                       time.time() - (self._since or time.time()))
        self._converge_version()

    def _tail_log(self) -> None:
        """Apply the changes other workers logged, and flush the recommendations to remember."""
        while not self._stop.is_set():
            if self._degraded:
                self._stop.wait(self.retry_seconds)
                try:
                    self._recover()
                except FAULTS:
                    continue
            try:
                self._flush_recs()
                got = self._tail.xread({self._key("log"): self.last_id}, block=200, count=500)
            except FAULTS as exc:
                self._fail(exc)
                continue
            except redis.RedisError:
                logger.exception("reading the shared log")
                self._stop.wait(self.retry_seconds)
                continue
            for _stream, entries in got or []:
                for entry_id, fields in entries:
                    self.last_id = entry_id.decode()
                    if fields.get(b"w", b"").decode() != self.worker:
                        self._dispatch(fields)

    def _dispatch(self, fields: dict[bytes, bytes]) -> None:
        handler = self._handler
        if handler is None:
            return
        kind, data = fields[b"k"].decode(), json.loads(fields[b"d"])
        try:
            if kind == "events":
                handler.apply_replicated_events([Event.model_validate(e) for e in data])
            elif kind == "items":
                handler.apply_replicated_items(data["change"], data["payload"])
            elif kind == "forget":  # a list: the users' sessions only (an older worker's entry)
                users = data["users"] if isinstance(data, dict) else data
                erase = bool(data.get("erase")) if isinstance(data, dict) else False
                handler.apply_replicated_forget([str(u) for u in users], erase)
            self.replicated += 1
        except Exception:  # one bad entry must not stop the replica
            logger.exception("applying a shared %s change", kind)

    def _follow_versions(self) -> None:
        """Swap with the other workers: a version published on the channel is activated here at once."""
        while not self._stop.is_set():
            try:
                pubsub = self._tail.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self._key("versions"))
                self._converge_version()  # anything announced while this worker was not listening
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=0.5)
                    if msg is None:
                        continue
                    data = json.loads(msg["data"])
                    if data.get("w") != self.worker:
                        self._apply_version(str(data["version"]), str(data["source"]))
            except FAULTS as exc:
                self._fail(exc)
                self._stop.wait(self.retry_seconds)
            except redis.RedisError:
                logger.exception("following the shared model version")
                self._stop.wait(self.retry_seconds)

    def _apply_version(self, version: str, source: str, load: bool = True) -> None:
        self._active_seen = version
        if self._handler is None:
            return
        try:
            self._handler.apply_replicated_version(version, source, load)
        except Exception:  # keep serving the current version
            logger.exception("activating the shared model version %s from %s", version, source)

    def _converge_version(self) -> None:
        active = self.active_version()
        if active is not None:
            self._apply_version(*active)

    # ------------------------------------------------------------------ events and sessions
    def admit(self, keys: Sequence[bytes]) -> np.ndarray | None:
        if self._degraded or not keys:
            return None
        try:
            got = self._admit(keys=[self._key("ev", k.hex()) for k in keys], args=[self.event_ttl])
        except FAULTS as exc:
            self._fail(exc)
            return None
        return np.asarray(got, dtype=bool)

    def _write_sessions(self, pipe: Any, by_user: Mapping[str, list[SharedEvent]]) -> None:
        for user, events in by_user.items():
            r, o, p, n, h = (self._key("s", user, part) for part in SESSION_PARTS)
            hidden = [item for item, t, _ts in events if t in NEGATIVE_TYPES]
            if hidden:
                pipe.sadd(h, *hidden)
                pipe.expire(h, self.session_ttl)
            rows = [row for row in events if row[1] not in NEGATIVE_TYPES]
            if not rows:
                continue
            pipe.rpush(r, *(json.dumps(row) for row in rows))
            pipe.ltrim(r, -self.max_recent, -1)
            latest: dict[str, int] = {}
            for item, _t, ts in rows:
                latest[item] = ts
            pipe.zadd(o, latest)
            bought = [item for item, t, _ts in rows if t == "purchase"]
            if bought:
                pipe.sadd(p, *bought)
                pipe.expire(p, self.session_ttl)
            pipe.incrby(n, len(rows))
            for key in (r, o, n):
                pipe.expire(key, self.session_ttl)

    def _event_fields(self, events: list[Event]) -> dict[str, str]:
        return {"w": self.worker, "k": "events",
                "d": json.dumps([e.model_dump(mode="json", exclude_none=True) for e in events])}

    def publish_events(self, events: list[Event], by_user: Mapping[str, list[SharedEvent]]) -> None:
        self._publish(self._event_fields(events), by_user)

    def admit_and_publish(self, keys: Sequence[bytes], events: list[Event],
                          by_user: Mapping[str, list[SharedEvent]]) -> np.ndarray | None:
        fields = self._event_fields(events)
        if self._degraded or not keys:
            self._publish(fields, by_user)
            return None
        # the commands publish_events would send in its MULTI, recorded by a pipeline that is never executed
        pipe = self.client.pipeline(transaction=True)
        if by_user:
            self._write_sessions(pipe, by_user)
        pipe.xadd(self._key("log"), fields, maxlen=self.stream_len, approximate=True)
        args: list[Any] = [self.event_ttl]
        for command, _options in pipe.command_stack:
            args.append(len(command))
            args.extend(command)
        try:
            got = self._admit_publish(keys=[self._key("ev", k.hex()) for k in keys], args=args)
        except FAULTS as exc:
            self._fail(exc)
            self._outbox.append((fields, by_user))
            return None
        return np.asarray(got, dtype=bool)

    def _publish(self, fields: dict[str, str], by_user: Mapping[str, list[SharedEvent]] | None = None) -> None:
        if self._degraded:
            self._outbox.append((fields, by_user))
            return
        try:
            pipe = self.client.pipeline(transaction=True)
            if by_user:
                self._write_sessions(pipe, by_user)
            pipe.xadd(self._key("log"), fields, maxlen=self.stream_len, approximate=True)
            pipe.execute()
        except FAULTS as exc:
            self._fail(exc)
            self._outbox.append((fields, by_user))

    def _read_session(self, user_id: str) -> Any:
        """The reply of :data:`SESSION_LUA` for ``user_id``, sent on this thread's own connection with the
        command packed here: the client's command layer (connection pool, retries, events, packing) cost
        three times the round trip itself, on every personal request. A connection that fails is dropped
        and reopened once; a second failure raises (the caller turns degraded, as with any call)."""
        conn = getattr(self._reader, "conn", None)
        if conn is None:
            conn = self._reader.conn = self.client.connection_pool.make_connection()
            with self._lock:
                self._readers.append(conn)
        keys = self._session_keys(user_id)
        command = self._session_command(keys)
        for attempt in (0, 1):
            try:
                conn.send_packed_command([command], check_health=False)
                return conn.read_response()
            except redis.exceptions.NoScriptError:  # Redis restarted (or flushed its scripts): load it again
                self.client.script_load(SESSION_LUA)
            except redis.ConnectionError:  # e.g. Redis closed an idle connection: one fresh one
                conn.disconnect()
                if attempt:
                    raise
            except BaseException:
                conn.disconnect()
                raise
        return self._session(keys=keys)

    def _session_keys(self, user_id: str) -> list[str]:
        return [self._key("s", user_id, part) for part in SESSION_PARTS] + [self._key("active")]

    def _session_command(self, keys: list[str]) -> bytes:
        return resp_command(b"EVALSHA", self._session.sha.encode(), b"%d" % len(keys), *(k.encode() for k in keys))

    async def _read_session_async(self, user_id: str) -> Any:
        """:meth:`_read_session` awaited (see :meth:`_call_async`)."""
        keys = self._session_keys(user_id)
        return await self._call_async(self._session_command(keys), SESSION_LUA, lambda: self._session(keys=keys))

    async def _call_async(self, command: bytes, script: str, fallback: Callable[[], Any]) -> Any:
        """Send a packed ``EVALSHA`` of ``script`` on an asyncio connection and await the reply: the request
        waits for Redis while the worker's event loop serves others. Connections are taken from and given
        back to an idle list (no await in between, so two requests never share one); one that fails, times
        out or is cancelled mid-read is dropped, since its next reply would be this one's. A script Redis
        no longer holds (it restarted) is loaded again; if it is still missing, ``fallback`` runs it the
        blocking way."""
        loop = asyncio.get_running_loop()
        if self._async_loop is not loop:  # connections are bound to the loop that opened them
            self._async_loop, self._async_idle = loop, []
        conn = self._async_idle.pop() if self._async_idle else self._async_pool.make_connection()
        for attempt in (0, 1):
            try:
                async with asyncio.timeout(self.timeout):
                    await conn.send_packed_command([command], check_health=False)
                    got = await conn.read_response()
            except redis.exceptions.NoScriptError:  # Redis restarted (or flushed its scripts): load it again
                self.client.script_load(script)
                continue
            except redis.ConnectionError:  # e.g. Redis closed an idle connection: one fresh one
                await conn.disconnect()
                if attempt:
                    raise
                continue
            except TimeoutError:
                await conn.disconnect()
                raise redis.TimeoutError(f"no reply from {redact(self.url)} within {self.timeout} s") from None
            except BaseException:
                await conn.disconnect()
                raise
            self._async_idle.append(conn)
            return got
        self._async_idle.append(conn)
        return fallback()

    def session(self, user_id: str) -> SharedSession | None:
        if self._degraded:
            return None
        try:
            got = self._read_session(user_id)
        except FAULTS as exc:
            self._fail(exc)
            return None
        return self._session_from(got)

    async def session_async(self, user_id: str) -> SharedSession | None:
        if self._degraded:
            return None
        try:
            got = await self._read_session_async(user_id)
        except FAULTS as exc:
            self._fail(exc)
            return None
        return self._session_from(got)

    def _session_from(self, got: Any) -> SharedSession | None:
        """A :data:`SESSION_LUA` reply as a session; a newer active version seen in it is applied."""
        active = got[0]
        if active and active.decode() != self._active_seen:
            # a swap between versions this worker has loaded takes effect from this request on, even before
            # the channel's notice is handled (loading a new artifact is left to the thread that follows it)
            self._apply_version(active.decode(), "", load=False)
        if len(got) == 1:  # no events counted and nothing hidden
            return None
        _active, count, hidden, recent, items, bought = got
        rows = [json.loads(x) for x in recent]
        return SharedSession([(str(i), str(t), int(ts)) for i, t, ts in rows], [x.decode() for x in items],
                             [x.decode() for x in bought], int(count or 0), [x.decode() for x in hidden])

    def publish_items(self, change: str, payload: Any) -> None:
        self._publish({"w": self.worker, "k": "items", "d": json.dumps({"change": change, "payload": payload})})

    def forget_users(self, user_ids: list[str], erase: bool = False) -> None:
        if not self._degraded:
            try:
                self.client.delete(*(self._key("s", u, part) for u in user_ids for part in SESSION_PARTS))
            except FAULTS as exc:
                self._fail(exc)
        self._publish({"w": self.worker, "k": "forget", "d": json.dumps({"users": user_ids, "erase": erase})})

    # ------------------------------------------------------------------ attribution
    def remember(self, rec: Recommendation) -> None:
        if rec.items:
            with self._lock:
                self._recs.append((rec.recommendation_id, {i.item_id: i.source for i in rec.items}))

    def _flush_recs(self) -> None:
        with self._lock:
            recs, self._recs = self._recs, []
        if not recs or self._degraded:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for rid, items in recs:
                key = self._key("rec", rid)
                pipe.hset(key, mapping=items)
                pipe.expire(key, self.rec_ttl)
            pipe.execute()
        except FAULTS as exc:
            self._fail(exc)

    def recommendation(self, recommendation_id: str) -> dict[str, str] | None:
        if self._degraded:
            return None
        try:
            got = self.client.hgetall(self._key("rec", recommendation_id))
        except FAULTS as exc:
            self._fail(exc)
            return None
        return {k.decode(): v.decode() for k, v in got.items()} or None

    # ------------------------------------------------------------------ versions and rate limits
    def publish_version(self, version: str, source: str) -> None:
        body = json.dumps({"w": self.worker, "version": version, "source": source})
        self._active_seen = version
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(self._key("active"), mapping={"version": version, "source": source})
            pipe.publish(self._key("versions"), body)
            pipe.execute()
        except FAULTS as exc:
            self._fail(exc)  # the worker converges on the active version when Redis is back

    def active_version(self) -> tuple[str, str] | None:
        try:
            got = self.client.hgetall(self._key("active"))
        except FAULTS as exc:
            self._fail(exc)
            return None
        if b"version" not in got:
            return None
        return got[b"version"].decode(), got.get(b"source", b"").decode()

    def hit(self, bucket: str, rate: float, burst: float) -> float | None:
        if self._degraded or rate <= 0:
            return None  # the worker's own bucket decides meanwhile
        try:
            wait = self._bucket(keys=[self._key("rl", bucket)], args=[repr(float(rate)), repr(float(burst))])
        except FAULTS as exc:
            self._fail(exc)
            return None
        return float(wait)

    async def hit_async(self, bucket: str, rate: float, burst: float) -> float | None:
        if self._degraded or rate <= 0:
            return None
        key, args = self._key("rl", bucket), [repr(float(rate)), repr(float(burst))]
        command = resp_command(b"EVALSHA", self._bucket.sha.encode(), b"1", key.encode(), *(a.encode() for a in args))
        try:
            wait = await self._call_async(command, TOKEN_BUCKET_LUA, lambda: self._bucket(keys=[key], args=args))
        except FAULTS as exc:
            self._fail(exc)
            return None
        return float(wait)

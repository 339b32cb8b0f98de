"""Where the online state is shared: the seam between one serving process and several.

The live state (:mod:`shopmind.pipeline.state`) is always held in the process: catalog, signals
(popularity, trending windows, exposure/reward counts that drive exploration), stored histories, live
sessions, co-occurrence and the window of recent event ids. An :class:`OnlineState` decides what is
*shared* with the other serving processes:

- :class:`InProcessState` (the default) shares nothing: every hook is a no-op, so the embedded mode
  (one process, SQLite) costs exactly what it did before the seam existed.
- :class:`shopmind.pipeline.state_redis.RedisOnlineState` (``--state redis://HOST:PORT/DB``) keeps the shared
  state in Redis: live sessions per user (read on every personal request, so an event posted to one worker
  is reflected by the next recommendation from any other), the idempotency window of event ids (atomic, in
  a Lua script), recommendation ids for attribution, the active model version (with a pub/sub notice so
  every worker swaps together) and the log of acknowledged changes (a Redis stream) from which every
  worker keeps its in-process signals, trending windows, exposure counters and sessions current.

The hooks run after the durable store has taken a write, and a shared state that cannot be reached never
fails a request: it reports ``degraded`` (``GET /ready``) and the worker serves from its own state.

>>> state = InProcessState()
>>> state.describe()
{'backend': 'memory', 'shared': False, 'degraded': False}
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.pipeline.history import SessionStore, UserContext, UserHistory, kind_of
from shopmind.schema import Event

if TYPE_CHECKING:
    from shopmind.pipeline.results import Recommendation

#: How long the shared session read at the start of a request is reused by the request's later steps.
REUSE_SECONDS = 1.0

#: A user's live event as shared: (raw item id, kind, epoch seconds).
SharedEvent = tuple[str, str, int]


@dataclass(frozen=True)
class SharedSession:
    """A user's live session as the shared state holds it (raw item ids)."""

    #: the most recent events, oldest first: (item id, event type, epoch seconds)
    recent: list[SharedEvent]
    #: every distinct item, in the order of its latest event (oldest first)
    items: list[str]
    purchased: list[str]
    #: events recorded (a version for caches)
    events: int
    #: items given negative feedback (dislike, hide, not interested, a low rating)
    hidden: list[str] = field(default_factory=list)


class ReplicaHandler(Protocol):
    """What a worker does with a change another worker made (see :meth:`OnlineState.start`)."""

    def apply_replicated_events(self, events: list[Event]) -> None: ...

    def apply_replicated_items(self, change: str, payload: Any) -> None: ...

    def apply_replicated_forget(self, user_ids: list[str], erase: bool = False) -> None: ...

    def apply_replicated_version(self, version: str, source: str, load: bool = True) -> None: ...


class OnlineState(Protocol):
    """The shared part of the online state (see the module docs)."""

    @property
    def shared(self) -> bool:
        """True when other processes see this state (several workers may serve)."""
        ...

    @property
    def degraded(self) -> bool:
        """True while the shared state cannot be reached (the worker serves from its own state)."""
        ...

    def describe(self) -> dict[str, Any]: ...

    def start(self, handler: ReplicaHandler) -> None:
        """Begin applying other workers' changes through ``handler``."""
        ...

    def close(self) -> None: ...

    async def aclose(self) -> None:
        """Close what :meth:`session_async` opened on the running event loop (before the loop ends)."""
        ...

    def admit(self, keys: Sequence[bytes]) -> np.ndarray | None:
        """Which idempotency keys no worker has applied yet (claims them); None: the caller's own window
        decides (no shared window, or it cannot be reached)."""
        ...

    def publish_events(self, events: list[Event], by_user: Mapping[str, list[SharedEvent]]) -> None:
        """Share events this worker applied: ``by_user`` holds the positive events of each user's session."""
        ...

    def admit_and_publish(self, keys: Sequence[bytes], events: list[Event],
                          by_user: Mapping[str, list[SharedEvent]]) -> np.ndarray | None:
        """:meth:`admit` ``keys`` and, only if every one is claimed, :meth:`publish_events` in the same step
        (one round trip). Returns what :meth:`admit` does; when it is None the events were published (as
        :meth:`publish_events` does when the state cannot be reached); when some key was not claimed nothing
        was published, and the caller publishes the events it applies."""
        ...

    def session(self, user_id: str) -> SharedSession | None:
        """The shared live session of ``user_id``; None when nothing is shared or it cannot be read."""
        ...

    async def session_async(self, user_id: str) -> SharedSession | None:
        """:meth:`session` without blocking the event loop while the shared state answers: a worker serves
        other requests meanwhile."""
        ...

    def publish_items(self, change: str, payload: Any) -> None:
        """Share a catalog change (``"upsert"`` with item records, ``"delete"`` with ids)."""
        ...

    def forget_users(self, user_ids: list[str], erase: bool = False) -> None:
        """Drop the users' shared sessions and tell every worker: to drop its sessions of them, and with
        ``erase`` (the store erased them) to forget them everywhere (state, model vectors, caches)."""
        ...

    def remember(self, rec: Recommendation) -> None:
        """Share a served recommendation's items and sources (for attribution on any worker)."""
        ...

    def recommendation(self, recommendation_id: str) -> dict[str, str] | None:
        """Item id -> source of a recommendation served by any worker, if still known."""
        ...

    def publish_version(self, version: str, source: str) -> None:
        """Tell every worker to serve ``version`` (loading the artifact at ``source`` if needed)."""
        ...

    def active_version(self) -> tuple[str, str] | None:
        """The version every worker should serve, and its source, when one was published."""
        ...

    def hit(self, bucket: str, rate: float, burst: float) -> float | None:
        """Take one request from ``bucket``'s token bucket shared by every worker (``rate`` a second, up to
        ``burst`` at once): 0.0 when allowed, else the seconds until a request is; None when nothing is
        shared or it cannot be reached (the caller's own bucket decides)."""
        ...

    async def hit_async(self, bucket: str, rate: float, burst: float) -> float | None:
        """:meth:`hit` without blocking the event loop while the shared state answers."""
        ...


class InProcessState:
    """Nothing shared: one serving process (the embedded default). Every hook is a no-op."""

    shared = False
    degraded = False

    def describe(self) -> dict[str, Any]:
        return {"backend": "memory", "shared": False, "degraded": False}

    def start(self, handler: ReplicaHandler) -> None:
        return None

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def admit(self, keys: Sequence[bytes]) -> np.ndarray | None:
        return None

    def publish_events(self, events: list[Event], by_user: Mapping[str, list[SharedEvent]]) -> None:
        return None

    def admit_and_publish(self, keys: Sequence[bytes], events: list[Event],
                          by_user: Mapping[str, list[SharedEvent]]) -> np.ndarray | None:
        return None

    def session(self, user_id: str) -> SharedSession | None:
        return None

    async def session_async(self, user_id: str) -> SharedSession | None:
        return None

    def publish_items(self, change: str, payload: Any) -> None:
        return None

    def forget_users(self, user_ids: list[str], erase: bool = False) -> None:
        return None

    def remember(self, rec: Recommendation) -> None:
        return None

    def recommendation(self, recommendation_id: str) -> dict[str, str] | None:
        return None

    def publish_version(self, version: str, source: str) -> None:
        return None

    def active_version(self) -> tuple[str, str] | None:
        return None

    def hit(self, bucket: str, rate: float, burst: float) -> float | None:
        return None

    async def hit_async(self, bucket: str, rate: float, burst: float) -> float | None:
        return None



class SharedSessions(SessionStore):
    """Live sessions read through a shared :class:`OnlineState`: the user's shared session (every worker's
    events, written before they were acknowledged) merged over this worker's own, so an event posted to
    any worker shapes the next request on this one. While the shared state is unreachable, this worker's
    own sessions (its events plus those replicated to it) answer alone."""

    def __init__(self, online: OnlineState, catalog: Catalog, max_users: int = 200_000, max_recent: int = 50) -> None:
        super().__init__(max_users=max_users, max_recent=max_recent)
        self.online = online
        self.catalog = catalog
        #: the shared session read by :meth:`context` (or :meth:`prefetch` ahead of it), reused by
        #: :meth:`live_items` and :meth:`shared_hidden` in the same request (one round trip per request)
        self._last = threading.local()

    async def prefetch(self, user_id: str) -> None:
        """Read ``user_id``'s shared session without blocking the event loop; the next :meth:`context` of
        this user on this thread - the request's own, called before the coroutine awaits anything else -
        uses it instead of reading again (once). :meth:`drop_prefetch` forgets it if the request failed
        before."""
        got = await self.online.session_async(user_id)
        self._last.value = (user_id, time.monotonic(), got)
        self._last.ahead = user_id

    def drop_prefetch(self) -> None:
        self._last.ahead = None

    def _shared(self, user_id: str, reuse: bool = False) -> SharedSession | None:
        now = time.monotonic()
        ahead = getattr(self._last, "ahead", None) == user_id
        if reuse or ahead:
            self._last.ahead = None
            last = getattr(self._last, "value", None)
            if last is not None and last[0] == user_id and now - last[1] < REUSE_SECONDS:
                return cast("SharedSession | None", last[2])
        got = self.online.session(user_id)
        self._last.value = (user_id, now, got)
        return got

    def shared_hidden(self, user_id: str) -> np.ndarray | None:
        shared = self._shared(user_id, reuse=True)
        if shared is None or not shared.hidden:
            return None
        return self.catalog.ensure(shared.hidden).astype(np.int64)

    def context(self, user_id: str, history: UserHistory, recent: int = 5) -> UserContext:
        local = super().context(user_id, history, recent)
        shared = self._shared(user_id)
        if shared is None:
            return local
        items = self.catalog.ensure(shared.items)
        bought = self.catalog.ensure(shared.purchased) if shared.purchased else np.empty(0, np.int64)
        anchors: list[tuple[int, str]] = []
        taken: set[int] = set()
        rows = shared.recent
        idx = self.catalog.ensure([r[0] for r in rows]) if rows else np.empty(0, np.int64)
        for pos in range(len(rows) - 1, -1, -1):
            item = int(idx[pos])
            if item not in taken and len(anchors) < recent:
                taken.add(item)
                anchors.append((item, kind_of(rows[pos][1])))
        for item, kind in local.anchors:
            if item not in taken and len(anchors) < recent:
                taken.add(item)
                anchors.append((item, kind))
        return UserContext(seen=np.concatenate([local.seen, items.astype(np.int64)]),
                           purchased=np.concatenate([local.purchased, bought.astype(np.int64)]), anchors=anchors)

    def live_items(self, user_id: str) -> tuple[np.ndarray, int]:
        items, count = super().live_items(user_id)
        shared = self._shared(user_id, reuse=True)
        if shared is None:
            return items, count
        theirs = self.catalog.ensure(shared.items).astype(np.int64)
        mine = items[~np.isin(items, theirs)]
        return np.concatenate([mine, theirs]), shared.events * 1_000_003 + count

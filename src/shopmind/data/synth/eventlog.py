"""The event log: event columns collected during the simulation, and the canonical event frame they become."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shopmind.data.synth.population import DEVICES
from shopmind.schema import EVENT_COLUMNS

EVENT_TYPES = ("impression", "view", "click", "favorite", "add_to_cart", "purchase", "search", "rating")
IMP, VIEW, CLICK, FAV, CART, BUY, SEARCH, RATE = range(8)
PAGES = ("home", "search", "category", "product", "cart")
P_HOME, P_SEARCH, P_CATEGORY, P_PRODUCT, P_CART = range(5)


@dataclass
class EventLog:
    """Event columns accumulated block by block, turned into the canonical event frame at the end."""

    blocks: list[dict[str, np.ndarray]] = field(default_factory=list)

    def emit(self, session: np.ndarray, item: np.ndarray, etype: int, ts: np.ndarray, page: np.ndarray | int,
             *, key: np.ndarray | None = None, rec: np.ndarray | None = None, pos: np.ndarray | None = None,
             value: np.ndarray | None = None, revenue: np.ndarray | None = None) -> None:
        """Record events of one type; ``key`` breaks ties within a second (e.g. slot position)."""
        n = len(session)
        if n == 0:
            return
        self.blocks.append({
            "session": session, "item": item, "type": np.full(n, etype, np.int8), "ts": ts.astype(np.int64),
            "page": np.broadcast_to(page, n).astype(np.int8),
            "key": np.zeros(n, np.int64) if key is None else key,
            "rec": np.full(n, -1, np.int64) if rec is None else rec,
            "pos": np.full(n, -1, np.int64) if pos is None else pos,
            "value": np.full(n, np.nan) if value is None else value,
            "revenue": np.full(n, np.nan) if revenue is None else revenue,
        })

    def columns(self) -> dict[str, np.ndarray]:
        """All blocks concatenated (in emission order)."""
        return {k: np.concatenate([b[k] for b in self.blocks]) for k in self.blocks[0]}

    def frame(self, *, end_s: int, session_user: np.ndarray, session_device: np.ndarray,
              queries: dict[int, str], item_ids: np.ndarray, user_ids: np.ndarray) -> pd.DataFrame:
        """The canonical event frame: chronological, before ``end_s``, with deterministic ids.

        Sessions are numbered by their first event (``S000001`` ...), events by time (``E0000001`` ...);
        ties within a second keep the funnel order.
        """
        c = self.columns()
        keep = c["ts"] < end_s
        c = {k: v[keep] for k, v in c.items()}
        n_sessions = len(session_user)
        # sessions are numbered by their first kept event
        first_ts = np.full(n_sessions, np.iinfo(np.int64).max)
        np.minimum.at(first_ts, c["session"], c["ts"])
        s_order = np.lexsort((np.arange(n_sessions), first_ts))
        s_rank = np.empty(n_sessions, np.int64)
        s_rank[s_order] = np.arange(n_sessions)
        stage = np.array([1, 2, 3, 4, 5, 6, 0, 7])[c["type"]]  # ties in one second keep the funnel order
        order = np.lexsort((c["key"], stage, s_rank[c["session"]], c["ts"]))
        c = {k: v[order] for k, v in c.items()}
        n = len(order)
        used = np.unique(c["session"])
        compact = np.empty(n_sessions, np.int64)
        compact[used[np.argsort(s_rank[used])]] = np.arange(len(used))
        sw = max(6, len(str(len(used))))
        ew = max(7, len(str(n)))
        session_ids = np.array([f"S{i:0{sw}d}" for i in range(1, len(used) + 1)], dtype=object)
        etypes = np.array(EVENT_TYPES, dtype=object)
        item = np.where(c["item"] >= 0, item_ids[np.maximum(c["item"], 0)], None)
        context = _contexts(c, session_device, queries)
        return pd.DataFrame({
            "event_id": [f"E{i:0{ew}d}" for i in range(1, n + 1)],
            "user_id": user_ids[session_user[c["session"]]],
            "item_id": item,
            "type": etypes[c["type"]],
            "value": c["value"],
            "timestamp": pd.to_datetime(c["ts"], unit="s", utc=True),
            "session_id": session_ids[compact[c["session"]]],
            "context": context,
        })[list(EVENT_COLUMNS)]


def _contexts(c: dict[str, np.ndarray], s_dev: np.ndarray,
              queries: dict[int, str]) -> list[dict[str, object]]:
    """One context dict per event: device, page, and where they apply query, recommendation id, slot
    position and revenue."""
    dev = [DEVICES[d] for d in s_dev.tolist()]
    out: list[dict[str, object]] = []
    cols = (c[k].tolist() for k in ("session", "type", "page", "rec", "pos", "revenue"))
    for sess, etype, page, rec, pos, rev in zip(*cols, strict=True):
        ctx: dict[str, object] = {"device": dev[sess], "page": PAGES[page]}
        if etype == SEARCH or (page == P_SEARCH and sess in queries):
            ctx["query"] = queries.get(sess, "")
        if rec >= 0:
            ctx["recommendation_id"] = f"R{rec:07d}"
        if pos >= 0:
            ctx["position"] = pos + 1
        if etype == BUY:
            ctx["revenue"] = rev
            ctx["currency"] = "CNY"
        out.append(ctx)
    return out

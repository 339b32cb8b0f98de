"""The embedded default store: one SQLite file (stdlib :mod:`sqlite3`, WAL mode).

URLs: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or ``sqlite:///:memory:``.

Events are appended with ``executemany`` in chunks inside one ``BEGIN IMMEDIATE`` transaction, using
``INSERT ... ON CONFLICT(dedupe_key) DO NOTHING`` rather than ``INSERT OR IGNORE``: ``OR IGNORE`` would also
silently skip rows that break a NOT NULL or CHECK constraint, and a bad batch must fail as a whole.
Timestamps are stored as integer microseconds since the epoch (UTC); dicts as JSON text.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from shopmind.data.loaders.base import Reject
from shopmind.errors import StoreError
from shopmind.schema import ITEM_COLUMNS, USER_COLUMNS
from shopmind.storage import marketing_rows as mrows
from shopmind.storage import records as rec
from shopmind.storage.base import (
    DECISION_COLUMNS,
    DELIVERY_COLUMNS,
    EXPOSURE_COLUMNS,
    REDEMPTION_COLUMNS,
    REJECT_COLUMNS,
    AppendCounts,
    ContextManagedStore,
    Records,
    UpsertCounts,
)
from shopmind.storage.privacy_rows import now_us, privacy_fits, privacy_frame

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY NOT NULL CHECK (length(item_id) > 0),
    title TEXT, description TEXT, category TEXT, brand TEXT,
    price REAL CHECK (price IS NULL OR price >= 0),
    currency TEXT, attributes TEXT, image TEXT, created_at INTEGER,
    in_stock INTEGER NOT NULL DEFAULT 1,
    row_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY NOT NULL CHECK (length(user_id) > 0),
    attributes TEXT, created_at INTEGER,
    row_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    dedupe_key BLOB NOT NULL UNIQUE,
    event_id TEXT,
    user_id TEXT NOT NULL CHECK (length(user_id) > 0),
    item_id TEXT,
    type TEXT NOT NULL CHECK (length(type) > 0),
    value REAL,
    ts_us INTEGER NOT NULL,
    session_id TEXT,
    context TEXT
);
CREATE TABLE IF NOT EXISTS rejects (
    id INTEGER PRIMARY KEY,
    import_id TEXT NOT NULL, source TEXT, row INTEGER, kind TEXT, field TEXT, value TEXT, reason TEXT
);
CREATE INDEX IF NOT EXISTS rejects_import ON rejects (import_id);
CREATE TABLE IF NOT EXISTS imports (
    seq INTEGER PRIMARY KEY,
    import_id TEXT NOT NULL UNIQUE,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS experiments (
    seq INTEGER PRIMARY KEY, experiment_id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exposures (
    seq INTEGER PRIMARY KEY,
    experiment_id TEXT NOT NULL CHECK (length(experiment_id) > 0),
    variant TEXT NOT NULL CHECK (length(variant) > 0),
    user_id TEXT NOT NULL CHECK (length(user_id) > 0),
    recommendation_id TEXT, model_version TEXT,
    propensity REAL CHECK (propensity IS NULL OR (propensity > 0 AND propensity <= 1)),
    ts_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS exposures_experiment ON exposures (experiment_id);
CREATE INDEX IF NOT EXISTS exposures_user ON exposures (user_id);
CREATE TABLE IF NOT EXISTS bandits (seq INTEGER PRIMARY KEY, bandit_id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bandit_stats (
    bandit_id TEXT NOT NULL, arm TEXT NOT NULL, stat TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (bandit_id, arm, stat)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY,
    decision_id TEXT NOT NULL UNIQUE CHECK (length(decision_id) > 0),
    bandit_id TEXT NOT NULL CHECK (length(bandit_id) > 0),
    user_id TEXT NOT NULL CHECK (length(user_id) > 0),
    arm TEXT NOT NULL CHECK (length(arm) > 0),
    propensity REAL NOT NULL CHECK (propensity > 0 AND propensity <= 1),
    context TEXT, reward REAL,
    ts_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_bandit ON decisions (bandit_id);
CREATE INDEX IF NOT EXISTS decisions_user ON decisions (user_id);
CREATE TABLE IF NOT EXISTS profiles (
    user_id TEXT PRIMARY KEY NOT NULL, profile TEXT NOT NULL, updated_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (
    segment_id TEXT PRIMARY KEY NOT NULL, ord INTEGER NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segment_members (
    segment_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (segment_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS segment_members_user ON segment_members (user_id);
CREATE TABLE IF NOT EXISTS customer_state (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS campaigns (seq INTEGER PRIMARY KEY, campaign_id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL UNIQUE CHECK (length(delivery_id) > 0),
    campaign_id TEXT NOT NULL CHECK (length(campaign_id) > 0),
    user_id TEXT NOT NULL CHECK (length(user_id) > 0),
    variant TEXT NOT NULL CHECK (length(variant) > 0),
    creative_id TEXT, channel TEXT, coupon_code TEXT UNIQUE, recommendation_id TEXT, model_version TEXT,
    item_ids TEXT,
    propensity REAL NOT NULL CHECK (propensity > 0 AND propensity <= 1),
    ts_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_campaign_user ON deliveries (campaign_id, user_id);
CREATE INDEX IF NOT EXISTS deliveries_user ON deliveries (user_id);
CREATE TABLE IF NOT EXISTS redemptions (
    seq INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (length(code) > 0),
    campaign_id TEXT NOT NULL, user_id TEXT NOT NULL, order_id TEXT, spend REAL,
    discount REAL NOT NULL CHECK (discount >= 0),
    ts_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS redemptions_campaign_user ON redemptions (campaign_id, user_id);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY, collection TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,
    UNIQUE (collection, key)
);
CREATE TABLE IF NOT EXISTS api_keys (
    seq INTEGER PRIMARY KEY, key_id TEXT NOT NULL UNIQUE, key_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
    name TEXT, rate_limit REAL, created_us INTEGER NOT NULL, revoked_us INTEGER
);
"""

#: The epsilon ledger of differentially private releases (shopmind.privacy.dp).
_PRIVACY_SCHEMA = """
CREATE TABLE IF NOT EXISTS privacy_ledger (
    seq INTEGER PRIMARY KEY, period TEXT NOT NULL CHECK (length(period) > 0), query TEXT NOT NULL,
    epsilon REAL NOT NULL CHECK (epsilon > 0), ts_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS privacy_ledger_period ON privacy_ledger (period);
"""


_API_KEY_COLUMNS = ", ".join(rec.API_KEY_COLUMNS)


def _entity_upsert_sql(table: str, columns: tuple[str, ...]) -> str:
    key = columns[0]
    cols = [*columns, "row_hash"]
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
    return (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE {table}.row_hash <> excluded.row_hash")


_INSERT_EVENT = (f"INSERT INTO events ({', '.join(rec.EVENT_ROW)}) "
                 f"VALUES ({', '.join('?' * len(rec.EVENT_ROW))}) ON CONFLICT (dedupe_key) DO NOTHING")
_SELECT_EVENTS = ("SELECT seq, event_id, user_id, item_id, type, value, ts_us, session_id, context "
                  "FROM events ORDER BY seq")


def sqlite_path(url: str) -> str:
    """The database path of a ``sqlite:///...`` URL (``:memory:`` for an in-memory store).

    >>> sqlite_path("sqlite:///data/shop.db"), sqlite_path("sqlite:////tmp/shop.db")
    ('data/shop.db', '/tmp/shop.db')
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise StoreError(f"cannot open {url!r}: expected sqlite:///relative/path.db, "
                         "sqlite:////absolute/path.db or sqlite:///:memory:")
    return url[len(prefix):].split("?", 1)[0]


class SQLiteStore(ContextManagedStore):
    """A :class:`~shopmind.storage.base.Store` in one SQLite file.

    Safe to share between threads of one process (calls are serialised by a lock); several processes may
    read while one writes (WAL).

    >>> store = SQLiteStore("sqlite:///:memory:")
    >>> store.append_events([{"user_id": "u1", "item_id": "i1", "type": "view",
    ...                       "timestamp": pd.Timestamp("2024-05-01", tz="UTC")}])
    AppendCounts(inserted=1, duplicates=0)
    """

    def __init__(self, url: str) -> None:
        self.url = url
        path = sqlite_path(url)
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30.0)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA temp_store=MEMORY")
            self._conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache for bulk imports
            self._conn.executescript(_SCHEMA)
            self._conn.executescript(_PRIVACY_SCHEMA)
            self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                               (str(SCHEMA_VERSION),))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {url!r} (file {path!r}): {exc}") from exc
        self._lock = threading.RLock()
        logger.debug("opened %s", url)

    # ------------------------------------------------------------------ plumbing
    @property
    def _c(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store {self.url!r} is closed")
        return self._conn

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Cursor]:
        """One write transaction; any failure rolls everything back and raises StoreError."""
        with self._lock:
            cur = self._c.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
                yield cur
                cur.execute("COMMIT")
            except BaseException as exc:
                if self._c.in_transaction:
                    self._c.rollback()
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"{what} failed in {self.url}; nothing was written: {exc}") from exc
                raise
            finally:
                cur.close()

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._c.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"reading from {self.url} failed: {exc}") from exc

    def _count(self, cur: sqlite3.Cursor, table: str) -> int:
        return int(cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # ------------------------------------------------------------------ items and users
    def _upsert(self, records: Records, kind: str) -> UpsertCounts:
        table, columns = (("items", ITEM_COLUMNS) if kind == "item" else ("users", USER_COLUMNS))
        rows, collapsed = rec.encode_entities(records, kind)
        with self._write(f"upserting {len(rows)} {table}") as cur:
            before = self._count(cur, table)
            changes = self._c.total_changes
            cur.executemany(_entity_upsert_sql(table, columns), rows)
            changed = self._c.total_changes - changes
            inserted = self._count(cur, table) - before
        return UpsertCounts(inserted, changed - inserted, len(rows) - changed, collapsed)

    def _delete(self, ids: Iterable[str], kind: str) -> int:
        keys = [(str(i),) for i in ids]
        with self._write(f"deleting {kind}s") as cur:
            cur.executemany(f"DELETE FROM {kind}s WHERE {kind}_id = ?", keys)
            return max(cur.rowcount, 0)

    def _frame(self, kind: str, where: str = "", params: tuple[Any, ...] = ()) -> pd.DataFrame:
        columns = ITEM_COLUMNS if kind == "item" else USER_COLUMNS
        rows = self._read(f"SELECT {', '.join(columns)} FROM {kind}s {where} ORDER BY rowid", params)
        return rec.decode_entities(rows, kind)

    def upsert_items(self, items: Records) -> UpsertCounts:
        return self._upsert(items, "item")

    def upsert_users(self, users: Records) -> UpsertCounts:
        return self._upsert(users, "user")

    def delete_items(self, item_ids: Iterable[str]) -> int:
        return self._delete(item_ids, "item")

    def delete_users(self, user_ids: Iterable[str]) -> int:
        return self._delete(user_ids, "user")

    def get_item(self, item_id: str) -> dict[str, Any] | None:
        return rec.entity_dict(self._frame("item", "WHERE item_id = ?", (str(item_id),)))

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        return rec.entity_dict(self._frame("user", "WHERE user_id = ?", (str(user_id),)))

    def items_frame(self) -> pd.DataFrame:
        return self._frame("item")

    def users_frame(self) -> pd.DataFrame:
        return self._frame("user")

    def user_ids(self) -> list[str]:
        return [r[0] for r in self._read("SELECT user_id FROM users ORDER BY rowid")]

    # ------------------------------------------------------------------ events
    def append_events(self, events: Records) -> AppendCounts:
        total = inserted = 0
        with rec.paused_gc(), self._write("appending events") as cur:
            for chunk in rec.encode_events(events):
                changes = self._c.total_changes
                cur.executemany(_INSERT_EVENT, chunk)
                inserted += self._c.total_changes - changes
                total += len(chunk)
        logger.debug("appended %d events to %s (%d duplicates)", inserted, self.url, total - inserted)
        return AppendCounts(inserted, total - inserted)

    def events_frame(self, *, after_seq: int | None = None, user_ids: Iterable[str] | None = None,
                     types: Iterable[str] | None = None) -> pd.DataFrame:
        if after_seq is None and user_ids is None and types is None:
            with rec.paused_gc():
                return rec.decode_events(self._read(_SELECT_EVENTS))
        where: list[str] = []
        params: list[Any] = []
        if after_seq is not None:
            where.append("seq > ?")
            params.append(int(after_seq))
        if types is not None:
            wanted = sorted({str(t) for t in types})
            where.append(f"type IN ({', '.join('?' * len(wanted))})" if wanted else "0")
            params.extend(wanted)
        with self._lock, rec.paused_gc():
            if user_ids is not None:
                # one scan joined to a temporary table, however many users are asked for
                self._c.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_users (user_id TEXT PRIMARY KEY)")
                self._c.execute("DELETE FROM wanted_users")
                self._c.executemany("INSERT OR IGNORE INTO wanted_users VALUES (?)", [(str(u),) for u in user_ids])
                where.append("user_id IN (SELECT user_id FROM wanted_users)")
            sql = _SELECT_EVENTS.replace(" ORDER BY seq", f" WHERE {' AND '.join(where)} ORDER BY seq")
            return rec.decode_events(self._read(sql, tuple(params)))

    def event_chunks(self, *, exclude_types: Iterable[str] = (), chunk_rows: int = 100_000,
                     extra_columns: Iterable[str] = (), last: int | None = None) -> Iterator[pd.DataFrame]:
        rec.check_chunk_rows(chunk_rows)
        extras = rec.chunk_extras(extra_columns, last)
        excluded = sorted({str(t) for t in exclude_types})
        cols = ", ".join(["seq", "user_id", "item_id", "type", "value", "ts_us", *extras])
        where = ("WHERE item_id IS NOT NULL"
                 + (f" AND type NOT IN ({', '.join('?' * len(excluded))})" if excluded else ""))
        params: tuple[Any, ...] = tuple(excluded)
        if last is None:
            query = f"SELECT {cols} FROM events {where} ORDER BY seq"
        else:
            query = f"SELECT * FROM (SELECT {cols} FROM events {where} ORDER BY seq DESC LIMIT ?) ORDER BY seq"
            params = (*excluded, last)
        types: dict[str, str] = {}
        with self._lock:
            try:
                cur = self._c.execute(query, params)
                while rows := cur.fetchmany(chunk_rows):
                    with rec.paused_gc():
                        chunk = rec.event_chunk(rows, types, extras)
                    del rows
                    yield chunk
            except sqlite3.Error as exc:
                raise StoreError(f"reading events from {self.url} failed: {exc}") from exc

    def item_event_counts(self, types: Iterable[str]) -> pd.DataFrame:
        wanted = sorted({str(t) for t in types})
        rows = self._read("SELECT item_id, type, count(*), max(ts_us) FROM events WHERE item_id IS NOT NULL AND "
                          f"type IN ({', '.join('?' * len(wanted))}) GROUP BY item_id, type ORDER BY item_id, type",
                          tuple(wanted)) if wanted else []
        return rec.decode_item_event_counts(rows)

    def event_counts(self, bucket_seconds: int = 86_400) -> pd.DataFrame:
        width = rec.bucket_micros(bucket_seconds)
        rows = self._read("SELECT (ts_us - ((ts_us % ?) + ?) % ?) AS b, type, count(*) FROM events "
                          "GROUP BY b, type ORDER BY b, type", (width, width, width))
        return rec.decode_event_counts(rows)

    # ------------------------------------------------------------------ embedding cache
    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        keys = list(dict.fromkeys(str(k) for k in keys))
        for s in range(0, len(keys), 900):
            chunk = keys[s:s + 900]
            rows = self._read(f"SELECT key, vec FROM embeddings WHERE model = ? AND key IN "
                              f"({', '.join('?' * len(chunk))})", (str(model), *chunk))
            out.update({k: np.frombuffer(v, dtype=np.float32).copy() for k, v in rows})
        return out

    def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> int:
        rows = [(str(model), str(k), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for k, v in vectors.items()]
        if not rows:
            return 0
        with self._write(f"caching {len(rows)} embeddings") as cur:
            cur.executemany("INSERT OR REPLACE INTO embeddings (model, key, vec) VALUES (?, ?, ?)", rows)
        return len(rows)

    # ------------------------------------------------------------------ API keys
    def put_api_key(self, key: Mapping[str, Any]) -> None:
        row = rec.api_key_row(key)
        with self._write(f"storing API key {row[0]!r}") as cur:
            cur.execute(f"INSERT INTO api_keys ({_API_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def find_api_key(self, key_hash: str) -> dict[str, Any] | None:
        rows = self._read(f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", (str(key_hash),))
        return rec.api_key_out(rows[0]) if rows else None

    def list_api_keys(self) -> list[dict[str, Any]]:
        rows = self._read(f"SELECT {_API_KEY_COLUMNS} FROM api_keys ORDER BY seq")
        return [rec.api_key_out(r, with_hash=False) for r in rows]

    def revoke_api_key(self, key_id: str) -> bool:
        with self._write(f"revoking API key {key_id!r}") as cur:
            cur.execute("UPDATE api_keys SET revoked_us = ? WHERE key_id = ? AND revoked_us IS NULL",
                        (int(pd.Timestamp.now(tz="UTC").value // 1000), str(key_id)))
            return bool(cur.rowcount and cur.rowcount > 0)

    # ------------------------------------------------------------------ documents
    def put_documents(self, collection: str, documents: Mapping[str, Mapping[str, Any]]) -> int:
        rows = [(str(collection), str(k), json.dumps(dict(v), ensure_ascii=False, default=str))
                for k, v in documents.items()]
        if not rows:
            return 0
        with self._write(f"storing {len(rows)} {collection} documents") as cur:
            cur.executemany("INSERT INTO documents (collection, key, doc) VALUES (?, ?, ?) "
                            "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc", rows)
        return len(rows)

    def get_document(self, collection: str, key: str) -> dict[str, Any] | None:
        rows = self._read("SELECT doc FROM documents WHERE collection = ? AND key = ?", (str(collection), str(key)))
        return dict(json.loads(rows[0][0])) if rows else None

    def list_documents(self, collection: str) -> list[str]:
        return [r[0] for r in self._read("SELECT key FROM documents WHERE collection = ? ORDER BY seq",
                                         (str(collection),))]

    def read_documents(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return [(r[0], dict(json.loads(r[1]))) for r in self._read(
            "SELECT key, doc FROM documents WHERE collection = ? ORDER BY seq", (str(collection),))]

    def delete_documents(self, collection: str, keys: Iterable[str] | None = None) -> int:
        with self._write(f"deleting {collection} documents") as cur:
            if keys is None:
                cur.execute("DELETE FROM documents WHERE collection = ?", (str(collection),))
            else:
                cur.executemany("DELETE FROM documents WHERE collection = ? AND key = ?",
                                [(str(collection), str(k)) for k in keys])
            return max(cur.rowcount, 0)

    # ------------------------------------------------------------------ quarantine and import log
    def add_rejects(self, import_id: str, rejects: Iterable[Reject | Mapping[str, Any]]) -> int:
        rows = rec.encode_rejects(str(import_id), list(rejects))
        with self._write(f"quarantining {len(rows)} rows") as cur:
            cur.executemany(f"INSERT INTO rejects ({', '.join(REJECT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            rows)
        return len(rows)

    def quarantine_frame(self, import_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE import_id = ?", (str(import_id),)) if import_id is not None else ("", ())
        rows = self._read(f"SELECT {', '.join(REJECT_COLUMNS)} FROM rejects {where} ORDER BY id", params)
        return rec.decode_rejects(rows)

    def record_import(self, report: Mapping[str, Any]) -> None:
        import_id, text = rec.report_json(report)
        with self._write(f"recording import {import_id}") as cur:
            cur.execute("INSERT INTO imports (import_id, report) VALUES (?, ?) "
                        "ON CONFLICT (import_id) DO UPDATE SET report = excluded.report", (import_id, text))

    def list_imports(self, limit: int | None = None) -> list[dict[str, Any]]:
        if limit is None:
            rows = self._read("SELECT report FROM imports ORDER BY seq")
        else:
            rows = self._read("SELECT report FROM imports ORDER BY seq DESC LIMIT ?", (max(int(limit), 0),))[::-1]
        return [rec.decode_json([r[0]])[0] for r in rows]

    # ------------------------------------------------------------------ experiments and exposures
    def _put_doc(self, table: str, key: str, doc: Mapping[str, Any], what: str) -> None:
        ident, text = mrows.document_json(doc, key, what)
        with self._write(f"storing {what} {ident}") as cur:
            cur.execute(f"INSERT INTO {table} ({key}, doc) VALUES (?, ?) "
                        f"ON CONFLICT ({key}) DO UPDATE SET doc = excluded.doc", (ident, text))

    def _get_doc(self, table: str, key: str, ident: str) -> dict[str, Any] | None:
        rows = self._read(f"SELECT doc FROM {table} WHERE {key} = ?", (str(ident),))
        return rec.decode_json([rows[0][0]])[0] if rows else None

    def _list_docs(self, table: str) -> list[dict[str, Any]]:
        return rec.decode_json([r[0] for r in self._read(f"SELECT doc FROM {table} ORDER BY seq")])

    def _delete_of_users(self, table: str, user_ids: Iterable[str]) -> int:
        keys = [(str(u),) for u in user_ids]
        with self._write(f"deleting the {table} of {len(keys)} users") as cur:
            before = self._c.total_changes
            cur.executemany(f"DELETE FROM {table} WHERE user_id = ?", keys)
            return self._c.total_changes - before

    def put_experiment(self, doc: Mapping[str, Any]) -> None:
        self._put_doc("experiments", "experiment_id", doc, "experiment")

    def get_experiment(self, experiment_id: str) -> dict[str, Any] | None:
        return self._get_doc("experiments", "experiment_id", experiment_id)

    def list_experiments(self) -> list[dict[str, Any]]:
        return self._list_docs("experiments")

    def log_exposures(self, exposures: Records) -> int:
        rows = mrows.encode_exposures(exposures)
        cols = ["ts_us" if c == "timestamp" else c for c in EXPOSURE_COLUMNS]
        with self._write(f"logging {len(rows)} exposures") as cur:
            cur.executemany(f"INSERT INTO exposures ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
        return len(rows)

    def exposures_frame(self, experiment_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE experiment_id = ?", (str(experiment_id),)) if experiment_id is not None else ("", ())
        cols = ", ".join("ts_us" if c == "timestamp" else c for c in EXPOSURE_COLUMNS)
        with rec.paused_gc():
            return mrows.decode_exposures(self._read(f"SELECT seq, {cols} FROM exposures {where} ORDER BY seq",
                                                     params))

    def delete_user_exposures(self, user_ids: Iterable[str]) -> int:
        return self._delete_of_users("exposures", user_ids)

    # ------------------------------------------------------------------ bandits
    def put_bandit(self, doc: Mapping[str, Any]) -> None:
        self._put_doc("bandits", "bandit_id", doc, "bandit")

    def get_bandit(self, bandit_id: str) -> dict[str, Any] | None:
        return self._get_doc("bandits", "bandit_id", bandit_id)

    def list_bandits(self) -> list[dict[str, Any]]:
        return self._list_docs("bandits")

    _ADD_STAT = ("INSERT INTO bandit_stats (bandit_id, arm, stat, value) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (bandit_id, arm, stat) DO UPDATE SET value = bandit_stats.value + excluded.value")

    def add_bandit_stats(self, bandit_id: str, deltas: Iterable[tuple[str, str, float]]) -> None:
        rows = mrows.increments(bandit_id, deltas)
        with self._write(f"updating bandit {bandit_id}") as cur:
            cur.executemany(self._ADD_STAT, rows)

    def bandit_stats(self, bandit_id: str) -> dict[str, dict[str, float]]:
        return mrows.stats_dict(self._read("SELECT arm, stat, value FROM bandit_stats WHERE bandit_id = ? "
                                           "ORDER BY arm, stat", (str(bandit_id),)))

    def log_decisions(self, decisions: Records) -> int:
        rows = mrows.encode_decisions(decisions)
        cols = ["ts_us" if c == "timestamp" else c for c in DECISION_COLUMNS]
        with self._write(f"logging {len(rows)} bandit decisions") as cur:
            cur.executemany(f"INSERT INTO decisions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
        return len(rows)

    def reward_decision(self, decision_id: str, reward: float, deltas: Iterable[tuple[str, str, float]]) -> bool:
        with self._write(f"rewarding decision {decision_id}") as cur:
            row = cur.execute("UPDATE decisions SET reward = ? WHERE decision_id = ? AND reward IS NULL "
                              "RETURNING bandit_id", (float(reward), str(decision_id))).fetchone()
            if row is None:
                return False
            cur.executemany(self._ADD_STAT, mrows.increments(row[0], deltas))
        return True

    def _decisions(self, where: str, params: tuple[Any, ...]) -> pd.DataFrame:
        cols = ", ".join("ts_us" if c == "timestamp" else c for c in DECISION_COLUMNS)
        with rec.paused_gc():
            return mrows.decode_decisions(self._read(f"SELECT seq, {cols} FROM decisions {where} ORDER BY seq",
                                                     params))

    def get_decision(self, decision_id: str) -> dict[str, Any] | None:
        frame = self._decisions("WHERE decision_id = ?", (str(decision_id),))
        return mrows.first_row(frame)

    def decisions_frame(self, bandit_id: str | None = None) -> pd.DataFrame:
        return self._decisions(*(("WHERE bandit_id = ?", (str(bandit_id),)) if bandit_id is not None else ("", ())))

    def delete_user_decisions(self, user_ids: Iterable[str]) -> int:
        return self._delete_of_users("decisions", user_ids)

    # ------------------------------------------------------------------ campaigns, deliveries, redemptions
    def put_campaign(self, doc: Mapping[str, Any]) -> None:
        self._put_doc("campaigns", "campaign_id", doc, "campaign")

    def get_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        return self._get_doc("campaigns", "campaign_id", campaign_id)

    def list_campaigns(self) -> list[dict[str, Any]]:
        return self._list_docs("campaigns")

    def log_deliveries(self, deliveries: Records) -> int:
        rows = mrows.encode_deliveries(deliveries)
        cols = ["ts_us" if c == "timestamp" else c for c in DELIVERY_COLUMNS]
        with self._write(f"logging {len(rows)} deliveries") as cur:
            cur.executemany(f"INSERT INTO deliveries ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            rows)
        return len(rows)

    def _deliveries(self, where: str, params: tuple[Any, ...]) -> pd.DataFrame:
        cols = ", ".join("ts_us" if c == "timestamp" else c for c in DELIVERY_COLUMNS)
        with rec.paused_gc():
            return mrows.decode_deliveries(self._read(f"SELECT seq, {cols} FROM deliveries {where} ORDER BY seq",
                                                      params))

    def deliveries_frame(self, campaign_id: str | None = None, *, user_id: str | None = None) -> pd.DataFrame:
        conds = [(c, str(v)) for c, v in (("campaign_id", campaign_id), ("user_id", user_id)) if v is not None]
        where = ("WHERE " + " AND ".join(f"{c} = ?" for c, _ in conds)) if conds else ""
        return self._deliveries(where, tuple(v for _, v in conds))

    def coupon_delivery(self, code: str) -> dict[str, Any] | None:
        return mrows.first_row(self._deliveries("WHERE coupon_code = ?", (str(code),)))

    def redeem_coupon(self, redemption: Mapping[str, Any], *, budget: float | None = None,
                      per_user_cap: int | None = None) -> str | None:
        row = mrows.encode_redemption(redemption)
        code, campaign, user, discount = row[0], row[1], row[2], float(row[5])
        cols = ["ts_us" if c == "timestamp" else c for c in REDEMPTION_COLUMNS]
        with self._write(f"redeeming coupon {code}") as cur:
            used = cur.execute("SELECT 1 FROM redemptions WHERE code = ?", (code,)).fetchone() is not None
            spent = float(cur.execute("SELECT coalesce(sum(discount), 0) FROM redemptions WHERE campaign_id = ?",
                                      (campaign,)).fetchone()[0])
            mine = int(cur.execute("SELECT count(*) FROM redemptions WHERE campaign_id = ? AND user_id = ?",
                                   (campaign, user)).fetchone()[0])
            reason = mrows.refusal(used, spent, discount, budget, mine, per_user_cap)
            if reason is None:
                cur.execute(f"INSERT INTO redemptions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            row)
        return reason

    def redemptions_frame(self, campaign_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE campaign_id = ?", (str(campaign_id),)) if campaign_id is not None else ("", ())
        cols = ", ".join("ts_us" if c == "timestamp" else c for c in REDEMPTION_COLUMNS)
        return mrows.decode_redemptions(self._read(f"SELECT seq, {cols} FROM redemptions {where} ORDER BY seq",
                                                   params))

    def delete_user_deliveries(self, user_ids: Iterable[str]) -> int:
        keys = list(user_ids)
        return self._delete_of_users("deliveries", keys) + self._delete_of_users("redemptions", keys)

    # ------------------------------------------------------------------ customer profiles and segments
    def put_profiles(self, profiles: Mapping[str, Mapping[str, Any]]) -> int:
        now = int(pd.Timestamp.now(tz="UTC").value // 1000)
        rows = [(str(u), rec.document_json(p, "profile"), now) for u, p in profiles.items()]
        with self._write(f"storing {len(rows)} profiles") as cur:
            cur.executemany("INSERT OR REPLACE INTO profiles (user_id, profile, updated_us) VALUES (?, ?, ?)", rows)
        return len(rows)

    def get_profile(self, user_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT profile FROM profiles WHERE user_id = ?", (str(user_id),))
        return rec.decode_json([rows[0][0]])[0] if rows else None

    def profiles_frame(self) -> pd.DataFrame:
        with rec.paused_gc():
            rows = self._read("SELECT user_id, profile, updated_us FROM profiles ORDER BY user_id")
            users, docs, times = rec.transpose(rows, 3)
            return pd.DataFrame({"user_id": pd.Series(users, dtype=object),
                                 "profile": pd.Series(rec.decode_json(docs), dtype=object),
                                 "updated_at": rec.decode_micros(times)})

    def put_segments(self, segments: Sequence[Mapping[str, Any]]) -> int:
        rows = rec.segment_rows(segments)
        with self._write(f"storing {len(rows)} segments") as cur:
            cur.execute("DELETE FROM segments")
            cur.executemany("INSERT INTO segments (segment_id, ord, body) VALUES (?, ?, ?)", rows)
            cur.execute("DELETE FROM segment_members WHERE segment_id NOT IN (SELECT segment_id FROM segments)")
        return len(rows)

    def list_segments(self) -> list[dict[str, Any]]:
        return rec.decode_json([r[0] for r in self._read("SELECT body FROM segments ORDER BY ord")])

    def put_memberships(self, memberships: Mapping[str, Sequence[str]]) -> int:
        users, pairs = rec.membership_rows(memberships)
        with self._write(f"storing the segments of {len(users)} users") as cur:
            cur.executemany("DELETE FROM segment_members WHERE user_id = ?", [(u,) for u in users])
            cur.executemany("INSERT INTO segment_members (segment_id, user_id) VALUES (?, ?)", pairs)
        return len(pairs)

    def segment_users(self, segment_id: str, limit: int = 100, offset: int = 0) -> list[str]:
        rows = self._read("SELECT user_id FROM segment_members WHERE segment_id = ? ORDER BY user_id "
                          "LIMIT ? OFFSET ?", (str(segment_id), int(limit), int(offset)))
        return [r[0] for r in rows]

    def get_customer_state(self, key: str) -> bytes | None:
        rows = self._read("SELECT value FROM customer_state WHERE key = ?", (str(key),))
        return bytes(rows[0][0]) if rows else None

    def put_customer_state(self, key: str, value: bytes) -> None:
        with self._write(f"storing customer state {key!r}") as cur:
            cur.execute("INSERT OR REPLACE INTO customer_state (key, value) VALUES (?, ?)", (str(key), bytes(value)))

    # ------------------------------------------------------------------ one user's data (access, erasure)
    #: kind -> (table, selected columns in ``rec.PERSONAL_COLUMNS`` order, condition on the user id, order)
    _PERSONAL: ClassVar[dict[str, tuple[str, str, str, str]]] = {
        "users": ("users", "user_id, attributes, created_at", "user_id = ?", "rowid"),
        "events": ("events", "seq, event_id, user_id, item_id, type, value, ts_us, session_id, context",
                   "user_id = ?", "seq"),
        # every rejected field of a file row in which the user id was a rejected value
        "quarantine_rows": ("rejects", "import_id, source, row, kind, field, value, reason",
                            "id IN (SELECT r.id FROM rejects r JOIN rejects m ON r.import_id = m.import_id "
                            "AND r.row IS m.row AND r.source IS m.source AND r.kind IS m.kind WHERE m.value = ?)",
                            "id"),
        "exposures": ("exposures", "experiment_id, variant, user_id, recommendation_id, model_version, propensity, "
                      "ts_us", "user_id = ?", "seq"),
        "decisions": ("decisions", "decision_id, bandit_id, user_id, arm, propensity, context, reward, ts_us",
                      "user_id = ?", "seq"),
        "profiles": ("profiles", "user_id, profile, updated_us", "user_id = ?", "user_id"),
        "segment_memberships": ("segment_members", "segment_id, user_id", "user_id = ?", "segment_id"),
        "deliveries": ("deliveries", "delivery_id, campaign_id, user_id, variant, creative_id, channel, coupon_code, "
                       "recommendation_id, model_version, item_ids, propensity, ts_us", "user_id = ?", "seq"),
        "redemptions": ("redemptions", "code, campaign_id, user_id, order_id, spend, discount, ts_us",
                        "user_id = ?", "seq"),
    }

    def user_data(self, user_id: str) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for kind, (table, cols, where, order) in self._PERSONAL.items():
            rows = self._read(f"SELECT {cols} FROM {table} WHERE {where} ORDER BY {order}", (str(user_id),))
            out[kind] = rec.personal_dicts(kind, rows)
        return out

    def erase_user(self, user_id: str) -> dict[str, int]:
        """See :meth:`PersonalData.erase_user`. The deleted content is overwritten with zeros in the file
        (``secure_delete``), and the write-ahead log, which still holds the pages as they were, is checkpointed
        and truncated, so the bytes of the erased rows do not linger in free pages or the log."""
        deleted: dict[str, int] = {}
        with self._lock:
            self._c.execute("PRAGMA secure_delete = ON")
            try:
                with self._write(f"erasing user {user_id!r}") as cur:
                    for kind, (table, _cols, where, _order) in self._PERSONAL.items():
                        before = self._c.total_changes
                        cur.execute(f"DELETE FROM {table} WHERE {where}", (str(user_id),))
                        deleted[kind] = self._c.total_changes - before
            finally:
                self._c.execute("PRAGMA secure_delete = OFF")
            # a reader of another connection may hold old pages: then the log is truncated at a later checkpoint
            self._c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted
    # ------------------------------------------------------------------ privacy ledger
    def spend_privacy(self, period: str, query: str, epsilon: float, budget: float) -> bool:
        with self._write(f"spending epsilon {epsilon} on {query!r}") as cur:
            spent = float(cur.execute("SELECT coalesce(sum(epsilon), 0) FROM privacy_ledger WHERE period = ?",
                                      (str(period),)).fetchone()[0])
            if not privacy_fits(spent, epsilon, budget):
                return False
            cur.execute("INSERT INTO privacy_ledger (period, query, epsilon, ts_us) VALUES (?, ?, ?, ?)",
                        (str(period), str(query), float(epsilon), now_us()))
        return True

    def privacy_spends(self, period: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE period = ?", (str(period),)) if period is not None else ("", ())
        rows = self._read(f"SELECT seq, period, query, epsilon, ts_us FROM privacy_ledger {where} ORDER BY seq",
                          params)
        return privacy_frame(rows)

    # ------------------------------------------------------------------ the rest
    def counts(self) -> dict[str, int]:
        tables = ("items", "users", "events", "rejects", "imports")
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
        return {t: int(n) for t, n in zip(tables, self._read(sql)[0], strict=True)}

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

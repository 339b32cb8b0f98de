"""The server store: PostgreSQL through psycopg 3.

URLs are libpq URLs, ``postgresql://user@host:5432/dbname`` (``postgres://`` works too), plus one optional
query parameter of our own: ``?schema=NAME`` keeps every table in that schema (created when missing) -
handy for tests, which use a throwaway schema each and drop it afterwards.

Bulk writes ``COPY`` the batch into a temporary table and move it with one ``INSERT ... SELECT ... ON
CONFLICT`` statement, all inside one transaction. Times are ``timestamptz``; dicts ``jsonb``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

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

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_EPOCH = "timestamptz 'epoch' + {} * interval '1 microsecond'"
_MICROS = "(extract(epoch FROM {}) * 1000000)::bigint"
_EPOCH_DT = datetime(1970, 1, 1, tzinfo=UTC)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id bigint GENERATED ALWAYS AS IDENTITY,
    item_id text COLLATE "C" PRIMARY KEY CHECK (item_id <> ''),  -- bytes, like the event log's ids
    title text, description text, category text, brand text,
    price double precision CHECK (price IS NULL OR price >= 0),
    currency text, attributes jsonb, image text, created_at timestamptz,
    in_stock boolean NOT NULL DEFAULT true,
    row_hash bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id bigint GENERATED ALWAYS AS IDENTITY,
    user_id text COLLATE "C" PRIMARY KEY CHECK (user_id <> ''),  -- bytes, like the event log's ids
    attributes jsonb, created_at timestamptz,
    row_hash bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS rejects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id text NOT NULL, source text, "row" bigint, kind text, field text, value text, reason text
);
CREATE INDEX IF NOT EXISTS rejects_import ON rejects (import_id);
CREATE TABLE IF NOT EXISTS imports (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id text NOT NULL UNIQUE,
    report jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    model text NOT NULL, key text NOT NULL, vec bytea NOT NULL, PRIMARY KEY (model, key)
);
CREATE TABLE IF NOT EXISTS experiments (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, experiment_id text NOT NULL UNIQUE, doc jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS exposures (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    experiment_id text NOT NULL CHECK (experiment_id <> ''),
    variant text NOT NULL CHECK (variant <> ''),
    user_id text NOT NULL CHECK (user_id <> ''),
    recommendation_id text, model_version text,
    propensity double precision CHECK (propensity IS NULL OR (propensity > 0 AND propensity <= 1)),
    ts timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS exposures_experiment ON exposures (experiment_id);
CREATE INDEX IF NOT EXISTS exposures_user ON exposures (user_id);
CREATE TABLE IF NOT EXISTS bandits (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, bandit_id text NOT NULL UNIQUE, doc jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS bandit_stats (
    bandit_id text NOT NULL, arm text NOT NULL, stat text NOT NULL, value double precision NOT NULL,
    PRIMARY KEY (bandit_id, arm, stat)
);
CREATE TABLE IF NOT EXISTS decisions (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id text NOT NULL UNIQUE CHECK (decision_id <> ''),
    bandit_id text NOT NULL CHECK (bandit_id <> ''),
    user_id text NOT NULL CHECK (user_id <> ''),
    arm text NOT NULL CHECK (arm <> ''),
    propensity double precision NOT NULL CHECK (propensity > 0 AND propensity <= 1),
    context jsonb, reward double precision,
    ts timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_bandit ON decisions (bandit_id);
CREATE INDEX IF NOT EXISTS decisions_user ON decisions (user_id);
CREATE TABLE IF NOT EXISTS profiles (
    user_id text PRIMARY KEY, profile jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS segments (segment_id text PRIMARY KEY, ord bigint NOT NULL, body jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS segment_members (
    segment_id text NOT NULL, user_id text NOT NULL, PRIMARY KEY (segment_id, user_id)
);
CREATE INDEX IF NOT EXISTS segment_members_user ON segment_members (user_id);
CREATE TABLE IF NOT EXISTS customer_state (key text PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, campaign_id text NOT NULL UNIQUE, doc jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id text NOT NULL UNIQUE CHECK (delivery_id <> ''),
    campaign_id text NOT NULL CHECK (campaign_id <> ''),
    user_id text NOT NULL CHECK (user_id <> ''),
    variant text NOT NULL CHECK (variant <> ''),
    creative_id text, channel text, coupon_code text UNIQUE, recommendation_id text, model_version text,
    item_ids text,
    propensity double precision NOT NULL CHECK (propensity > 0 AND propensity <= 1),
    ts timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_campaign_user ON deliveries (campaign_id, user_id);
CREATE INDEX IF NOT EXISTS deliveries_user ON deliveries (user_id);
CREATE TABLE IF NOT EXISTS redemptions (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code <> ''),
    campaign_id text NOT NULL, user_id text NOT NULL, order_id text, spend double precision,
    discount double precision NOT NULL CHECK (discount >= 0),
    ts timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS redemptions_campaign_user ON redemptions (campaign_id, user_id);
CREATE TABLE IF NOT EXISTS documents (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, collection text NOT NULL, key text NOT NULL,
    doc jsonb NOT NULL, UNIQUE (collection, key)
);
CREATE TABLE IF NOT EXISTS api_keys (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key_id text NOT NULL UNIQUE, key_hash text NOT NULL UNIQUE,
    scopes text NOT NULL, name text, rate_limit double precision, created_us bigint NOT NULL, revoked_us bigint
);
"""

_API_KEY_COLUMNS = ", ".join(rec.API_KEY_COLUMNS)

#: The event log, partitioned by month of ``ts`` (UTC): one partition ``events_pYYYY_MM`` per calendar month, created
#: on demand by the write that first needs it (there is no default partition, so no row ever lands outside
#: its month). A partitioned table's unique constraints must include the partition key, so the primary key
#: is ``(seq, ts)`` and the dedupe keys live in their own unpartitioned table ``event_keys`` (one row per
#: stored event, deleted with it), which keeps "one event per ``event_id``" true across months.
#: ``user_id`` and ``item_id`` compare bytes (``COLLATE "C"``): ids have no language, and with a libc locale
#: such as C.UTF-8 every comparison went through strcoll (building their two indexes over 10M events took
#: 17.1 + 20.4 s with the database's collation, 9.2 + 8.9 s with "C"). Stores made before keep their columns.
#: Indexes: ``(seq, ts)`` (arrival order, ``after_seq``), ``(user_id, ts)`` (a user's history, erasure),
#: ``(item_id)`` (an item's events) and a BRIN index on ``ts`` (time ranges inside a month; tiny, as events
#: mostly arrive in time order).
_EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    dedupe_key bytea NOT NULL,
    event_id text,
    user_id text COLLATE "C" NOT NULL CHECK (user_id <> ''),
    item_id text COLLATE "C",
    type text NOT NULL CHECK (type <> ''),
    value double precision,
    ts timestamptz NOT NULL,
    session_id text,
    context jsonb,
    PRIMARY KEY (seq, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE IF NOT EXISTS event_keys (dedupe_key bytea PRIMARY KEY);
"""
#: The secondary indexes of the event log (declared on the parent: every partition gets them).
_EVENT_INDEXES = """
CREATE INDEX IF NOT EXISTS events_user_ts ON events (user_id, ts);
CREATE INDEX IF NOT EXISTS events_item ON events (item_id);
CREATE INDEX IF NOT EXISTS events_ts_brin ON events USING brin (ts);
"""
#: The months (first instant, UTC, in epoch microseconds) of the rows of a table with a ``ts_us`` column.
_MONTHS_OF = ("SELECT DISTINCT (extract(epoch FROM date_trunc('month', (timestamptz 'epoch' + ts_us * "
              "interval '1 microsecond') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') * 1000000)::bigint FROM {}")
#: The columns an event row is moved with when an unpartitioned event log is migrated.
_EVENT_TABLE_COLUMNS = "seq, dedupe_key, event_id, user_id, item_id, type, value, ts, session_id, context"

# Staging tables (one per write transaction, dropped at commit) and their column types.
_STAGE_ITEMS = ("ord bigint, item_id text, title text, description text, category text, brand text, "
                "price double precision, currency text, attributes text, image text, created_us bigint, "
                "in_stock boolean, row_hash bytea")
_STAGE_USERS = "ord bigint, user_id text, attributes text, created_us bigint, row_hash bytea"
_STAGE_EXPOSURES = ("ord bigint, experiment_id text, variant text, user_id text, recommendation_id text, "
                    "model_version text, propensity double precision, ts_us bigint")
_STAGE_DECISIONS = ("ord bigint, decision_id text, bandit_id text, user_id text, arm text, "
                    "propensity double precision, context text, reward double precision, ts_us bigint")
_STAGE_DELIVERIES = ("ord bigint, delivery_id text, campaign_id text, user_id text, variant text, creative_id text, "
                     "channel text, coupon_code text, recommendation_id text, model_version text, item_ids text, "
                     "propensity double precision, ts_us bigint")
_ADD_STAT = ("INSERT INTO bandit_stats (bandit_id, arm, stat, value) VALUES (%s, %s, %s, %s) "
             "ON CONFLICT (bandit_id, arm, stat) DO UPDATE SET value = bandit_stats.value + excluded.value")
_STAGE_EVENTS = ("ord bigint, dedupe_key bytea, event_id text, user_id text, item_id text, type text, "
                 "value double precision, ts_us bigint, session_id text, context text")

#: The epsilon ledger of differentially private releases (shopmind.privacy.dp).
_PRIVACY_SCHEMA = """
CREATE TABLE IF NOT EXISTS privacy_ledger (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, period text NOT NULL CHECK (period <> ''),
    query text NOT NULL, epsilon double precision NOT NULL CHECK (epsilon > 0), ts_us bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS privacy_ledger_period ON privacy_ledger (period);
"""


def _one_line(exc: BaseException) -> str:
    """A driver message (often several lines: ERROR, DETAIL, HINT) as one line for the CLI."""
    return " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def split_url(url: str) -> tuple[str, str | None]:
    """``(libpq URL, schema)``: our ``schema`` query parameter taken out of a ``postgresql://`` URL.

    >>> split_url("postgresql://localhost/test?schema=t1&sslmode=disable")
    ('postgresql://localhost/test?sslmode=disable', 't1')
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise StoreError(f"cannot open {url!r}: expected a postgresql://user@host:port/dbname URL")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is not None and not _SCHEMA_NAME.match(schema):
        raise StoreError(f"cannot open {url!r}: schema must be a plain SQL name (letters, digits, _), "
                         f"got {schema!r}")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


class PostgresStore(ContextManagedStore):
    """A :class:`~shopmind.storage.base.Store` in a PostgreSQL database (one connection, thread-safe).

    >>> store = PostgresStore("postgresql://postgres@127.0.0.1:5432/test?schema=demo")  # doctest: +SKIP
    """

    def __init__(self, url: str, connect_timeout: int = 10) -> None:
        self.url = url
        conninfo, self.schema = split_url(url)
        self._bulk = False  # inside bulk_load(): appends are copied under the event_keys lock (_copy_encoded_events)
        self._months: set[int] = set()  # months known to have their partition (epoch µs of the first instant)
        try:
            self._conn: psycopg.Connection[Any] | None = psycopg.connect(
                conninfo, autocommit=True, connect_timeout=connect_timeout)
            if self.schema:
                name = sql.Identifier(self.schema)
                self._conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
                self._conn.execute(sql.SQL("SET search_path TO {}").format(name))
            with self._conn.transaction():
                # one process at a time creates or migrates the tables of a schema
                self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('shopmind schema ' || "
                                   "current_schema()))")
                legacy = self._relkind("events") == "r"
                if legacy:
                    self._conn.execute("ALTER TABLE events RENAME TO events_unpartitioned")
                    self._conn.execute("ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey "
                                       "TO events_unpartitioned_pkey")
                self._conn.execute(_SCHEMA)
                self._conn.execute(_EVENTS_SCHEMA)
                self._conn.execute(_EVENT_INDEXES)
                self._conn.execute(_PRIVACY_SCHEMA)
                if legacy:
                    self._migrate_events()
        except psycopg.Error as exc:
            raise StoreError(f"cannot open PostgreSQL store {url!r}: {_one_line(exc)}") from exc
        self._lock = threading.RLock()
        logger.debug("opened %s", url)

    # ------------------------------------------------------------------ schema and partitions
    def _relkind(self, table: str) -> str | None:
        """``r`` (table), ``p`` (partitioned table) or None: what ``table`` is in the current schema."""
        row = self._c.execute("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)",
                              (table,)).fetchone()
        return None if row is None else str(row[0])

    def _migrate_events(self) -> None:
        """Move the event log of a store created before partitioning (one plain ``events`` table) into the
        monthly partitions, keeping every row, its ``seq`` and its dedupe key; runs once, on open, in the
        transaction that creates the new tables."""
        count = self._c.execute("SELECT count(*) FROM events_unpartitioned").fetchone()
        n = int(count[0]) if count else 0
        logger.warning("%s: moving %d events into monthly partitions (a store from before partitioning; "
                       "done once)", self.url, n)
        with self._c.cursor() as cur:
            stage = f"(SELECT {_MICROS.format('ts')} AS ts_us FROM events_unpartitioned) e"
            self._create_partitions(cur, [int(r[0]) for r in cur.execute(_MONTHS_OF.format(stage)).fetchall()])
            cur.execute(f"INSERT INTO events ({_EVENT_TABLE_COLUMNS}) OVERRIDING SYSTEM VALUE "
                        f"SELECT {_EVENT_TABLE_COLUMNS} FROM events_unpartitioned ORDER BY seq")
            cur.execute("INSERT INTO event_keys (dedupe_key) SELECT dedupe_key FROM events_unpartitioned "
                        "ON CONFLICT DO NOTHING")
            cur.execute("SELECT setval(pg_get_serial_sequence('events', 'seq'), "
                        "greatest((SELECT max(seq) FROM events_unpartitioned), 1), "
                        "(SELECT max(seq) FROM events_unpartitioned) IS NOT NULL)")
            cur.execute("DROP TABLE events_unpartitioned")

    def _create_partitions(self, cur: psycopg.Cursor[Any], months: Iterable[int]) -> list[int]:
        """Create the monthly partitions of these months (epoch µs of their first instant) unless they exist;
        returns the months this store had not seen yet (created now, or found made by another writer).
        Serialised by an advisory lock: two writers may need the same month."""
        todo = sorted(set(months) - self._months)
        if todo:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('shopmind partitions ' || current_schema()))")
        for month in todo:
            start = _EPOCH_DT + timedelta(microseconds=month)
            end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
            name = sql.Identifier(f"events_p{start.year:04d}_{start.month:02d}")
            cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF events FOR VALUES FROM ({}) TO ({})")
                        .format(name, sql.Literal(start.isoformat()), sql.Literal(end.isoformat())))
        return todo

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Load a large number of events faster: the secondary event indexes are dropped for the duration and
        built once at the end (one sort per index instead of one insertion per row). The dedupe keys and the
        primary key stay, so every append keeps its guarantees; readers meanwhile scan without those
        indexes, so use it for loads into a store that is not serving. Appends meanwhile are copied straight
        into the partitions under a lock on ``event_keys`` that holds other writers back until they commit
        (:meth:`_copy_encoded_events`)."""
        with self._lock:
            try:
                self._c.execute("DROP INDEX IF EXISTS events_user_ts, events_item, events_ts_brin")
            except psycopg.Error as exc:
                raise StoreError(f"preparing a bulk load of {self.url} failed: {_one_line(exc)}") from exc
            self._bulk = True
        try:
            yield
        finally:
            with self._lock:
                self._bulk = False
                try:
                    self._c.execute("SET maintenance_work_mem = '1GB'")  # each index sorted in memory
                    self._c.execute(_EVENT_INDEXES)
                    self._c.execute("RESET maintenance_work_mem")
                except psycopg.Error as exc:
                    raise StoreError(f"building the event indexes of {self.url} failed: {_one_line(exc)}; "
                                     "opening the store again builds them") from exc

    def analyze(self) -> None:
        """Refresh the planner's statistics of the catalog, users and events (every partition). Autovacuum
        never analyzes a partitioned parent, and without statistics a one-user history read was planned as
        a parallel scan with JIT (170 ms instead of 0.1 ms on 10M events): run this after a bulk load."""
        with self._lock:
            try:
                for table in ("items", "users", "events", "event_keys"):
                    self._c.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
            except psycopg.Error as exc:
                raise StoreError(f"analyzing {self.url} failed: {_one_line(exc)}") from exc

    def event_partitions(self) -> list[tuple[str, str]]:
        """The partitions of the event log, oldest first: ``(table name, bound)``, e.g.
        ``("events_p2024_05", "FOR VALUES FROM ('2024-05-01 00:00:00+00') TO ('2024-06-01 00:00:00+00')")``.
        (PostgreSQL only: the embedded store has one table.)"""
        rows = self._read("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                          "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('events') "
                          "ORDER BY c.relname")
        return [(str(r[0]), str(r[1])) for r in rows]

    # ------------------------------------------------------------------ plumbing
    @property
    def _c(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise StoreError(f"the store {self.url!r} is closed")
        return self._conn

    @contextmanager
    def _write(self, what: str) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction; any failure rolls everything back and raises StoreError."""
        with self._lock:
            try:
                with self._c.transaction(), self._c.cursor() as cur:
                    yield cur
            except psycopg.Error as exc:
                msg = f"{what} failed in {self.url}; nothing was written: {_one_line(exc)}"
                raise StoreError(msg) from exc

    def _read(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                with self._c.cursor() as cur:
                    return cur.execute(query, params).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"reading from {self.url} failed: {_one_line(exc)}") from exc

    @staticmethod
    def _stage(cur: psycopg.Cursor[Any], name: str, columns: str, chunks: Iterable[Sequence[tuple[Any, ...]]],
               numbered: bool = False) -> int:
        """COPY rows into a temporary table, each prefixed with its position unless ``numbered`` (the rows
        carry it already); returns the row count."""
        cur.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        n = 0
        with cur.copy(f"COPY {name} FROM STDIN") as copy:
            write = copy.write_row
            for chunk in chunks:
                if numbered:
                    for row in chunk:
                        write(row)
                    n += len(chunk)
                    continue
                for row in chunk:
                    write((n, *row))
                    n += 1
        return n

    # ------------------------------------------------------------------ items and users
    def _upsert(self, records: Records, kind: str) -> UpsertCounts:
        rows, collapsed = rec.encode_entities(records, kind)
        return self._upsert_rows(kind, rows, collapsed)

    def upsert_encoded_users(self, batch: rec.EncodedUsers) -> UpsertCounts:
        """:meth:`upsert_users` for users encoded beforehand (:func:`shopmind.storage.records.encode_user_batch`):
        the staging table is filled from the batch's COPY text, so a bulk loader's writer thread only sends
        bytes while the main thread encodes the next chunk."""
        return self._upsert_rows("user", batch.rows, batch.collapsed, copy_data=batch.copy_data)

    def _upsert_rows(self, kind: str, rows: list[tuple[Any, ...]], collapsed: int, *,
                     copy_data: bytes | None = None) -> UpsertCounts:
        table, columns, stage = (("items", ITEM_COLUMNS, _STAGE_ITEMS) if kind == "item"
                                 else ("users", USER_COLUMNS, _STAGE_USERS))
        cols = [*columns, "row_hash"]
        select = [_EPOCH.format("created_us") if c == "created_at" else
                  "attributes::jsonb" if c == "attributes" else c for c in cols]
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
        query = (f"INSERT INTO {table} ({', '.join(cols)}) "
                 f"SELECT {', '.join(select)} FROM _stage ORDER BY ord "
                 f"ON CONFLICT ({columns[0]}) DO UPDATE SET {sets} "
                 f"WHERE {table}.row_hash IS DISTINCT FROM excluded.row_hash RETURNING (xmax = 0)")
        with self._write(f"upserting {len(rows)} {table}") as cur:
            if copy_data is None:
                self._stage(cur, "_stage", stage, [rows])
            else:
                cur.execute(f"CREATE TEMP TABLE _stage ({stage}) ON COMMIT DROP")
                with cur.copy("COPY _stage FROM STDIN") as copy:
                    copy.write(copy_data)
            if self._bulk and rows:
                # a bulk load mostly brings new ids: a plain insert (no speculative insertion, nothing returned:
                # 28% less than the upsert for 40k new users beside 900k stored) in a savepoint; the upsert
                # below only when an id is stored already (the rows are distinct ids: collapsed above)
                try:
                    with self._c.transaction():
                        cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) "
                                    f"SELECT {', '.join(select)} FROM _stage ORDER BY ord")
                    return UpsertCounts(len(rows), 0, 0, collapsed)
                except psycopg.errors.UniqueViolation:
                    pass
            flags = [r[0] for r in cur.execute(query).fetchall()]
        inserted = sum(flags)
        return UpsertCounts(inserted, len(flags) - inserted, len(rows) - len(flags), collapsed)

    def _delete(self, ids: Iterable[str], kind: str) -> int:
        keys = [str(i) for i in ids]
        with self._write(f"deleting {kind}s") as cur:
            cur.execute(f"DELETE FROM {kind}s WHERE {kind}_id = ANY(%s)", (keys,))
            return max(cur.rowcount, 0)

    def _frame(self, kind: str, where: str = "", params: Sequence[Any] = ()) -> pd.DataFrame:
        columns = ITEM_COLUMNS if kind == "item" else USER_COLUMNS
        select = ", ".join(_MICROS.format(c) if c == "created_at" else c for c in columns)
        rows = self._read(f"SELECT {select} FROM {kind}s {where} ORDER BY id", params)
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
        return rec.entity_dict(self._frame("item", "WHERE item_id = %s", (str(item_id),)))

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        return rec.entity_dict(self._frame("user", "WHERE user_id = %s", (str(user_id),)))

    def items_frame(self) -> pd.DataFrame:
        return self._frame("item")

    def users_frame(self) -> pd.DataFrame:
        return self._frame("user")

    def user_ids(self) -> list[str]:
        return [r[0] for r in self._read("SELECT user_id FROM users ORDER BY id")]

    # ------------------------------------------------------------------ events
    def append_events(self, events: Records) -> AppendCounts:
        if self._bulk:  # the bulk path, encoded here rather than by a loader's main thread
            with rec.paused_gc():
                return self.append_encoded_events(rec.encode_event_batch(events))
        keys: set[bytes] = set()
        repeated = False

        def chunks() -> Iterator[list[tuple[Any, ...]]]:
            nonlocal repeated
            n = 0
            for chunk in rec.encode_events(events):
                if not repeated:
                    before = len(keys)
                    keys.update(row[0] for row in chunk)
                    repeated = len(keys) - before < len(chunk)
                yield [(i, *row) for i, row in enumerate(chunk, start=n)]
                n += len(chunk)

        def is_repeated() -> bool:
            keys.clear()
            return repeated

        with rec.paused_gc():
            return self._append_events(chunks(), is_repeated)

    def append_encoded_events(self, batch: rec.EncodedEvents) -> AppendCounts:
        """:meth:`append_events` for a batch encoded beforehand (:func:`shopmind.storage.records.encode_event_batch`):
        a bulk loader encodes the next batch in Python while PostgreSQL inserts this one. Inside
        :meth:`bulk_load` the batch is copied straight into the partitions (below)."""
        if self._bulk and batch.rows:
            return self._copy_encoded_events(batch)
        return self._append_events([batch.rows], lambda: batch.repeated)

    def _copy_encoded_events(self, batch: rec.EncodedEvents) -> AppendCounts:
        """A bulk load's batch without a staging table, under the ``event_keys`` lock: the batch's distinct
        keys are copied into ``event_keys`` in key order (in a savepoint); if none was stored before - the
        usual case - the events follow, copied straight into ``events`` (COPY's multi-row inserts: a third
        of ``INSERT ... SELECT``'s time per row). If one was (a unique violation), the savepoint is rolled
        back, the stored keys are looked up (one index probe each, in key order) and only the first event
        of each new key is copied, with its key. The COPY text was made with the batch, so this thread only
        sends bytes (the GIL stays with the thread encoding the next batch). The same events, order and
        counts as the claim of :meth:`append_events` (tests/contracts/test_stores.py)."""
        rows = batch.rows
        t0 = time.perf_counter()
        ts = np.fromiter((r[7] for r in rows), dtype=np.int64, count=len(rows)).astype("datetime64[us]")
        months = np.unique(ts.astype("datetime64[M]")).astype("datetime64[us]").astype(np.int64).tolist()
        with self._write("appending events") as cur:
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL TimeZone = 'UTC'")  # the COPY text's times are UTC without a zone
            self._create_partitions(cur, months)
            # no other writer can store one of these keys until this commits (readers are not blocked)
            cur.execute("LOCK TABLE event_keys IN SHARE ROW EXCLUSIVE MODE")
            stored: set[bytes] = set()
            try:
                with self._c.transaction(), cur.copy("COPY event_keys (dedupe_key) FROM STDIN") as copy:
                    copy.write(batch.keys_data)
                claimed = True
            except psycopg.errors.UniqueViolation:  # some are stored already (a re-import): find which
                claimed = False
                cur.execute("SET LOCAL enable_hashjoin = off")  # probes, not a hash of every stored key
                cur.execute("SET LOCAL enable_mergejoin = off")
                stored = {r[0] for r in cur.execute(  # the keys as one binary array parameter (4x text's speed)
                    "SELECT k.dedupe_key FROM unnest(%b::bytea[]) AS b(dedupe_key) "
                    "JOIN event_keys k ON k.dedupe_key = b.dedupe_key", (batch.sorted_keys,)).fetchall()}
            t1 = time.perf_counter()
            data, inserted = batch.copy_data, len(batch.sorted_keys)
            if stored or batch.repeated:  # the first of each key not stored yet
                seen = set(stored)
                keep: list[int] = []
                for i, r in enumerate(rows):
                    if r[1] not in seen:
                        seen.add(r[1])
                        keep.append(i)
                data, inserted = rec.copy_bytes([batch.copy_lines[i] for i in keep]), len(keep)
            if not claimed and inserted:
                new_keys = [k for k in batch.sorted_keys if k not in stored]
                with cur.copy("COPY event_keys (dedupe_key) FROM STDIN") as copy:
                    copy.write(rec.copy_bytes(rec.bytea_texts(new_keys)))
            t_events = time.perf_counter()
            if inserted:
                with cur.copy("COPY events (dedupe_key, event_id, user_id, item_id, type, value, ts, session_id, "
                              "context) FROM STDIN") as copy:
                    copy.write(data)
            t2 = time.perf_counter()
        self._months.update(months)
        logger.debug("copied %d events to %s (%d duplicates): %.2f s claiming keys%s, %.2f s copying the rest "
                     "of the keys, %.2f s copying events, %.2f s committing", inserted, self.url,
                     len(rows) - inserted, t1 - t0, "" if claimed else " (some were stored: looked up)",
                     t_events - t1, t2 - t_events, time.perf_counter() - t2)
        return AppendCounts(inserted, len(rows) - inserted)

    def _append_events(self, chunks: Iterable[list[tuple[Any, ...]]], is_repeated: Callable[[], bool]) -> AppendCounts:
        cols = list(rec.EVENT_ROW)
        select = [_EPOCH.format("ts_us") if c == "ts_us" else "context::jsonb" if c == "context" else c
                  for c in cols]
        target = ["ts" if c == "ts_us" else c for c in cols]
        t0 = time.perf_counter()
        with self._write("appending events") as cur:
            # the statements below gain nothing from JIT compilation (0.4 s of a 400k-event batch), and their
            # join and sort should stay in memory
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL work_mem = '64MB'")
            total = self._stage(cur, "_stage", _STAGE_EVENTS, chunks, numbered=True)
            repeated = is_repeated()
            t1 = time.perf_counter()
            months = [int(r[0]) for r in cur.execute(_MONTHS_OF.format("_stage")).fetchall()] if total else []
            self._create_partitions(cur, months)
            inserted = 0
            if total:
                # the keys not stored yet claim their row in event_keys; the first staged event of each is
                # stored (DISTINCT ON only when the batch repeats a key: a sort of the whole batch otherwise
                # saved). Safe beside concurrent writers without a lock: a key is claimed by one of them.
                claim = ("WITH new AS (INSERT INTO event_keys (dedupe_key) SELECT dedupe_key FROM _stage "
                         f"ON CONFLICT DO NOTHING RETURNING dedupe_key) INSERT INTO events ({', '.join(target)}) "
                         f"SELECT {', '.join(select)} FROM ")
                first_of_each = ("(SELECT DISTINCT ON (s.dedupe_key) s.* FROM _stage s JOIN new USING (dedupe_key) "
                                 "ORDER BY s.dedupe_key, s.ord) f ORDER BY ord")
                all_new = "_stage s JOIN new USING (dedupe_key) ORDER BY s.ord"
                inserted = max(cur.execute(claim + (first_of_each if repeated else all_new)).rowcount, 0)
            t2 = time.perf_counter()
        self._months.update(months)
        logger.debug("appended %d events to %s (%d duplicates): %.2f s encoding and copying, %.2f s inserting, "
                     "%.2f s committing", inserted, self.url, total - inserted, t1 - t0, t2 - t1,
                     time.perf_counter() - t2)
        return AppendCounts(inserted, total - inserted)

    def events_frame(self, *, after_seq: int | None = None, user_ids: Iterable[str] | None = None,
                     types: Iterable[str] | None = None) -> pd.DataFrame:
        where: list[str] = []
        params: list[Any] = []
        if after_seq is not None:
            where.append("seq > %s")
            params.append(int(after_seq))
        if user_ids is not None:
            where.append("user_id = ANY(%s)")
            params.append([str(u) for u in user_ids])
        if types is not None:
            where.append("type = ANY(%s)")
            params.append(sorted({str(t) for t in types}))
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        with rec.paused_gc():
            rows = self._read(f"SELECT seq, event_id, user_id, item_id, type, value, {_MICROS.format('ts')}, "
                              f"session_id, context FROM events {clause}ORDER BY seq", params)
            return rec.decode_events(rows)

    def event_chunks(self, *, exclude_types: Iterable[str] = (), chunk_rows: int = 100_000,
                     extra_columns: Iterable[str] = (), last: int | None = None) -> Iterator[pd.DataFrame]:
        rec.check_chunk_rows(chunk_rows)
        extras = rec.chunk_extras(extra_columns, last)
        excluded = sorted({str(t) for t in exclude_types})
        cols = ", ".join(["seq", "user_id", "item_id", "type", "value", _MICROS.format("ts"), *extras])
        where = "WHERE item_id IS NOT NULL AND NOT (type = ANY(%s))"
        params: tuple[Any, ...] = (excluded,)
        if last is None:
            query = f"SELECT {cols} FROM events {where} ORDER BY seq"
        else:  # the newest rows by the (seq, ts) index of each partition, then oldest first
            query = (f"SELECT * FROM (SELECT {cols} FROM events {where} ORDER BY seq DESC LIMIT %s) t "
                     "ORDER BY seq")
            params = (excluded, last)
        types: dict[str, str] = {}
        with self._lock:
            try:
                # a named (server-side) cursor lives in a transaction; rows cross the wire chunk by chunk
                with self._c.transaction(), self._c.cursor(name="shopmind_event_chunks") as cur:
                    cur.itersize = chunk_rows
                    cur.execute(query, params)
                    while rows := cur.fetchmany(chunk_rows):
                        with rec.paused_gc():
                            chunk = rec.event_chunk(rows, types, extras)
                        del rows
                        yield chunk
            except psycopg.Error as exc:
                raise StoreError(f"reading events from {self.url} failed: {_one_line(exc)}") from exc

    def item_event_counts(self, types: Iterable[str]) -> pd.DataFrame:
        wanted = sorted({str(t) for t in types})
        rows = self._read(f"SELECT item_id, type, count(*), max({_MICROS.format('ts')}) FROM events "
                          "WHERE item_id IS NOT NULL AND type = ANY(%s) GROUP BY item_id, type "
                          "ORDER BY item_id, type", (wanted,)) if wanted else []
        return rec.decode_item_event_counts(rows)

    def event_counts(self, bucket_seconds: int = 86_400) -> pd.DataFrame:
        width = rec.bucket_micros(bucket_seconds)
        micros = _MICROS.format("ts")
        rows = self._read(f"SELECT {micros} - mod(mod({micros}, %s) + %s, %s) AS b, type, count(*) FROM events "
                          "GROUP BY b, type ORDER BY b, type", (width, width, width))
        return rec.decode_event_counts(rows)

    # ------------------------------------------------------------------ quarantine and import log
    def add_rejects(self, import_id: str, rejects: Iterable[Reject | Mapping[str, Any]]) -> int:
        rows = rec.encode_rejects(str(import_id), list(rejects))
        cols = ", ".join(f'"{c}"' for c in REJECT_COLUMNS)
        with self._write(f"quarantining {len(rows)} rows") as cur, cur.copy(
                f"COPY rejects ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)

    def quarantine_frame(self, import_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE import_id = %s", (str(import_id),)) if import_id is not None else ("", ())
        cols = ", ".join(f'"{c}"' for c in REJECT_COLUMNS)
        rows = self._read(f"SELECT {cols} FROM rejects {where} ORDER BY id", params)
        return rec.decode_rejects(rows)

    def record_import(self, report: Mapping[str, Any]) -> None:
        import_id, text = rec.report_json(report)
        with self._write(f"recording import {import_id}") as cur:
            cur.execute("INSERT INTO imports (import_id, report) VALUES (%s, %s::jsonb) "
                        "ON CONFLICT (import_id) DO UPDATE SET report = excluded.report", (import_id, text))

    def list_imports(self, limit: int | None = None) -> list[dict[str, Any]]:
        if limit is None:
            rows = self._read("SELECT report FROM imports ORDER BY seq")
        else:
            rows = self._read("SELECT report FROM imports ORDER BY seq DESC LIMIT %s", (max(int(limit), 0),))[::-1]
        return rec.decode_json([r[0] for r in rows])

    # ------------------------------------------------------------------ embedding cache
    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        keys = list(dict.fromkeys(str(k) for k in keys))
        if not keys:
            return {}
        rows = self._read("SELECT key, vec FROM embeddings WHERE model = %s AND key = ANY(%s)", (str(model), keys))
        return {k: np.frombuffer(bytes(v), dtype=np.float32).copy() for k, v in rows}

    def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> int:
        rows = [(str(model), str(k), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for k, v in vectors.items()]
        if not rows:
            return 0
        with self._write(f"caching {len(rows)} embeddings") as cur:
            cur.executemany("INSERT INTO embeddings (model, key, vec) VALUES (%s, %s, %s) "
                            "ON CONFLICT (model, key) DO UPDATE SET vec = excluded.vec", rows)
        return len(rows)

    # ------------------------------------------------------------------ experiments and exposures
    def _put_doc(self, table: str, key: str, doc: Mapping[str, Any], what: str) -> None:
        ident, text = mrows.document_json(doc, key, what)
        with self._write(f"storing {what} {ident}") as cur:
            cur.execute(f"INSERT INTO {table} ({key}, doc) VALUES (%s, %s::jsonb) "
                        f"ON CONFLICT ({key}) DO UPDATE SET doc = excluded.doc", (ident, text))

    def _get_doc(self, table: str, key: str, ident: str) -> dict[str, Any] | None:
        rows = self._read(f"SELECT doc::text FROM {table} WHERE {key} = %s", (str(ident),))
        return rec.decode_json([rows[0][0]])[0] if rows else None

    def _list_docs(self, table: str) -> list[dict[str, Any]]:
        return rec.decode_json([r[0] for r in self._read(f"SELECT doc::text FROM {table} ORDER BY seq")])

    def _delete_of_users(self, table: str, user_ids: Iterable[str]) -> int:
        keys = [str(u) for u in user_ids]
        with self._write(f"deleting the {table} of {len(keys)} users") as cur:
            cur.execute(f"DELETE FROM {table} WHERE user_id = ANY(%s)", (keys,))
            return max(cur.rowcount, 0)

    def _append(self, table: str, stage: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
                what: str) -> int:
        target = ["ts" if c == "timestamp" else c for c in columns]
        select = [_EPOCH.format("ts_us") if c == "timestamp" else "context::jsonb" if c == "context" else c
                  for c in columns]
        with self._write(f"logging {len(rows)} {what}") as cur:
            self._stage(cur, "_stage", stage, [rows])
            cur.execute(f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(select)} FROM _stage "
                        "ORDER BY ord")
        return len(rows)

    def _select(self, table: str, columns: tuple[str, ...], where: str, params: Sequence[Any]) -> list[Any]:
        cols = ", ".join(_MICROS.format("ts") if c == "timestamp" else "context::text" if c == "context" else c
                         for c in columns)
        return self._read(f"SELECT seq, {cols} FROM {table} {where} ORDER BY seq", params)

    def put_experiment(self, doc: Mapping[str, Any]) -> None:
        self._put_doc("experiments", "experiment_id", doc, "experiment")

    def get_experiment(self, experiment_id: str) -> dict[str, Any] | None:
        return self._get_doc("experiments", "experiment_id", experiment_id)

    def list_experiments(self) -> list[dict[str, Any]]:
        return self._list_docs("experiments")

    def log_exposures(self, exposures: Records) -> int:
        return self._append("exposures", _STAGE_EXPOSURES, EXPOSURE_COLUMNS, mrows.encode_exposures(exposures),
                            "exposures")

    def exposures_frame(self, experiment_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE experiment_id = %s", (str(experiment_id),)) if experiment_id is not None else ("", ())
        with rec.paused_gc():
            return mrows.decode_exposures(self._select("exposures", EXPOSURE_COLUMNS, where, params))

    def delete_user_exposures(self, user_ids: Iterable[str]) -> int:
        return self._delete_of_users("exposures", user_ids)

    # ------------------------------------------------------------------ campaigns, deliveries, redemptions
    def put_campaign(self, doc: Mapping[str, Any]) -> None:
        self._put_doc("campaigns", "campaign_id", doc, "campaign")

    def get_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        return self._get_doc("campaigns", "campaign_id", campaign_id)

    def list_campaigns(self) -> list[dict[str, Any]]:
        return self._list_docs("campaigns")

    def log_deliveries(self, deliveries: Records) -> int:
        return self._append("deliveries", _STAGE_DELIVERIES, DELIVERY_COLUMNS, mrows.encode_deliveries(deliveries),
                            "deliveries")

    def deliveries_frame(self, campaign_id: str | None = None, *, user_id: str | None = None) -> pd.DataFrame:
        conds = [(c, str(v)) for c, v in (("campaign_id", campaign_id), ("user_id", user_id)) if v is not None]
        where = ("WHERE " + " AND ".join(f"{c} = %s" for c, _ in conds)) if conds else ""
        with rec.paused_gc():
            return mrows.decode_deliveries(self._select("deliveries", DELIVERY_COLUMNS, where,
                                                        [v for _, v in conds]))

    def coupon_delivery(self, code: str) -> dict[str, Any] | None:
        rows = self._select("deliveries", DELIVERY_COLUMNS, "WHERE coupon_code = %s", (str(code),))
        return mrows.first_row(mrows.decode_deliveries(rows))

    def redeem_coupon(self, redemption: Mapping[str, Any], *, budget: float | None = None,
                      per_user_cap: int | None = None) -> str | None:
        row = mrows.encode_redemption(redemption)
        code, campaign, user, discount = row[0], row[1], row[2], float(row[5])
        cols = ["ts" if c == "timestamp" else c for c in REDEMPTION_COLUMNS]
        values = ["timestamptz 'epoch' + %s * interval '1 microsecond'" if c == "timestamp" else "%s"
                  for c in REDEMPTION_COLUMNS]
        with self._write(f"redeeming coupon {code}") as cur:
            # one campaign's redemptions are checked and written one transaction at a time
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"redeem:{campaign}",))
            used = cur.execute("SELECT 1 FROM redemptions WHERE code = %s", (code,)).fetchone() is not None
            spent_row = cur.execute("SELECT coalesce(sum(discount), 0) FROM redemptions WHERE campaign_id = %s",
                                    (campaign,)).fetchone()
            mine_row = cur.execute("SELECT count(*) FROM redemptions WHERE campaign_id = %s AND user_id = %s",
                                   (campaign, user)).fetchone()
            reason = mrows.refusal(used, float(spent_row[0]) if spent_row else 0.0, discount, budget,
                                   int(mine_row[0]) if mine_row else 0, per_user_cap)
            if reason is None:
                cur.execute(f"INSERT INTO redemptions ({', '.join(cols)}) VALUES ({', '.join(values)})", row)
        return reason

    def redemptions_frame(self, campaign_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE campaign_id = %s", (str(campaign_id),)) if campaign_id is not None else ("", ())
        return mrows.decode_redemptions(self._select("redemptions", REDEMPTION_COLUMNS, where, params))

    def delete_user_deliveries(self, user_ids: Iterable[str]) -> int:
        keys = list(user_ids)
        return self._delete_of_users("deliveries", keys) + self._delete_of_users("redemptions", keys)

    # ------------------------------------------------------------------ bandits
    def put_bandit(self, doc: Mapping[str, Any]) -> None:
        self._put_doc("bandits", "bandit_id", doc, "bandit")

    def get_bandit(self, bandit_id: str) -> dict[str, Any] | None:
        return self._get_doc("bandits", "bandit_id", bandit_id)

    def list_bandits(self) -> list[dict[str, Any]]:
        return self._list_docs("bandits")

    def add_bandit_stats(self, bandit_id: str, deltas: Iterable[tuple[str, str, float]]) -> None:
        rows = mrows.increments(bandit_id, deltas)
        with self._write(f"updating bandit {bandit_id}") as cur:
            cur.executemany(_ADD_STAT, rows)

    def bandit_stats(self, bandit_id: str) -> dict[str, dict[str, float]]:
        return mrows.stats_dict(self._read("SELECT arm, stat, value FROM bandit_stats WHERE bandit_id = %s "
                                           "ORDER BY arm COLLATE \"C\", stat COLLATE \"C\"", (str(bandit_id),)))

    def log_decisions(self, decisions: Records) -> int:
        return self._append("decisions", _STAGE_DECISIONS, DECISION_COLUMNS, mrows.encode_decisions(decisions),
                            "bandit decisions")

    def reward_decision(self, decision_id: str, reward: float, deltas: Iterable[tuple[str, str, float]]) -> bool:
        with self._write(f"rewarding decision {decision_id}") as cur:
            row = cur.execute("UPDATE decisions SET reward = %s WHERE decision_id = %s AND reward IS NULL "
                              "RETURNING bandit_id", (float(reward), str(decision_id))).fetchone()
            if row is None:
                return False
            cur.executemany(_ADD_STAT, mrows.increments(row[0], deltas))
        return True

    def get_decision(self, decision_id: str) -> dict[str, Any] | None:
        rows = self._select("decisions", DECISION_COLUMNS, "WHERE decision_id = %s", (str(decision_id),))
        return mrows.first_row(mrows.decode_decisions(rows))

    def decisions_frame(self, bandit_id: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE bandit_id = %s", (str(bandit_id),)) if bandit_id is not None else ("", ())
        with rec.paused_gc():
            return mrows.decode_decisions(self._select("decisions", DECISION_COLUMNS, where, params))

    def delete_user_decisions(self, user_ids: Iterable[str]) -> int:
        return self._delete_of_users("decisions", user_ids)

    # ------------------------------------------------------------------ customer profiles and segments
    def put_profiles(self, profiles: Mapping[str, Mapping[str, Any]]) -> int:
        rows = [(str(u), rec.document_json(p, "profile")) for u, p in profiles.items()]
        with self._write(f"storing {len(rows)} profiles") as cur:
            self._stage(cur, "_stage", "ord bigint, user_id text, profile text", [rows])
            cur.execute("INSERT INTO profiles (user_id, profile, updated_at) "
                        "SELECT DISTINCT ON (user_id) user_id, profile::jsonb, now() FROM _stage "
                        "ORDER BY user_id, ord DESC "
                        "ON CONFLICT (user_id) DO UPDATE SET profile = excluded.profile, updated_at = now()")
        return len(rows)

    def get_profile(self, user_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT profile FROM profiles WHERE user_id = %s", (str(user_id),))
        return rec.decode_json([rows[0][0]])[0] if rows else None

    def profiles_frame(self) -> pd.DataFrame:
        with rec.paused_gc():
            rows = self._read(f"SELECT user_id, profile::text, {_MICROS.format('updated_at')} FROM profiles "
                              "ORDER BY user_id COLLATE \"C\"")
            users, docs, times = rec.transpose(rows, 3)
            return pd.DataFrame({"user_id": pd.Series(users, dtype=object),
                                 "profile": pd.Series(rec.decode_json(docs), dtype=object),
                                 "updated_at": rec.decode_micros(times)})

    def put_segments(self, segments: Sequence[Mapping[str, Any]]) -> int:
        rows = rec.segment_rows(segments)
        with self._write(f"storing {len(rows)} segments") as cur:
            cur.execute("DELETE FROM segments")
            cur.executemany("INSERT INTO segments (segment_id, ord, body) VALUES (%s, %s, %s::jsonb)", rows)
            cur.execute("DELETE FROM segment_members WHERE segment_id NOT IN (SELECT segment_id FROM segments)")
        return len(rows)

    def list_segments(self) -> list[dict[str, Any]]:
        return rec.decode_json([r[0] for r in self._read("SELECT body::text FROM segments ORDER BY ord")])

    def put_memberships(self, memberships: Mapping[str, Sequence[str]]) -> int:
        users, pairs = rec.membership_rows(memberships)
        with self._write(f"storing the segments of {len(users)} users") as cur:
            cur.execute("DELETE FROM segment_members WHERE user_id = ANY(%s)", (users,))
            self._stage(cur, "_stage", "ord bigint, segment_id text, user_id text", [pairs])
            cur.execute("INSERT INTO segment_members (segment_id, user_id) SELECT segment_id, user_id FROM _stage "
                        "ON CONFLICT DO NOTHING")
        return len(pairs)

    def segment_users(self, segment_id: str, limit: int = 100, offset: int = 0) -> list[str]:
        rows = self._read("SELECT user_id FROM segment_members WHERE segment_id = %s ORDER BY user_id COLLATE \"C\" "
                          "LIMIT %s OFFSET %s", (str(segment_id), int(limit), int(offset)))
        return [r[0] for r in rows]

    def get_customer_state(self, key: str) -> bytes | None:
        rows = self._read("SELECT value FROM customer_state WHERE key = %s", (str(key),))
        return bytes(rows[0][0]) if rows else None

    def put_customer_state(self, key: str, value: bytes) -> None:
        with self._write(f"storing customer state {key!r}") as cur:
            cur.execute("INSERT INTO customer_state (key, value) VALUES (%s, %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(key), bytes(value)))

    # ------------------------------------------------------------------ API keys
    def put_api_key(self, key: Mapping[str, Any]) -> None:
        row = rec.api_key_row(key)
        with self._write(f"storing API key {row[0]!r}") as cur:
            cur.execute(f"INSERT INTO api_keys ({_API_KEY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)", row)

    def find_api_key(self, key_hash: str) -> dict[str, Any] | None:
        rows = self._read(f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE key_hash = %s", (str(key_hash),))
        return rec.api_key_out(rows[0]) if rows else None

    def list_api_keys(self) -> list[dict[str, Any]]:
        rows = self._read(f"SELECT {_API_KEY_COLUMNS} FROM api_keys ORDER BY seq")
        return [rec.api_key_out(r, with_hash=False) for r in rows]

    def revoke_api_key(self, key_id: str) -> bool:
        with self._write(f"revoking API key {key_id!r}") as cur:
            cur.execute("UPDATE api_keys SET revoked_us = %s WHERE key_id = %s AND revoked_us IS NULL",
                        (int(pd.Timestamp.now(tz="UTC").value // 1000), str(key_id)))
            return bool(cur.rowcount and cur.rowcount > 0)

    # ------------------------------------------------------------------ documents
    def put_documents(self, collection: str, documents: Mapping[str, Mapping[str, Any]]) -> int:
        rows = [(str(collection), str(k), json.dumps(dict(v), ensure_ascii=False, default=str))
                for k, v in documents.items()]
        if not rows:
            return 0
        with self._write(f"storing {len(rows)} {collection} documents") as cur:
            cur.executemany("INSERT INTO documents (collection, key, doc) VALUES (%s, %s, %s::jsonb) "
                            "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc", rows)
        return len(rows)

    def get_document(self, collection: str, key: str) -> dict[str, Any] | None:
        rows = self._read("SELECT doc::text FROM documents WHERE collection = %s AND key = %s",
                          (str(collection), str(key)))
        return dict(json.loads(rows[0][0])) if rows else None

    def list_documents(self, collection: str) -> list[str]:
        return [r[0] for r in self._read("SELECT key FROM documents WHERE collection = %s ORDER BY seq",
                                         (str(collection),))]

    def read_documents(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return [(r[0], dict(json.loads(r[1]))) for r in self._read(
            "SELECT key, doc::text FROM documents WHERE collection = %s ORDER BY seq", (str(collection),))]

    def delete_documents(self, collection: str, keys: Iterable[str] | None = None) -> int:
        with self._write(f"deleting {collection} documents") as cur:
            if keys is None:
                cur.execute("DELETE FROM documents WHERE collection = %s", (str(collection),))
                return max(cur.rowcount, 0)
            n = 0
            for k in keys:
                cur.execute("DELETE FROM documents WHERE collection = %s AND key = %s", (str(collection), str(k)))
                n += max(cur.rowcount, 0)
            return n

    # ------------------------------------------------------------------ one user's data (access, erasure)
    #: kind -> (table, selected columns in ``rec.PERSONAL_COLUMNS`` order, condition on the user id, order)
    _PERSONAL: ClassVar[dict[str, tuple[str, str, str, str]]] = {
        "users": ("users", f"user_id, attributes::text, {_MICROS.format('created_at')}", "user_id = %s", "id"),
        "events": ("events", f"seq, event_id, user_id, item_id, type, value, {_MICROS.format('ts')}, session_id, "
                   "context::text", "user_id = %s", "seq"),
        # every rejected field of a file row in which the user id was a rejected value
        "quarantine_rows": ("rejects", 'import_id, source, "row", kind, field, value, reason',
                            "id IN (SELECT r.id FROM rejects r JOIN rejects m ON r.import_id = m.import_id "
                            'AND r."row" IS NOT DISTINCT FROM m."row" AND r.source IS NOT DISTINCT FROM m.source '
                            "AND r.kind IS NOT DISTINCT FROM m.kind WHERE m.value = %s)", "id"),
        "exposures": ("exposures", "experiment_id, variant, user_id, recommendation_id, model_version, propensity, "
                      f"{_MICROS.format('ts')}", "user_id = %s", "seq"),
        "decisions": ("decisions", "decision_id, bandit_id, user_id, arm, propensity, context::text, reward, "
                      f"{_MICROS.format('ts')}", "user_id = %s", "seq"),
        "profiles": ("profiles", f"user_id, profile::text, {_MICROS.format('updated_at')}", "user_id = %s",
                     "user_id"),
        "segment_memberships": ("segment_members", "segment_id, user_id", "user_id = %s", "segment_id"),
        "deliveries": ("deliveries", "delivery_id, campaign_id, user_id, variant, creative_id, channel, coupon_code, "
                       f"recommendation_id, model_version, item_ids, propensity, {_MICROS.format('ts')}",
                       "user_id = %s", "seq"),
        "redemptions": ("redemptions", f"code, campaign_id, user_id, order_id, spend, discount, {_MICROS.format('ts')}",
                        "user_id = %s", "seq"),
    }

    def user_data(self, user_id: str) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for kind, (table, cols, where, order) in self._PERSONAL.items():
            rows = self._read(f"SELECT {cols} FROM {table} WHERE {where} ORDER BY {order}", (str(user_id),))
            out[kind] = rec.personal_dicts(kind, rows)
        return out

    def erase_user(self, user_id: str) -> dict[str, int]:
        deleted: dict[str, int] = {}
        with self._write(f"erasing user {user_id!r}") as cur:
            # the dedupe keys go with the events: the same event may be stored again later
            cur.execute("DELETE FROM event_keys WHERE dedupe_key IN (SELECT dedupe_key FROM events "
                        "WHERE user_id = %s)", (str(user_id),))
            for kind, (table, _cols, where, _order) in self._PERSONAL.items():
                cur.execute(f"DELETE FROM {table} WHERE {where}", (str(user_id),))
                deleted[kind] = max(cur.rowcount, 0)
        return deleted
    # ------------------------------------------------------------------ privacy ledger
    def spend_privacy(self, period: str, query: str, epsilon: float, budget: float) -> bool:
        with self._write(f"spending epsilon {epsilon} on {query!r}") as cur:
            # one spender per period at a time: the check and the insert must see the same total
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"privacy_ledger:{period}",))
            row = cur.execute("SELECT coalesce(sum(epsilon), 0) FROM privacy_ledger WHERE period = %s",
                              (str(period),)).fetchone()
            if not privacy_fits(float(row[0]) if row else 0.0, epsilon, budget):
                return False
            cur.execute("INSERT INTO privacy_ledger (period, query, epsilon, ts_us) VALUES (%s, %s, %s, %s)",
                        (str(period), str(query), float(epsilon), now_us()))
        return True

    def privacy_spends(self, period: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE period = %s", (str(period),)) if period is not None else ("", ())
        return privacy_frame(self._read("SELECT seq, period, query, epsilon, ts_us FROM privacy_ledger "
                                        f"{where} ORDER BY seq", params))

    # ------------------------------------------------------------------ the rest
    def counts(self) -> dict[str, int]:
        tables = ("items", "users", "events", "rejects", "imports")
        query = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
        return {t: int(n) for t, n in zip(tables, self._read(query)[0], strict=True)}

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

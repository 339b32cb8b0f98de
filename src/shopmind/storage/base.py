"""The storage contract: a few small protocols every backend honours.

A store keeps four things, each behind its own small protocol so that a caller can ask for exactly what it
uses (the training export needs :class:`EventLog` and the two entity stores, the REST API needs
:class:`ItemStore` to look items up, and so on):

- :class:`ItemStore` / :class:`UserStore`: the catalog and the shoppers, upserted by id;
- :class:`EventLog`: behaviour events, append-only, deduplicated, read back in arrival order;
- :class:`ImportLog`: quarantined rows and one report per import;
- :class:`EmbeddingCache`: text embeddings by encoder and text hash;
- :class:`ExperimentStore`: experiment definitions and the exposure log;
- :class:`BanditStore`: bandit definitions, their additive statistics and the decision log.
- :class:`CampaignStore`: campaign definitions, the delivery log and coupon redemptions (budget-checked).
- :class:`CustomerStore`: computed customer profiles, segments and their members, and the refresh job's state.
- :class:`PrivacyLedger`: the epsilon spent on differentially private releases, per budget period.

:class:`Store` is all of them plus ``counts`` and ``close``. Backends live in
:mod:`shopmind.storage.sqlite` and :mod:`shopmind.storage.postgres`; open one with
:func:`shopmind.storage.open_store`.

Every write method is one transaction: it either stores the whole batch or raises
:class:`~shopmind.errors.StoreError` and stores nothing. Stores expect *validated* records (the importer in
:mod:`shopmind.ingest` turns raw files into them); they only enforce the constraints that protect the data
(ids present, prices not negative, event type and time present).

Timestamps are stored as UTC instants and come back as tz-aware UTC pandas datetimes
(``datetime64[us, UTC]``); naive datetimes handed to a store are taken as UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Protocol, Self, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd

from shopmind.data.loaders.base import Reject

#: What the write methods accept: a canonical frame or a sequence of records with the same keys.
Records: TypeAlias = pd.DataFrame | Sequence[Mapping[str, Any]]

#: Columns of :meth:`ImportLog.quarantine_frame` (``source`` is the file the row came from).
REJECT_COLUMNS = ("import_id", "source", "row", "kind", "field", "value", "reason")
#: Columns of :meth:`ExperimentStore.exposures_frame`: who saw which variant, when, through which recommendation
#: and model version, and the probability that the assignment gave that variant (for off-policy evaluation).
EXPOSURE_COLUMNS = ("experiment_id", "variant", "user_id", "recommendation_id", "model_version", "propensity",
                    "timestamp")
#: Columns of :meth:`BanditStore.decisions_frame`: one bandit choice, its propensity and (once known) reward.
DECISION_COLUMNS = ("decision_id", "bandit_id", "user_id", "arm", "propensity", "context", "reward", "timestamp")
#: Columns of :meth:`CampaignStore.deliveries_frame`: what a campaign delivered to whom (or held out: variant
#: ``control``), with which creative, coupon code and items, and the probability of that variant and creative.
DELIVERY_COLUMNS = ("delivery_id", "campaign_id", "user_id", "variant", "creative_id", "channel", "coupon_code",
                    "recommendation_id", "model_version", "item_ids", "propensity", "timestamp")
#: Columns of :meth:`CampaignStore.redemptions_frame`: one accepted coupon redemption.
REDEMPTION_COLUMNS = ("code", "campaign_id", "user_id", "order_id", "spend", "discount", "timestamp")
#: Columns of the frames :meth:`EventLog.event_chunks` yields.
EVENT_CHUNK_COLUMNS = ("seq", "user_id", "item_id", "type", "value", "ts_us")
#: Columns :meth:`EventLog.event_chunks` can add to ``EVENT_CHUNK_COLUMNS`` (``extra_columns``), in this order;
#: ``dedupe_key`` is the event's stored identity (:func:`shopmind.storage.records.event_key`, 16 bytes).
EVENT_CHUNK_EXTRA_COLUMNS = ("event_id", "session_id", "dedupe_key")
#: Columns of :meth:`EventLog.event_counts`.
EVENT_COUNT_COLUMNS = ("start", "type", "count")
#: Columns of :meth:`EventLog.item_event_counts`.
ITEM_EVENT_COUNT_COLUMNS = ("item_id", "type", "count", "max_ts_us")
#: What :meth:`PersonalData.erase_user` deletes and :meth:`PersonalData.user_data` returns, one key per kind of
#: row that names a user: the user row, events, quarantined rows, experiment exposures, bandit decisions, the
#: customer profile and segment memberships, campaign deliveries and coupon redemptions.
PERSONAL_DATA_KINDS = ("users", "events", "quarantine_rows", "exposures", "decisions", "profiles",
                       "segment_memberships", "deliveries", "redemptions")
#: Columns of :meth:`PrivacyLedger.privacy_spends`: one differentially private release and its epsilon.
PRIVACY_SPEND_COLUMNS = ("period", "query", "epsilon", "timestamp")


@dataclass(frozen=True)
class UpsertCounts:
    """What an item/user upsert did, counted over the *distinct* ids of the batch.

    ``unchanged`` ids already existed with exactly the same content. When an id occurs several times in
    one batch the last occurrence wins and the earlier ones count as ``collapsed``.
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    collapsed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class AppendCounts:
    """What an event append did: rows newly stored and rows skipped as duplicates.

    A duplicate has the same ``event_id`` as a stored event or, when it has no ``event_id``, the same
    ``(user_id, item_id, type, value, timestamp, session_id)`` - within the batch or against the store.
    """

    inserted: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@runtime_checkable
class ItemStore(Protocol):
    """The catalog, keyed by ``item_id``.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.upsert_items([{"item_id": "sku-1", "title": "Tea", "price": 4.5}])
    UpsertCounts(inserted=1, updated=0, unchanged=0, collapsed=0)
    >>> store.get_item("sku-1")["title"]
    'Tea'
    """

    def upsert_items(self, items: Records) -> UpsertCounts:
        """Insert new items and replace the stored content of known ones (columns ``ITEM_COLUMNS``)."""
        ...

    def delete_items(self, item_ids: Iterable[str]) -> int:
        """Delete items by id; returns how many existed. Their events stay in the event log."""
        ...

    def get_item(self, item_id: str) -> dict[str, Any] | None:
        """One item as a dict with every ``ITEM_COLUMNS`` key, or None if unknown."""
        ...

    def items_frame(self) -> pd.DataFrame:
        """All items, columns ``ITEM_COLUMNS``, in the order they were first stored."""
        ...


@runtime_checkable
class UserStore(Protocol):
    """The shoppers, keyed by ``user_id`` (same semantics as :class:`ItemStore`)."""

    def upsert_users(self, users: Records) -> UpsertCounts:
        """Insert new users and replace the stored content of known ones (columns ``USER_COLUMNS``)."""
        ...

    def delete_users(self, user_ids: Iterable[str]) -> int:
        """Delete users by id; returns how many existed. Their events stay in the event log."""
        ...

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        """One user as a dict with every ``USER_COLUMNS`` key, or None if unknown."""
        ...

    def users_frame(self) -> pd.DataFrame:
        """All users, columns ``USER_COLUMNS``, in the order they were first stored."""
        ...

    def user_ids(self) -> list[str]:
        """Every user id, in the order they were first stored (no attributes: cheap at millions of users)."""
        ...


@runtime_checkable
class EventLog(Protocol):
    """Append-only behaviour events.

    >>> import pandas as pd
    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.append_events([{"event_id": "e1", "user_id": "u1", "item_id": "sku-1", "type": "view",
    ...                       "timestamp": pd.Timestamp("2024-05-01 10:00", tz="UTC")}])
    AppendCounts(inserted=1, duplicates=0)
    """

    def append_events(self, events: Records) -> AppendCounts:
        """Append events (columns ``EVENT_COLUMNS``), skipping duplicates; arrival order is kept."""
        ...

    def events_frame(self, *, after_seq: int | None = None, user_ids: Iterable[str] | None = None,
                     types: Iterable[str] | None = None) -> pd.DataFrame:
        """Events in arrival order: ``EVENT_COLUMNS`` plus ``seq``, the arrival sequence number. All of them, or
        only those with ``seq > after_seq`` and/or of the users in ``user_ids`` and/or of the event ``types``
        (filtered by the database: only matching rows are read out)."""
        ...

    def event_chunks(self, *, exclude_types: Iterable[str] = (), chunk_rows: int = 100_000,
                     extra_columns: Iterable[str] = (), last: int | None = None) -> Iterator[pd.DataFrame]:
        """The events that name an item, in arrival order, as frames of at most ``chunk_rows`` rows with the
        columns ``EVENT_CHUNK_COLUMNS`` (``ts_us``: epoch microseconds, int64; ``value`` float64, NaN when
        missing), skipping the event types in ``exclude_types`` (filtered by the database). Rows are read with
        a server-side cursor, so memory stays bounded by one chunk however large the log: what the training
        view (:func:`shopmind.storage.load_interactions`) and the serving state
        (:meth:`shopmind.pipeline.state.LiveState.from_store`) are built from.

        ``extra_columns`` (some of ``EVENT_CHUNK_EXTRA_COLUMNS``, object columns with None when missing) are
        added after those; with ``last`` only the ``last`` most recent such events are read (still oldest
        first)."""
        ...

    def item_event_counts(self, types: Iterable[str]) -> pd.DataFrame:
        """Events that name an item, of the event ``types``, counted per item and type by the database (no
        event row is read out): ``ITEM_EVENT_COUNT_COLUMNS`` (``max_ts_us``: the latest event time, epoch
        microseconds), ordered by ``item_id`` then ``type``."""
        ...

    def event_counts(self, bucket_seconds: int = 86_400) -> pd.DataFrame:
        """Events per event type and time bucket, counted by the database (no event row is read out):
        ``EVENT_COUNT_COLUMNS``, ``start`` the bucket's first instant (UTC; buckets are aligned to the epoch),
        ordered by ``start`` then ``type``."""
        ...


@runtime_checkable
class ImportLog(Protocol):
    """Quarantined rows and import reports."""

    def add_rejects(self, import_id: str, rejects: Iterable[Reject | Mapping[str, Any]]) -> int:
        """Quarantine rejected rows under ``import_id``; returns how many were stored."""
        ...

    def quarantine_frame(self, import_id: str | None = None) -> pd.DataFrame:
        """Quarantined rows (``REJECT_COLUMNS``) in the order they were added, optionally of one import."""
        ...

    def record_import(self, report: Mapping[str, Any]) -> None:
        """Store an import report (a JSON-able mapping with an ``import_id`` key; re-recording replaces)."""
        ...

    def list_imports(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Recorded import reports, oldest first: every one, or the newest ``limit``."""
        ...


@runtime_checkable
class EmbeddingCache(Protocol):
    """Text embeddings by (encoder model name, key); the key is a hash of the text (see
    :func:`shopmind.text.cache.text_key`), so an unchanged text is never encoded twice."""

    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached float32 vectors of those ``keys`` that are present."""
        ...

    def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> int:
        """Store (or replace) vectors by key; returns how many were written."""
        ...


@runtime_checkable
class ExperimentStore(Protocol):
    """Experiment definitions (JSON documents keyed by ``experiment_id``) and the append-only exposure log.

    >>> import pandas as pd
    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.put_experiment({"experiment_id": "e1", "surface": "home"})
    >>> store.log_exposures([{"experiment_id": "e1", "variant": "control", "user_id": "u1",
    ...                       "timestamp": pd.Timestamp("2024-05-01", tz="UTC")}])
    1
    """

    def put_experiment(self, doc: Mapping[str, Any]) -> None:
        """Store or replace an experiment document (a JSON-able dict with an ``experiment_id``)."""
        ...

    def get_experiment(self, experiment_id: str) -> dict[str, Any] | None:
        """One experiment document, or None."""
        ...

    def list_experiments(self) -> list[dict[str, Any]]:
        """Every experiment document, in the order they were first stored."""
        ...

    def log_exposures(self, exposures: Records) -> int:
        """Append exposures (columns ``EXPOSURE_COLUMNS``; ``recommendation_id``, ``model_version`` and
        ``propensity`` may be missing); returns how many were stored. Arrival order is kept."""
        ...

    def exposures_frame(self, experiment_id: str | None = None) -> pd.DataFrame:
        """Exposures in arrival order (``EXPOSURE_COLUMNS`` + ``seq``), all or those of one experiment."""
        ...

    def delete_user_exposures(self, user_ids: Iterable[str]) -> int:
        """Forget the exposures of these users (a user deleted on request); returns how many rows went."""
        ...


@runtime_checkable
class CustomerStore(Protocol):
    """What :mod:`shopmind.customers` computes, kept for fast reads: one JSON profile per user, the segment
    catalog (JSON documents keyed by ``segment_id``), who belongs to which segment, and opaque state blobs.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.put_profiles({"u1": {"stage": "new"}})
    1
    >>> store.get_profile("u1")
    {'stage': 'new'}
    """

    def put_profiles(self, profiles: Mapping[str, Mapping[str, Any]]) -> int:
        """Insert or replace the profile (a JSON-able dict) of each user id; returns how many were written."""
        ...

    def get_profile(self, user_id: str) -> dict[str, Any] | None:
        """One user's profile, or None."""
        ...

    def profiles_frame(self) -> pd.DataFrame:
        """Every profile: columns ``user_id``, ``profile`` (dict), ``updated_at`` (UTC), by user id."""
        ...

    def put_segments(self, segments: Sequence[Mapping[str, Any]]) -> int:
        """Replace the whole segment catalog (dicts with a ``segment_id`` key, kept in this order); members of
        segments no longer in the catalog are dropped. Returns how many segments were stored."""
        ...

    def list_segments(self) -> list[dict[str, Any]]:
        """The segment catalog in the order it was stored."""
        ...

    def put_memberships(self, memberships: Mapping[str, Sequence[str]]) -> int:
        """For each user id, replace the segments it belongs to; returns how many memberships were written."""
        ...

    def segment_users(self, segment_id: str, limit: int = 100, offset: int = 0) -> list[str]:
        """Members of a segment, by user id."""
        ...

    def get_customer_state(self, key: str) -> bytes | None:
        """A state blob of the customer refresh job, or None."""
        ...

    def put_customer_state(self, key: str, value: bytes) -> None:
        """Store (or replace) a state blob."""
        ...


@runtime_checkable
class BanditStore(Protocol):
    """Bandits shared by every worker: definitions (JSON documents keyed by ``bandit_id``), statistics kept
    as sums that workers add to atomically (``arm -> stat -> value``), and the decision log with propensities.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.add_bandit_stats("b1", [("a", "pulls", 1.0), ("a", "pulls", 1.0), ("a", "reward", 1.0)])
    >>> store.bandit_stats("b1")
    {'a': {'pulls': 2.0, 'reward': 1.0}}
    """

    def put_bandit(self, doc: Mapping[str, Any]) -> None:
        """Store or replace a bandit document (a JSON-able dict with a ``bandit_id``)."""
        ...

    def get_bandit(self, bandit_id: str) -> dict[str, Any] | None:
        """One bandit document, or None."""
        ...

    def list_bandits(self) -> list[dict[str, Any]]:
        """Every bandit document, in the order they were first stored."""
        ...

    def add_bandit_stats(self, bandit_id: str, deltas: Iterable[tuple[str, str, float]]) -> None:
        """Add each ``(arm, stat, delta)`` to the stored sum (missing sums start at 0), in one transaction."""
        ...

    def bandit_stats(self, bandit_id: str) -> dict[str, dict[str, float]]:
        """The sums of a bandit, ``arm -> stat -> value`` (empty when nothing was added yet)."""
        ...

    def log_decisions(self, decisions: Records) -> int:
        """Append decisions (columns ``DECISION_COLUMNS``; ``decision_id`` unique); returns how many were
        stored. A decision whose id is already stored is an error and nothing is written."""
        ...

    def reward_decision(self, decision_id: str, reward: float, deltas: Iterable[tuple[str, str, float]]) -> bool:
        """Record the reward of a decision that has none yet and, in the same transaction, add ``deltas`` to
        its bandit's sums. False (and nothing written) when the decision is unknown or already rewarded, so a
        reward counts exactly once however often it is retried."""
        ...

    def get_decision(self, decision_id: str) -> dict[str, Any] | None:
        """One decision as a dict with every ``DECISION_COLUMNS`` key, or None."""
        ...

    def decisions_frame(self, bandit_id: str | None = None) -> pd.DataFrame:
        """Decisions in arrival order (``DECISION_COLUMNS`` + ``seq``), all or those of one bandit."""
        ...

    def delete_user_decisions(self, user_ids: Iterable[str]) -> int:
        """Forget the decisions logged for these users; returns how many rows went (the sums stay: they
        hold no user id)."""
        ...


@runtime_checkable
class CampaignStore(Protocol):
    """Campaigns (JSON documents keyed by ``campaign_id``), the append-only delivery log and coupon redemptions.

    A redemption is accepted by the store only while the campaign's budget and the user's cap allow it and
    the code is unused, checked and written in one transaction (so two workers cannot both spend the last
    of a budget).

    >>> import pandas as pd
    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.put_campaign({"campaign_id": "c1", "channel": "email"})
    >>> t = pd.Timestamp("2024-05-01", tz="UTC")
    >>> store.log_deliveries([{"delivery_id": "d1", "campaign_id": "c1", "user_id": "u1", "variant": "treatment",
    ...                        "coupon_code": "C1-AB12", "propensity": 0.9, "timestamp": t}])
    1
    >>> row = {"code": "C1-AB12", "campaign_id": "c1", "user_id": "u1", "discount": 5.0, "timestamp": t}
    >>> store.redeem_coupon(row, budget=100.0), store.redeem_coupon(row, budget=100.0)
    (None, 'code_used')
    """

    def put_campaign(self, doc: Mapping[str, Any]) -> None:
        """Store or replace a campaign document (a JSON-able dict with a ``campaign_id``)."""
        ...

    def get_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        """One campaign document, or None."""
        ...

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign document, in the order they were first stored."""
        ...

    def log_deliveries(self, deliveries: Records) -> int:
        """Append deliveries (columns ``DELIVERY_COLUMNS``; ``delivery_id`` and a non-empty ``coupon_code``
        are unique); returns how many were stored. A duplicate id or code is an error and nothing is written."""
        ...

    def deliveries_frame(self, campaign_id: str | None = None, *, user_id: str | None = None) -> pd.DataFrame:
        """Deliveries in arrival order (``DELIVERY_COLUMNS`` + ``seq``): all, of one campaign, of one user."""
        ...

    def coupon_delivery(self, code: str) -> dict[str, Any] | None:
        """The delivery that issued coupon ``code`` (every ``DELIVERY_COLUMNS`` key), or None."""
        ...

    def redeem_coupon(self, redemption: Mapping[str, Any], *, budget: float | None = None,
                      per_user_cap: int | None = None) -> str | None:
        """Record a redemption (``REDEMPTION_COLUMNS``) unless the code was redeemed before (``"code_used"``),
        the campaign's redeemed discounts plus this one would exceed ``budget`` (``"budget_spent"``), or the
        user has ``per_user_cap`` redemptions in the campaign already (``"user_cap"``). Returns None when it
        was recorded, else the reason (and nothing is written)."""
        ...

    def redemptions_frame(self, campaign_id: str | None = None) -> pd.DataFrame:
        """Accepted redemptions in arrival order (``REDEMPTION_COLUMNS`` + ``seq``), all or of one campaign."""
        ...

    def delete_user_deliveries(self, user_ids: Iterable[str]) -> int:
        """Forget the deliveries and redemptions of these users; returns how many rows went."""
        ...


@runtime_checkable
class DocumentStore(Protocol):
    """Small JSON documents by (collection, key): FAQ entries, assistant sessions and other state that is
    read whole and replaced whole.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.put_documents("faq", {"ship": {"question": "Shipping?"}})
    1
    >>> store.get_document("faq", "ship")["question"], store.list_documents("faq")
    ('Shipping?', ['ship'])
    """

    def put_documents(self, collection: str, documents: Mapping[str, Mapping[str, Any]]) -> int:
        """Store (or replace) documents by key; returns how many were written."""
        ...

    def get_document(self, collection: str, key: str) -> dict[str, Any] | None:
        ...

    def list_documents(self, collection: str) -> list[str]:
        """Keys of a collection, in the order they were first stored."""
        ...

    def read_documents(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        """Every ``(key, document)`` of a collection in one read, in the order they were first stored."""
        ...

    def delete_documents(self, collection: str, keys: Iterable[str] | None = None) -> int:
        """Delete some keys (or, with None, the whole collection); returns how many existed."""
        ...


@runtime_checkable
class PersonalData(Protocol):
    """Everything a store holds about one user, read out or erased at once (the right of access and the right
    to erasure). Quarantined rows count as the user's when a rejected value is the user id, and then every
    rejected field of that same file row goes too.

    >>> import pandas as pd
    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> _ = store.append_events([{"user_id": "u1", "item_id": "i1", "type": "view",
    ...                           "timestamp": pd.Timestamp("2024-05-01", tz="UTC")}])
    >>> store.erase_user("u1")["events"], store.counts()["events"]
    (1, 0)
    """

    def user_data(self, user_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every stored row naming ``user_id``, by kind (``PERSONAL_DATA_KINDS``), as JSON-able dicts
        (timestamps as ISO 8601 UTC text); kinds without rows are empty lists."""
        ...

    def erase_user(self, user_id: str) -> dict[str, int]:
        """Delete every row naming ``user_id`` in one transaction; returns how many rows of each kind
        (``PERSONAL_DATA_KINDS``) went."""
        ...


@runtime_checkable
class PrivacyLedger(Protocol):
    """The epsilon spent on differentially private releases, per budget period (:mod:`shopmind.privacy.dp`).

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.spend_privacy("2026-12-06", "trending:24h", 0.75, budget=1.0)
    True
    >>> store.spend_privacy("2026-12-06", "trending:24h", 0.5, budget=1.0)
    False
    >>> store.privacy_spends("2026-12-06")["epsilon"].tolist()
    [0.75]
    """

    def spend_privacy(self, period: str, query: str, epsilon: float, budget: float) -> bool:
        """Record a spend of ``epsilon`` on ``query`` in ``period`` if the period's total stays within
        ``budget``; the check and the write are one transaction. False (nothing written) when it would not."""
        ...

    def privacy_spends(self, period: str | None = None) -> pd.DataFrame:
        """Spends in the order they were made (``PRIVACY_SPEND_COLUMNS`` + ``seq``), all or one period's."""
        ...


@runtime_checkable
class ApiKeyStore(Protocol):
    """API keys created with ``shopmind keys create``: only a hash of each key is kept (the key itself is shown
    once), with its scopes, an optional per-key rate limit and when it was created and revoked.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.put_api_key({"key_id": "k1", "key_hash": "ab12", "scopes": ["read"], "name": "shop"})
    >>> store.find_api_key("ab12")["scopes"], store.revoke_api_key("k1"), store.revoke_api_key("k1")
    (['read'], True, False)
    >>> store.find_api_key("ab12")["revoked_at"] is not None
    True
    """

    def put_api_key(self, key: Mapping[str, Any]) -> None:
        """Store a new key: ``key_id``, ``key_hash`` (unique), ``scopes`` (list), optional ``name`` and
        ``rate_limit`` (requests per second; None: the server's default). ``created_at`` (ISO 8601, UTC) is set
        now; a ``key_id`` or ``key_hash`` already stored raises :class:`~shopmind.errors.StoreError`."""
        ...

    def find_api_key(self, key_hash: str) -> dict[str, Any] | None:
        """The key with this hash (revoked ones too: ``revoked_at`` is then set), or None."""
        ...

    def list_api_keys(self) -> list[dict[str, Any]]:
        """Every key, oldest first, without the hashes."""
        ...

    def revoke_api_key(self, key_id: str) -> bool:
        """Mark a key revoked (it stays listed); False if there is no such key or it was already revoked."""
        ...


@runtime_checkable
class Store(ItemStore, UserStore, EventLog, ImportLog, EmbeddingCache, CustomerStore, ExperimentStore, BanditStore,
            DocumentStore, PersonalData, CampaignStore, PrivacyLedger, ApiKeyStore, Protocol):
    """Everything shopmind keeps: catalog, users, events, quarantine and import log, customer profiles,
    experiments and bandits, small documents (FAQ entries, assistant sessions).

    >>> from shopmind.storage import open_store
    >>> with open_store("sqlite:///:memory:") as store:
    ...     store.counts()["events"]
    0
    """

    url: str

    def counts(self) -> dict[str, int]:
        """Row counts: ``items``, ``users``, ``events``, ``rejects``, ``imports``."""
        ...

    def close(self) -> None:
        """Release the connection; the store must not be used afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class ContextManagedStore:
    """Mixin for backends: ``with`` closes the store; ``repr`` shows the URL."""

    url: str

    def close(self) -> None:  # pragma: no cover - overridden by every backend
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

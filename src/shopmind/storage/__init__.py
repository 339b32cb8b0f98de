"""Where shopmind keeps catalog, users, events, quarantined rows and import reports.

>>> from shopmind.storage import open_store
>>> with open_store("sqlite:///:memory:") as store:
...     store.counts()
{'items': 0, 'users': 0, 'events': 0, 'rejects': 0, 'imports': 0}
"""

from shopmind.storage.base import (
    DECISION_COLUMNS,
    DELIVERY_COLUMNS,
    EXPOSURE_COLUMNS,
    PERSONAL_DATA_KINDS,
    REDEMPTION_COLUMNS,
    REJECT_COLUMNS,
    ApiKeyStore,
    AppendCounts,
    BanditStore,
    CampaignStore,
    CustomerStore,
    DocumentStore,
    EventLog,
    ExperimentStore,
    ImportLog,
    ItemStore,
    PersonalData,
    Records,
    Store,
    UpsertCounts,
    UserStore,
)
from shopmind.storage.export import load_interactions, load_sequences
from shopmind.storage.registry import open_store, register_backend, supported_schemes
from shopmind.storage.sqlite import SQLiteStore

__all__ = [
    "DECISION_COLUMNS",
    "DELIVERY_COLUMNS",
    "EXPOSURE_COLUMNS",
    "PERSONAL_DATA_KINDS",
    "REDEMPTION_COLUMNS",
    "REJECT_COLUMNS",
    "ApiKeyStore",
    "AppendCounts",
    "BanditStore",
    "CampaignStore",
    "CustomerStore",
    "DocumentStore",
    "EventLog",
    "ExperimentStore",
    "ImportLog",
    "ItemStore",
    "PersonalData",
    "Records",
    "SQLiteStore",
    "Store",
    "UpsertCounts",
    "UserStore",
    "load_interactions",
    "load_sequences",
    "open_store",
    "register_backend",
    "supported_schemes",
]

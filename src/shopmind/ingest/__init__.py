"""From raw frames to the store: validation, coercion, quarantine and import reports.

>>> from shopmind.ingest import import_records
>>> from shopmind.storage import open_store
>>> store = open_store("sqlite:///:memory:")
>>> report = import_records(store, [{"user_id": "u1", "item_id": "a", "type": "buy",
...                                  "timestamp": "2024-05-01T20:00:00+08:00"}])
>>> report.events.inserted, store.events_frame()["timestamp"][0]
(1, Timestamp('2024-05-01 12:00:00+0000', tz='UTC'))
"""

from shopmind.ingest.importer import (
    import_event_records,
    import_read_result,
    import_records,
    new_import_id,
    records_to_result,
)
from shopmind.ingest.report import ImportReport, KindCounts, RejectGroup
from shopmind.ingest.validate import Validated, validate_frame

__all__ = [
    "ImportReport",
    "KindCounts",
    "RejectGroup",
    "Validated",
    "import_event_records",
    "import_read_result",
    "import_records",
    "new_import_id",
    "records_to_result",
    "validate_frame",
]

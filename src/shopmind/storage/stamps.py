"""Version stamps: a document that names the current version of some shared state (the FAQ, the shop's
synonyms), so that every process on the store notices a change made by another one (a second worker, the CLI)
with one small read, and rebuilds what it derived from that state.

>>> from shopmind.storage import open_store
>>> store = open_store("sqlite:///:memory:")
>>> read_stamp(store, "faq") is None
True
>>> new = stamp(store, "faq")
>>> read_stamp(store, "faq") == new
True
"""

from __future__ import annotations

import secrets

from shopmind.storage.base import DocumentStore

#: The document collection the stamps live in (one key per stamped state).
COLLECTION = "stamps"


def stamp(store: DocumentStore, name: str) -> str:
    """Publish a new version of ``name``; returns it."""
    version = secrets.token_hex(8)
    store.put_documents(COLLECTION, {name: {"version": version}})
    return version


def read_stamp(store: DocumentStore, name: str) -> str | None:
    """The current version of ``name`` (None while it was never stamped)."""
    doc = store.get_document(COLLECTION, name)
    return None if doc is None else str(doc.get("version"))

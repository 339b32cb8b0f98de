"""The right to erasure and the right of access: delete one user everywhere, or export what is kept on them.

:meth:`Eraser.erase` removes, for one user id:

- every row naming them in the store, in one transaction (:meth:`~shopmind.storage.base.PersonalData.erase_user`:
  the user row, events, quarantined rows, experiment exposures, bandit decisions, customer profile and segment
  memberships);
- their live state in a running service: session, negative feedback, cached model answers, and what their
  events added to the statistics kept online (popularity, trending windows, exploration counts, viewed- and
  bought-together), which are rebuilt from the store without them
  (:meth:`~shopmind.pipeline.service.RecommendationService.forget_users`);
- their rows in every loaded model version and in every saved artifact under the models directory
  (:meth:`~shopmind.models.base.Recommender.forget_users`: exact unlearning for item-kNN, user-kNN and EASE, the
  user's own vector and history for the others, whose item side is refreshed by the next retrain - which reads
  the store, where their events no longer are).

It returns a receipt and appends the request to a deletion log that holds a keyed hash of the id, never the id
(the key is the privacy secret when one is configured, else a random key kept in the store). The same hash marks
the id as erased, so that re-importing an old file that still holds their events skips those rows
(:meth:`Eraser.drop_erased`) unless the import says otherwise.

>>> from shopmind.storage import open_store
>>> import pandas as pd
>>> store = open_store("sqlite:///:memory:")
>>> _ = store.append_events([{"user_id": "u1", "item_id": "i1", "type": "view",
...                           "timestamp": pd.Timestamp("2024-05-01", tz="UTC")}])
>>> receipt = Eraser(store).erase("u1")
>>> receipt["deleted"]["events"], store.counts()["events"], Eraser(store).is_erased("u1")
(1, 0, True)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.data.loaders.base import ReadResult
from shopmind.errors import StoreError, UnknownIdError
from shopmind.models.base import Recommender
from shopmind.pipeline.service import RecommendationService
from shopmind.privacy.pseudonym import Pseudonymiser
from shopmind.storage.base import Store

logger = logging.getLogger(__name__)

#: Document collections of the store: the deletion log (one document per request), the hashes of erased ids,
#: and the log key when no secret is configured.
LOG_COLLECTION = "privacy.deletions"
ERASED_COLLECTION = "privacy.erased"
KEY_COLLECTION = "privacy.keys"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def log_key(store: Store, secret: str | None = None) -> bytes:
    """The key of the deletion log's hashes: derived from ``secret``, else a random key made once and kept in
    the store."""
    if secret:
        return hmac.new(secret.encode("utf-8"), b"shopmind deletion log", hashlib.sha256).digest()
    doc = store.get_document(KEY_COLLECTION, "deletion_log")
    if doc is None:
        store.put_documents(KEY_COLLECTION, {"deletion_log": {"key": secrets.token_hex(32)}})
        doc = store.get_document(KEY_COLLECTION, "deletion_log")  # read back: a concurrent writer may have won
        if doc is None:
            raise StoreError(f"the deletion log key could not be stored in {store.url}")
    return bytes.fromhex(str(doc["key"]))


def id_hash(key: bytes, user_id: str) -> str:
    """The keyed hash of a user id kept in the deletion log (HMAC-SHA256, 32 hex digits).

    >>> id_hash(b"k", "u1") == id_hash(b"k", "u1") != id_hash(b"other", "u1")
    True
    """
    return hmac.new(key, str(user_id).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def model_artifacts(models_dir: Path | None) -> list[Path]:
    """Every model artifact directory (one holding ``meta.json``) under ``models_dir``, each once."""
    if models_dir is None or not Path(models_dir).is_dir():
        return []
    seen: dict[Path, Path] = {}
    for meta in sorted(Path(models_dir).rglob("meta.json")):
        seen.setdefault(meta.parent.resolve(), meta.parent)
    return list(seen.values())


def _artifact_users(path: Path) -> list[str]:
    import json  # lazy: only artifacts are read as JSON here

    try:
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        logger.warning("%s: unreadable meta.json, skipped", path)
        return []
    users = meta.get("users")
    return [str(u) for u in users] if isinstance(users, list) else []


@dataclass
class Eraser:
    """Erasure and export over a store, optionally a running service and the saved artifacts (module docs)."""

    store: Store
    service: RecommendationService | None = None
    models_dir: Path | None = None
    secret: str | None = None

    def _key(self) -> bytes:
        return log_key(self.store, self.secret)

    # ------------------------------------------------------------------ erasure
    def erase(self, user_id: str, *, source: str = "api") -> dict[str, Any]:
        """Delete ``user_id`` everywhere; returns the receipt. Raises :class:`UnknownIdError` when nothing
        anywhere knew the id (nothing is logged then)."""
        uid = str(user_id)
        requested_at = _now()
        deleted: dict[str, int] = {}
        live_events = negatives = 0
        if self.service is not None:
            live_events = self.service.state.sessions.live_items(uid)[1]
            negatives = len(self.service.state.feedback.items(uid))
        deleted.update(self.store.erase_user(uid))
        models: list[dict[str, Any]] = []
        if self.service is not None:
            deleted["live_session_events"] = int(live_events)
            deleted["negative_feedback"] = int(negatives)
            models = self.service.forget_users([uid])
        models += self._erase_from_artifacts(uid)
        found = any(deleted.values()) or any(m["action"] != "not_in_model" for m in models)
        if not found:
            raise UnknownIdError("user", uid)
        key = self._key()
        receipt: dict[str, Any] = {"user_id": uid, "request_id": uuid.uuid4().hex, "deleted": deleted, "models": models,
                   "requested_at": requested_at, "completed_at": _now()}
        hashed = id_hash(key, uid)
        self.store.put_documents(LOG_COLLECTION, {receipt["request_id"]: {
            **{k: v for k, v in receipt.items() if k != "user_id"}, "user_hash": hashed, "source": source}})
        self.store.put_documents(ERASED_COLLECTION, {hashed: {"erased_at": receipt["completed_at"]}})
        logger.info("erased user %s (request %s): %s", hashed, receipt["request_id"], deleted)
        return receipt

    def _erase_from_artifacts(self, uid: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for path in model_artifacts(self.models_dir):
            if uid not in _artifact_users(path):
                continue
            model = Recommender.load(path)
            action = model.forget_users(np.array([model.users_.index(uid)]))
            model.save(path)
            out.append({"version": path.name, "artifact": str(path), "action": action})
        return out

    def log(self) -> list[dict[str, Any]]:
        """The deletion log, oldest first (keyed hashes, never ids)."""
        docs = (self.store.get_document(LOG_COLLECTION, k) for k in self.store.list_documents(LOG_COLLECTION))
        return [d for d in docs if d is not None]

    def is_erased(self, user_id: str) -> bool:
        """Whether ``user_id`` was erased (its keyed hash is in the log)."""
        return self.store.get_document(ERASED_COLLECTION, id_hash(self._key(), str(user_id))) is not None

    def drop_erased(self, result: ReadResult) -> tuple[ReadResult, int]:
        """``result`` without the events and user rows of erased users, and how many rows were dropped."""
        erased = set(self.store.list_documents(ERASED_COLLECTION))
        if not erased:
            return result, 0
        key = self._key()
        dropped = 0
        frames: dict[str, Any] = {}
        for name in ("events", "users"):
            frame = getattr(result, name)
            if frame is None or "user_id" not in frame.columns or len(frame) == 0:
                continue
            ids = frame["user_id"].astype(str)
            gone = {u for u in ids.unique() if id_hash(key, u) in erased}
            if gone:
                mask = ids.isin(gone).to_numpy()
                dropped += int(mask.sum())
                frames[name] = frame[~mask]
        return (replace(result, **frames) if frames else result), dropped

    # ------------------------------------------------------------------ access
    def export(self, user_id: str) -> dict[str, Any]:
        """Everything kept about ``user_id`` as one JSON-able document: the store's rows, the live state of a
        running service, and their history and vector in each loaded model version and saved artifact.
        Raises :class:`UnknownIdError` when nothing is kept."""
        uid = str(user_id)
        stored = self.store.user_data(uid)
        doc: dict[str, Any] = {"user_id": uid, "exported_at": _now(), "store": stored, "live": {}, "models": []}
        if self.service is not None:
            state = self.service.state
            live, _n = state.sessions.live_items(uid)
            doc["live"] = {
                "session_items": [state.catalog.raw(int(i)) for i in live],
                "negative_feedback": [state.catalog.raw(i) for i in state.feedback.items(uid)],
                "history_items": [state.catalog.raw(int(i)) for i in state.history.seen(uid)],
            }
            for bundle in self.service.versions.bundles():
                entry = _model_entry(bundle.model, uid)
                if entry is not None:
                    doc["models"].append({"version": bundle.version, **entry})
        for path in model_artifacts(self.models_dir):
            if uid in _artifact_users(path):
                entry = _model_entry(Recommender.load(path), uid)
                if entry is not None:
                    doc["models"].append({"version": path.name, "artifact": str(path), **entry})
        if not any(stored.values()) and not doc["models"] and not any(doc["live"].values()):
            raise UnknownIdError("user", uid)
        return doc


def _model_entry(model: Recommender, uid: str) -> dict[str, Any] | None:
    """A model's data on one user: the items of their training history and their own vector (factor models)."""
    u = model.users_.get(uid, -1)
    if u < 0:
        return None
    seen = model.seen_
    items = model.items_.raws(seen.indices[seen.indptr[u]:seen.indptr[u + 1]].tolist())
    entry: dict[str, Any] = {"model": model.name, "history_items": items}
    factors = model.linear_factors()
    if factors is not None:
        entry["user_vector"] = [round(float(x), 6) for x in np.asarray(factors[0][u]).ravel()]
    return entry


def import_guard(store: Store, secret: str | None = None, allow_erased: bool = False,
                 say: Callable[[str], None] | None = None) -> Callable[[ReadResult], ReadResult]:
    """What every file import does first (the CLI's and the console's): pseudonymise user ids when a privacy
    ``secret`` is configured, then skip the rows of erased users - with a warning through ``say`` (else the
    log) - unless ``allow_erased``."""
    pseudonymiser = Pseudonymiser(secret) if secret else None
    eraser = Eraser(store, secret=secret)
    warn = say or logger.warning

    def prepare(result: ReadResult) -> ReadResult:
        if pseudonymiser is not None:
            result = pseudonymiser.read_result(result)
        if allow_erased:
            return result
        result, dropped = eraser.drop_erased(result)
        if dropped:
            warn(f"warning: skipped {dropped:,} rows of {result.source} that belong to erased users "
                 "(use --allow-deleted to import them anyway)")
        return result

    return prepare


def erase_many(eraser: Eraser, user_ids: Sequence[str], *, source: str = "api") -> tuple[int, list[str]]:
    """Erase several users; returns how many were erased and the ids nothing knew."""
    done, missing = 0, []
    for u in dict.fromkeys(str(x) for x in user_ids):
        try:
            eraser.erase(u, source=source)
            done += 1
        except UnknownIdError:
            missing.append(u)
    return done, missing

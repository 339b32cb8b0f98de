"""What an import did, for people (``summary()``) and machines (``to_dict()``, kept in the store's log)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from shopmind.data.loaders.base import Reject

#: How many example rows each group of rejects keeps.
EXAMPLES_PER_GROUP = 5


@dataclass
class KindCounts:
    """Counts for one kind of record. ``read == accepted + rejected`` always holds.

    Events: ``inserted`` + ``duplicates`` == ``accepted``. Items/users: ``inserted`` + ``updated`` +
    ``unchanged`` + ``duplicates`` == ``accepted``, where ``duplicates`` are repeats of an id within the
    same input (the last one wins).
    """

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0


@dataclass
class RejectGroup:
    """Rejects sharing a kind, field and reason, with a few example rows."""

    kind: str
    field: str
    reason: str
    count: int = 0
    # dataclasses.field spelled out: the attribute ``field`` above shadows the name in this class body
    examples: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclass
class ImportReport:
    """The outcome of one import.

    >>> report = import_read_result(store, result)  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    import 20240501T120000-3fa2c1 of events.csv (csv) in 0.8 s
      events: 1000 read, 990 accepted: 985 new, 5 duplicates; 10 rejected
      rejected: event.timestamp: not a date/time; ... x7 (events.csv rows 12, 57, 90, ...)
    """

    import_id: str
    source: str
    format: str
    started_at: str
    default_timezone: str = "UTC"
    events: KindCounts = field(default_factory=KindCounts)
    items: KindCounts = field(default_factory=KindCounts)
    users: KindCounts = field(default_factory=KindCounts)
    reject_groups: list[RejectGroup] = field(default_factory=list)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self, kind: str) -> KindCounts:
        """The counts of ``'event'``, ``'item'`` or ``'user'`` records."""
        return {"event": self.events, "item": self.items, "user": self.users}[kind]

    @property
    def rows_read(self) -> int:
        return self.events.read + self.items.read + self.users.read

    @property
    def inserted(self) -> int:
        """New events, items and users."""
        return self.events.inserted + self.items.inserted + self.users.inserted

    @property
    def duplicates(self) -> int:
        return self.events.duplicates + self.items.duplicates + self.users.duplicates

    @property
    def rejected(self) -> int:
        """Rejected rows (a row failing on several fields counts once)."""
        return self.events.rejected + self.items.rejected + self.users.rejected

    def add_rejects(self, rejects: Iterable[Reject]) -> None:
        """Fold rejects into ``reject_groups`` (counts and up to 5 examples per group)."""
        groups = {(g.kind, g.field, g.reason): g for g in self.reject_groups}
        for r in rejects:
            key = (r.kind, r.field, r.reason)
            g = groups.get(key)
            if g is None:
                g = groups[key] = RejectGroup(r.kind, r.field, r.reason)
                self.reject_groups.append(g)
            g.count += 1
            if len(g.examples) < EXAMPLES_PER_GROUP:
                d = r.as_dict()
                g.examples.append({"source": d["source"], "row": d["row"], "value": d["value"]})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (what the store's import log keeps)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImportReport:
        """The inverse of :meth:`to_dict` (e.g. for reports read back with ``store.list_imports()``)."""
        d = dict(d)
        for kind in ("events", "items", "users"):
            d[kind] = KindCounts(**d.get(kind, {}))
        d["reject_groups"] = [RejectGroup(**g) for g in d.get("reject_groups", [])]
        return cls(**d)

    def summary(self) -> str:
        """A few lines for a person: counts per kind and the reasons rows were rejected."""
        lines = [f"import {self.import_id} of {self.source} ({self.format}) in {self.seconds:.1f} s"]
        for name, c in (("events", self.events), ("items", self.items), ("users", self.users)):
            if not c.read:
                continue
            if name == "events":
                done = f"{c.inserted} new, {c.duplicates} duplicates"
            else:
                done = f"{c.inserted} new, {c.updated} updated, {c.unchanged} unchanged"
                done += f", {c.duplicates} repeated ids" if c.duplicates else ""
            lines.append(f"  {name}: {c.read} read, {c.accepted} accepted: {done}; {c.rejected} rejected")
        for g in self.reject_groups:
            rows = ", ".join(str(e["row"]) for e in g.examples)
            rows += ", ..." if g.count > len(g.examples) else ""
            where = g.examples[0]["source"] if g.examples else ""
            lines.append(f"  rejected: {g.kind}.{g.field}: {g.reason} x{g.count} ({where} rows {rows})")
        for kind, cols in self.ignored_columns.items():
            lines.append(f"  ignored {kind} columns: {', '.join(cols)}")
        return "\n".join(lines)

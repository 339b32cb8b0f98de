"""Raw id <-> dense index translation, done once and kept with every model (as LightFM/Surprise do)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from shopmind.errors import UnknownIdError


class IdMapping:
    """A bijection between raw ids (strings) and dense indices ``0..n-1``.

    Raw ids are kept as strings so that ``"42"`` from a CSV and ``42`` from a JSON file are the same item.

    >>> m = IdMapping(["b", "a"])
    >>> m.index("a"), m.raw(0), len(m)
    (1, 'b', 2)
    """

    def __init__(self, raw_ids: Iterable[Any] = (), kind: str = "item") -> None:
        self.kind = kind
        self._raw: list[str] = []
        self._index: dict[str, int] = {}
        for r in raw_ids:
            self.add(r)

    def add(self, raw_id: Any) -> int:
        """Return the index of ``raw_id``, adding it at the end if it is new."""
        key = str(raw_id)
        idx = self._index.get(key)
        if idx is None:
            idx = len(self._raw)
            self._index[key] = idx
            self._raw.append(key)
        return idx

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, raw_id: object) -> bool:
        return str(raw_id) in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdMapping) and self._raw == other._raw

    def __hash__(self) -> int:  # pragma: no cover - mappings are not used as dict keys
        return hash(tuple(self._raw))

    def index(self, raw_id: Any) -> int:
        """Dense index of ``raw_id``; raises :class:`UnknownIdError` if unknown."""
        try:
            return self._index[str(raw_id)]
        except KeyError:
            raise UnknownIdError(self.kind, raw_id) from None

    def get(self, raw_id: Any, default: int = -1) -> int:
        return self._index.get(str(raw_id), default)

    def indices(self, raw_ids: Iterable[Any], missing: str = "raise") -> np.ndarray:
        """Vector of indices. ``missing='raise'`` raises on unknown ids, ``'skip'`` gives -1."""
        if missing == "raise":
            return np.fromiter((self.index(r) for r in raw_ids), dtype=np.int64)
        return np.fromiter((self._index.get(str(r), -1) for r in raw_ids), dtype=np.int64)

    def raw(self, index: int) -> str:
        return self._raw[int(index)]

    def raws(self, indices: Iterable[int]) -> list[str]:
        return [self._raw[int(i)] for i in indices]

    @property
    def raw_ids(self) -> Sequence[str]:
        return tuple(self._raw)

    def to_list(self) -> list[str]:
        return list(self._raw)

    @classmethod
    def from_list(cls, raw_ids: Sequence[str], kind: str = "item") -> IdMapping:
        return cls(raw_ids, kind=kind)

    def __repr__(self) -> str:
        return f"IdMapping(kind={self.kind!r}, n={len(self)})"

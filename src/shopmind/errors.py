"""The exception types shopmind raises.

Every user-facing error says *what* was wrong, *where* and *what was expected*, so the CLI can print it as
one line without a traceback.
"""

from __future__ import annotations

from typing import Any


class ShopmindError(Exception):
    """Base class of every error shopmind raises on purpose."""


class ParameterError(ShopmindError, ValueError):
    """A hyperparameter or option has a value that is not allowed.

    The message has one shape everywhere:
    ``The 'k' parameter of ItemKNN must be an int >= 1. Got -3 instead.``
    """

    def __init__(self, owner: str, name: str, value: Any, expected: str) -> None:
        self.owner, self.name, self.value, self.expected = owner, name, value, expected
        super().__init__(f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead.")


class DataError(ShopmindError, ValueError):
    """Input data (a file, a row, a field) is unusable."""

    def __init__(self, message: str, *, source: str | None = None, row: int | None = None,
                 field: str | None = None, value: Any = None) -> None:
        where = []
        if source:
            where.append(str(source))
        if row is not None:
            where.append(f"row {row}")
        if field:
            where.append(f"field {field!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
        self.source, self.row, self.field, self.value = source, row, field, value


class StoreError(ShopmindError):
    """The store cannot be opened or a write failed (nothing was half-written)."""


class ArtifactError(ShopmindError):
    """A model artifact that cannot be used: truncated, corrupted or written by an incompatible version. The
    message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"model artifact {path} refused: {reason}")
        self.path, self.reason = str(path), reason


class NotFittedError(ShopmindError, RuntimeError):
    """A model was used before `fit` (or `load`)."""


class UnknownIdError(ShopmindError, KeyError):
    """A raw user or item id is not known to a model or store."""

    def __init__(self, kind: str, raw_id: Any) -> None:
        super().__init__(f"unknown {kind} id {raw_id!r}")
        self.kind, self.raw_id = kind, raw_id

    def __str__(self) -> str:  # KeyError quotes its message; keep it plain
        return str(self.args[0])


def check_param(owner: str, name: str, value: Any, ok: bool, expected: str) -> None:
    """Raise :class:`ParameterError` unless ``ok``."""
    if not ok:
        raise ParameterError(owner, name, value, expected)


def check_int(owner: str, name: str, value: Any, low: int | None = None, high: int | None = None) -> None:
    """Validate an integer hyperparameter (bools are rejected)."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    bounds = ""
    if low is not None and high is not None:
        bounds = f" in [{low}, {high}]"
    elif low is not None:
        bounds = f" >= {low}"
    elif high is not None:
        bounds = f" <= {high}"
    ok = is_int and (low is None or value >= low) and (high is None or value <= high)
    check_param(owner, name, value, ok, f"an int{bounds}")


def check_float(owner: str, name: str, value: Any, low: float | None = None, high: float | None = None,
                low_open: bool = False) -> None:
    """Validate a real-valued hyperparameter."""
    is_num = isinstance(value, int | float) and not isinstance(value, bool)
    ok = is_num
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
        ok = ok and (value > low if low_open else value >= low)
    if high is not None:
        parts.append(f"<= {high}")
        ok = ok and value <= high
    check_param(owner, name, value, ok, "a number" + (" " + " and ".join(parts) if parts else ""))

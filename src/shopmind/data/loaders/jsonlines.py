"""JSON Lines (one object per line) with exact line numbers; optionally Python-literal lines.

Old Amazon metadata dumps hold Python ``repr`` dicts (single quotes, ``True``/``None``) rather than JSON;
``python_literals=True`` reads those with :func:`ast.literal_eval` - which evaluates literals only, never
code - after JSON fails.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson

from shopmind.data.loaders.base import Reject
from shopmind.data.loaders.textio import (
    STREAM_ERRORS,
    WHOLE_ROW,
    NumberedLines,
    decode_error,
    open_binary,
    open_text,
)
from shopmind.errors import DataError

_LITERAL_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


@dataclass
class JsonRecords:
    """Parsed objects with their line numbers, and the lines that were not objects."""

    source: str
    rows: list[int] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def column(self, key: str) -> list[Any]:
        """The values of ``key`` (``None`` where a record lacks it)."""
        return [r.get(key) for r in self.records]

    def keys(self) -> list[str]:
        """Every key that occurs, in order of first appearance."""
        seen: dict[str, None] = {}
        for shape in dict.fromkeys(tuple(r) for r in self.records):  # few distinct key layouts
            seen.update(dict.fromkeys(shape))
        return list(seen)


def _parse(line: str, python_literals: bool) -> tuple[Any, str | None]:
    try:
        return json.loads(line), None
    except ValueError as exc:
        error = f"invalid JSON ({exc.args[0] if exc.args else exc})"
    if python_literals:
        try:
            return ast.literal_eval(line), None
        except _LITERAL_ERRORS:
            error += " and not a Python literal either"
    return None, error


def _parse_all(lines: list[str]) -> list[Any] | None:
    """All lines parsed in one C-level call, or None unless each line is exactly one JSON object.

    About three times faster than a ``json.loads`` per line; any doubt sends the caller to the exact path.
    """
    if not all(line[:1] == "{" and line.rstrip()[-1:] == "}" for line in lines):
        return None
    try:
        parsed = json.loads("[" + ",".join(lines) + "]")
    except (ValueError, RecursionError):
        return None
    if len(parsed) != len(lines) or not all(isinstance(obj, dict) for obj in parsed):
        return None
    return cast("list[Any] | None", parsed)


def _whole_text(path: Path) -> str | None:
    """The decoded file, or None when its gzip stream is broken (the line-by-line path reports where)."""
    try:
        with open_text(path) as f:
            return f.read()
    except STREAM_ERRORS:
        return None
    except UnicodeDecodeError as exc:
        raise decode_error(str(path), 1, "utf-8", exc) from None


def read_json_lines(path: Path, *, kind: str = "event", python_literals: bool = False,
                    keep: Collection[str] | None = None) -> JsonRecords:
    """Read a JSON Lines file (gzip or not); invalid lines become rejects with their line number.

    ``keep`` limits the stored keys (saves memory on wide records such as reviews with long texts).

    >>> recs = read_json_lines(Path("reviews.jsonl"))            # doctest: +SKIP
    >>> recs.rows[:2], recs.rejects[0].reason                      # doctest: +SKIP
    ([1, 2], 'invalid JSON (Expecting value)')
    """
    source = str(path)
    out = JsonRecords(source)
    keep_set = set(keep) if keep is not None else None
    text = _whole_text(path)
    stream: NumberedLines | None = None
    numbered: Iterable[tuple[int, str]]
    if text is None:
        stream = NumberedLines(path, kind=kind)
        numbered = stream
        last_line, last_complete = -1, True
    else:
        last_complete = text.endswith("\n")
        body = text.rstrip()
        lines = body.split("\n") if body else []
        numbered = list(enumerate(lines, start=1))
        if "\n\n" in body or "\n\r\n" in body:  # blank lines: keep the numbers of the others
            numbered = [(n, line) for n, line in numbered if line.strip()]
            lines = [line for _, line in numbered]
        last_line = numbered[-1][0] if numbered else 0
        fast = _parse_all(lines)
        if fast is not None:
            out.rows = [n for n, _ in numbered]
            out.records = fast if keep_set is None else [{k: v for k, v in r.items() if k in keep_set}
                                                          for r in fast]
            return out
        numbered = [(n, line.rstrip("\r")) for n, line in numbered if line.strip()]
    bad: list[tuple[int, str, str]] = []
    for n, line in numbered:
        obj, error = _parse(line, python_literals)
        if error is None and not isinstance(obj, dict):
            error = f"expected a JSON object, found {type(obj).__name__}"
        if error is not None:
            bad.append((n, line, error))
            continue
        if keep_set is not None:
            obj = {k: v for k, v in obj.items() if k in keep_set}
        out.rows.append(n)
        out.records.append(obj)
    if stream is not None:
        last_line, last_complete = stream.last_number, stream.last_complete
    for n, line, error in bad:
        if n == last_line and not last_complete:
            error = "truncated last line (no newline at the end of the file): " + error
        out.rejects.append(Reject(source, n, WHOLE_ROW, line, error, kind))
    if stream is not None:
        out.rejects.extend(stream.rejects)
    return out


def read_json_array(path: Path, *, kind: str = "event") -> JsonRecords:
    """A file holding one JSON array of objects; ``_row`` is the 1-based position in the array."""
    source = str(path)
    out = JsonRecords(source)
    with open_text(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON ({exc.msg}, column {exc.colno}); expected one JSON array of "
                            "objects or JSON Lines (one object per line)", source=source, row=exc.lineno,
                            value=exc.doc[max(0, exc.pos - 20):exc.pos + 20]) from None
    for i, obj in enumerate(_as_list(data), start=1):
        if isinstance(obj, dict):
            out.rows.append(i)
            out.records.append(obj)
        else:
            out.rejects.append(Reject(source, i, WHOLE_ROW, obj,
                                      f"expected a JSON object, found {type(obj).__name__}", kind))
    return out


def _as_list(data: Any) -> Iterator[Any]:
    if isinstance(data, list):
        yield from data
    else:
        yield data


def _is_flat(t: pa.DataType) -> bool:
    return (cast("bool", pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_string(t)
            or pa.types.is_large_string(t) or pa.types.is_boolean(t) or pa.types.is_null(t)))


def read_flat_json_lines(path: Path) -> pd.DataFrame | None:
    """Fast path for flat JSON Lines (every value a number, text, bool or null) via ``pyarrow.json``.

    Returns the raw frame with ``_row``, or None whenever the result could differ from the exact path:
    blank lines, any line that is not one object, nested values, values pyarrow would turn into dates.
    """
    try:
        with open_binary(path) as f:
            data = f.read()
    except STREAM_ERRORS:
        return None
    body = data.rstrip()
    if not body or b"\n\n" in body or b"\n\r\n" in body:
        return None
    n_lines = body.count(b"\n") + 1
    try:
        table = pajson.read_json(pa.BufferReader(body))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != n_lines or not all(_is_flat(field.type) for field in table.schema):
        return None
    frame = table.to_pandas()
    frame["_row"] = np.arange(1, n_lines + 1, dtype=np.int64)
    return frame

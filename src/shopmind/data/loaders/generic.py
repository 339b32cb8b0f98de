"""Generic readers for a shop's own exports: CSV/TSV, JSON Lines and Parquet, with a :class:`ColumnMapping`.

Without a mapping, columns already named canonically (``user_id``, ``item_id``, ``type``, ``timestamp``,
``title``, ...) are used as they are and the kind of file (events, items or users) is inferred from them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.data.loaders.delimited import read_delimited, sniff_delimiter
from shopmind.data.loaders.frames import REJECT_KIND, Kind
from shopmind.data.loaders.jsonlines import (
    JsonRecords,
    read_flat_json_lines,
    read_json_array,
    read_json_lines,
)
from shopmind.data.loaders.mapping import ColumnMapping, apply_mapping
from shopmind.data.loaders.textio import check_file, head_lines, plain_name
from shopmind.errors import DataError


def effective_mapping(mapping: ColumnMapping | dict[str, Any] | None, **overrides: Any) -> ColumnMapping:
    """The mapping with reader options (``delimiter=";"``, ...) laid over it; dicts are validated."""
    if isinstance(mapping, ColumnMapping):
        base = mapping.model_dump(exclude_unset=True)
    else:
        base = dict(mapping or {})
    base.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ColumnMapping.model_validate(base)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'mapping'}: {e['msg'].removeprefix('Value error, ')} "
            f"(got {e['input']!r})" for e in exc.errors())
        raise DataError(f"invalid column mapping: {problems}") from None


def result(source: str, fmt: str, kind: Kind, frame: pd.DataFrame, rejects: list[Reject]) -> ReadResult:
    """A :class:`ReadResult` with ``frame`` in the slot of its kind and the rejects labelled with it."""
    label = REJECT_KIND[kind]
    rejects = [r if r.kind == label else dataclasses.replace(r, kind=label) for r in rejects]
    out = ReadResult(source=source, rejects=rejects, format=fmt)
    setattr(out, kind, frame)
    return out


MappingLike = ColumnMapping | dict[str, Any] | None


def read_csv(path: Path, mapping: MappingLike = None, *, delimiter: str | None = None,
             encoding: str | None = None, header: bool | None = None, names: list[str] | None = None,
             kind: Kind | None = None, event_type: str | None = None) -> ReadResult:
    """Read a delimited text file (``,`` ``;`` ``|`` or tab, sniffed from the header when not given).

    >>> m = ColumnMapping(user_id="visitor", event_type="click")   # doctest: +SKIP
    >>> read_csv(Path("clicks.csv"), m).events.columns.tolist()     # doctest: +SKIP
    ['user_id', 'item_id', 'type', 'timestamp', '_source', '_row']
    """
    m = effective_mapping(mapping, delimiter=delimiter, encoding=encoding, header=header, names=names,
                          kind=kind, event_type=event_type)
    check_file(path)
    sep = m.delimiter
    if sep is None:
        first = head_lines(path, 1, m.encoding)
        is_tsv = plain_name(path).endswith((".tsv", ".tab"))
        sep = "\t" if is_tsv else sniff_delimiter(first[0] if first else "")
    raw = read_delimited(path, delimiter=sep, encoding=m.encoding, header=m.header, names=m.names)
    frame_kind, frame = apply_mapping(raw.frame, m, raw.source)
    return result(raw.source, "csv", frame_kind, frame, raw.rejects)


def read_tsv(path: Path, mapping: MappingLike = None, *, encoding: str | None = None,
             header: bool | None = None, names: list[str] | None = None, kind: Kind | None = None,
             event_type: str | None = None) -> ReadResult:
    """:func:`read_csv` with a tab delimiter."""
    res = read_csv(path, mapping, delimiter="\t", encoding=encoding, header=header, names=names, kind=kind,
                   event_type=event_type)
    res.format = "tsv"
    return res


def _series(values: list[Any]) -> pd.Series:
    """Numbers and text get a proper dtype (fast downstream); anything mixed or nested stays object."""
    try:
        s = pd.Series(values)
    except (TypeError, ValueError):
        return pd.Series(values, dtype=object)
    return s if s.dtype != bool else pd.Series(values, dtype=object)


def records_frame(recs: JsonRecords) -> pd.DataFrame:
    """Raw frame of JSON records: one column per key (values as parsed) plus ``_row``."""
    data = {k: _series(recs.column(k)) for k in recs.keys()}  # noqa: SIM118 - a method, not a dict
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(recs.rows)))
    frame["_row"] = np.asarray(recs.rows, dtype=np.int64)
    return frame


def read_jsonl(path: Path, mapping: MappingLike = None, *, kind: Kind | None = None,
               event_type: str | None = None) -> ReadResult:
    """Read JSON Lines (or a file holding one JSON array of objects); bad lines become rejects.

    >>> read_jsonl(Path("events.jsonl")).counts()     # doctest: +SKIP
    {'events': 3, 'items': 0, 'users': 0, 'rejected': 1}
    """
    m = effective_mapping(mapping, kind=kind, event_type=event_type)
    check_file(path)
    first = head_lines(path, 1, m.encoding)
    source = str(path)
    if bool(first) and first[0].lstrip().startswith("["):
        recs = read_json_array(path)
        raw, rejects = records_frame(recs), recs.rejects
    else:
        flat = read_flat_json_lines(path)
        if flat is not None:
            raw, rejects = flat, []
        else:
            recs = read_json_lines(path)
            raw, rejects = records_frame(recs), recs.rejects
    frame_kind, frame = apply_mapping(raw, m, source)
    return result(source, "jsonl", frame_kind, frame, rejects)


def read_parquet(path: Path, mapping: MappingLike = None, *, kind: Kind | None = None,
                 event_type: str | None = None) -> ReadResult:
    """Read a Parquet file (or a directory of them); ``_row`` is the 1-based row position.

    >>> read_parquet(Path("items.parquet")).items.columns.tolist()[:2]   # doctest: +SKIP
    ['item_id', 'title']
    """
    import pyarrow as pa  # lazy: pyarrow loads only for Parquet files
    import pyarrow.parquet as pq

    m = effective_mapping(mapping, kind=kind, event_type=event_type)
    if not path.exists():
        raise DataError("no such file or directory", source=str(path))
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({exc})", source=str(path)) from None
    raw = table.to_pandas()
    raw["_row"] = np.arange(1, len(raw) + 1, dtype=np.int64)
    frame_kind, frame = apply_mapping(raw, m, str(path))
    return result(str(path), "parquet", frame_kind, frame, [])

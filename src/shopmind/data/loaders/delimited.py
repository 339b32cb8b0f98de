"""The one delimited-text engine (CSV, TSV, ``|`` and friends) behind every tabular reader.

It returns raw string columns plus the exact line number of every row, and turns rows it cannot split
(wrong field count, a truncated last line, a broken quote) into :class:`Reject` entries carrying the raw
line. Empty fields are read as missing values.

Two paths give the same answer:

- a fast one with ``pyarrow.csv`` (about a second per million rows), used when every line of the file is
  exactly one record, which is checked by counting lines;
- an exact one with the :mod:`csv` module, for files with blank lines in the middle, quoted newlines,
  broken gzip streams or undecodable bytes.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from shopmind.data.loaders.base import Reject
from shopmind.data.loaders.textio import (
    STREAM_ERRORS,
    WHOLE_ROW,
    NumberedLines,
    decode_error,
    open_binary,
    open_text,
    raw_lines,
    stream_reject,
)
from shopmind.errors import DataError

log = logging.getLogger(__name__)

_BOM = "\ufeff"


@dataclass
class RawTable:
    """Raw string columns (missing values as NaN) in file order, a ``_row`` column and the rejects."""

    source: str
    frame: pd.DataFrame
    columns: list[str]
    rejects: list[Reject] = field(default_factory=list)


def _field_reason(found: int, expected: int, last: bool) -> str:
    reason = f"expected {expected} fields, found {found}"
    if last and found < expected:
        return "truncated last line: " + reason + " (the file may have been cut off)"
    return "wrong field count: " + reason


def check_encoding(encoding: str, source: str) -> None:
    """Raise :class:`DataError` unless Python knows the codec ``encoding``."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r}; expected a codec name such as 'utf-8' or 'latin-1'",
                        source=source, value=encoding) from None


def _header_names(path: Path, delimiter: str, encoding: str, quote: bool) -> list[str]:
    with open_text(path, encoding) as f:
        try:
            first = f.readline()
        except UnicodeDecodeError as exc:
            raise decode_error(str(path), 1, encoding, exc) from None
    quoting: Literal[0, 3] = csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE
    row = next(csv.reader([first.rstrip("\r\n")], delimiter=delimiter, quoting=quoting), [])
    if not row:
        raise DataError("the file is empty or its first line (the header) is blank", source=str(path), row=1)
    row[0] = row[0].lstrip(_BOM)
    return [c.strip() for c in row]


def read_delimited(path: Path, *, delimiter: str = ",", encoding: str = "utf-8", header: bool = True,
                   names: Sequence[str] | None = None, quote: bool = True, kind: str = "event") -> RawTable:
    """Read a delimited text file into raw string columns with exact line numbers.

    Parameters
    ----------
    path : the file (gzip is decompressed transparently).
    delimiter : one character.
    header : whether line 1 names the columns; ``names`` replaces those names (or names a header-less file).
    quote : honour ``"`` quoting (``False`` for formats such as RecBole and MovieLens that never quote).
    kind : ``event``/``item``/``user``, recorded on rejects.

    >>> t = read_delimited(Path("events.csv"))                  # doctest: +SKIP
    >>> list(t.frame.columns), t.rejects[0].row                 # doctest: +SKIP
    (['user_id', 'item_id', 'type', 'timestamp', '_row'], 7)
    """
    if len(delimiter) != 1:
        raise DataError(f"the delimiter must be one character, got {delimiter!r}", source=str(path))
    check_encoding(encoding, str(path))
    if header:
        cols = _header_names(path, delimiter, encoding, quote)
        if names is not None:
            if len(names) != len(cols):
                raise DataError(f"{len(names)} column names given but the header has {len(cols)} columns "
                                f"({cols})", source=str(path), row=1)
            cols = list(names)
    elif names is not None:
        cols = list(names)
    else:
        raise DataError("a file without a header needs column names", source=str(path))
    table = _read_fast(path, cols, delimiter, encoding, header, quote, kind)
    if table is None:
        log.debug("%s: exact csv-module path", path)
        table = _read_exact(path, cols, delimiter, encoding, header, quote, kind)
    return table


def _read_fast(path: Path, cols: list[str], delimiter: str, encoding: str, header: bool, quote: bool,
               kind: str) -> RawTable | None:
    """pyarrow path; ``None`` when its record numbers would not be line numbers (or it fails)."""
    source = str(path)
    try:
        with open_binary(path) as f:
            data = f.read()
    except STREAM_ERRORS:
        return None
    body = data.rstrip(b"\r\n")
    n_lines = body.count(b"\n") + 1 if body else 0
    if b"\n\n" in body or b"\n\r\n" in body:
        return None  # blank lines inside: record numbers would drift from line numbers
    bad: list[tuple[int | None, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.actual_columns, row.text))
        return "skip"

    width = len(cols)
    internal = [f"c{i}" for i in range(width)]  # header names may repeat or be empty
    try:
        tbl = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=internal, skip_rows=1 if header else 0,
                                           encoding=encoding, use_threads=False, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"' if quote else False,
                                             newlines_in_values=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in internal},
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        log.debug("%s: pyarrow could not read it (%s)", path, exc)
        return None
    first = 2 if header else 1
    if first - 1 + tbl.num_rows + len(bad) != n_lines or any(b[0] is None for b in bad):
        return None
    if quote and any('"' in b[2] for b in bad):
        return None  # maybe a quoted newline, which this path splits: let the csv module decide
    # pyarrow numbers records from 1 at the first line of the file, skipped header included
    bad_rows = np.array([b[0] for b in bad], dtype=np.int64)
    rows = np.arange(first, n_lines + 1, dtype=np.int64)
    if len(bad_rows):
        rows = rows[~np.isin(rows, bad_rows)]
    frame = tbl.rename_columns(cols).to_pandas() if len(set(cols)) == width else \
        pd.DataFrame({c: tbl.column(i).to_pandas() for i, c in enumerate(internal)}).set_axis(cols, axis=1)
    frame["_row"] = rows
    rejects = [Reject(source, int(r), WHOLE_ROW, text, _field_reason(found, width, int(r) == n_lines), kind)
               for r, (_, found, text) in zip(bad_rows, bad, strict=True)]
    return RawTable(source, frame, cols, rejects)


def _read_exact(path: Path, cols: list[str], delimiter: str, encoding: str, header: bool, quote: bool,
                kind: str) -> RawTable:
    """csv-module path: slower, exact line numbers in every case."""
    source = str(path)
    width = len(cols)
    flat: list[str] = []  # row after row; column i is flat[i::width]
    numbers: list[int] = []
    bad: list[tuple[int, int, int | None, str]] = []  # (first line, last line, fields found, csv error)
    quoting: Literal[0, 3] = csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE
    stream_failure: Reject | None = None
    with open_text(path, encoding) as f:
        reader = csv.reader(f, delimiter=delimiter, quoting=quoting)
        prev = last_record = 0
        skip_header = header
        while True:
            try:
                for row in reader:
                    start, prev = prev + 1, reader.line_num
                    if not row:
                        continue
                    last_record = prev
                    if skip_header:
                        skip_header = False
                        continue
                    if len(row) != width:
                        bad.append((start, prev, len(row), ""))
                        continue
                    flat.extend(row)
                    numbers.append(start)
                break
            except csv.Error as exc:
                bad.append((prev + 1, reader.line_num, None, f"unparsable row ({exc})"))
                prev = last_record = reader.line_num
            except STREAM_ERRORS as exc:
                stream_failure = stream_reject(source, prev + 1, exc, kind)
                break
            except UnicodeDecodeError as exc:
                raise decode_error(source, prev + 1, encoding, exc) from None
    texts = raw_lines(path, {b[0]: b[1] for b in bad}, encoding)
    rejects = []
    for first, last, found, error in bad:
        reason = error if found is None else _field_reason(found, width, last == last_record)
        if found is not None and last > first:
            reason = f"a quoted field spans lines {first}-{last} and may never be closed; {reason}"
        rejects.append(Reject(source, first, WHOLE_ROW, texts.get(first), reason, kind))
    if stream_failure is not None:
        rejects.append(stream_failure)
    arrays = [pa.array(flat[i::width], type=pa.string()) for i in range(width)]
    frame = pa.table(arrays, names=[f"c{i}" for i in range(width)]).to_pandas()
    frame = frame.mask(frame == "") if len(frame) else frame
    frame.columns = pd.Index(cols)
    frame["_row"] = np.asarray(numbers, dtype=np.int64)
    return RawTable(source, frame, cols, rejects)


def sniff_delimiter(line: str, candidates: str = ",\t;|") -> str:
    """The candidate that occurs most often in a header line (``,`` when none does)."""
    counts = {c: line.count(c) for c in candidates}
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","


def read_split_lines(path: Path, *, separator: str | None, names: Sequence[str], encoding: str = "utf-8",
                     kind: str = "event") -> RawTable:
    """Header-less lines split on a multi-character ``separator`` (``"::"``) or on whitespace (``None``).

    No quoting; a line with the wrong number of fields is a reject carrying the raw line.

    >>> read_split_lines(Path("ratings.dat"), separator="::", names=["u", "i", "r", "t"])  # doctest: +SKIP
    """
    source = str(path)
    check_encoding(encoding, source)
    width = len(names)
    flat: list[str] = []
    numbers: list[int] = []
    bad: list[tuple[int, str, int]] = []
    lines = NumberedLines(path, encoding, kind)
    for n, line in lines:
        parts = line.split(separator)
        if len(parts) != width:
            bad.append((n, line, len(parts)))
            continue
        flat.extend(parts)
        numbers.append(n)
    rejects = [Reject(source, n, WHOLE_ROW, line,
                      _field_reason(found, width, lines.is_last(n) and not lines.last_complete), kind)
               for n, line, found in bad]
    rejects.extend(lines.rejects)
    arrays = [pa.array(flat[i::width], type=pa.string()) for i in range(width)]
    frame = pa.table(arrays, names=[f"c{i}" for i in range(width)]).to_pandas()
    frame = frame.mask(frame == "") if len(frame) else frame
    frame.columns = pd.Index(list(names))
    frame["_row"] = np.asarray(numbers, dtype=np.int64)
    return RawTable(source, frame, list(names), rejects)


def rejoin_split_rows(table: RawTable, delimiter: str) -> RawTable:
    """Join rows that a line break inside a field split in two, in formats that never quote.

    Unquoted TSV cannot hold a line break in a field, yet real files do (a title typed with Enter in it).
    Consecutive short rows whose fields add up to exactly one row are joined back, the break kept as ``\\n``;
    the row keeps the number of its first line. Anything else stays rejected.
    """
    width = len(table.columns)
    short = {r.row: r.value for r in table.rejects if r.field == WHOLE_ROW and isinstance(r.value, str)}
    joined: list[tuple[int, list[str]]] = []
    used: set[int] = set()
    for first in sorted(short):
        if first in used:
            continue
        parts, nxt = short[first].split(delimiter), first + 1
        while len(parts) < width and nxt in short:
            more = short[nxt].split(delimiter)
            parts = [*parts[:-1], parts[-1] + "\n" + more[0], *more[1:]]
            nxt += 1
        if len(parts) == width and nxt > first + 1:
            used.update(range(first, nxt))
            joined.append((first, parts))
            log.info("%s: lines %d-%d are one row with a line break inside a field; joined", table.source,
                     first, nxt - 1)
    if not joined:
        return table
    extra = pd.DataFrame([parts for _, parts in joined], columns=table.columns, dtype="str")
    extra = extra.mask(extra == "")
    extra["_row"] = np.asarray([first for first, _ in joined], dtype=np.int64)
    frame = pd.concat([table.frame, extra], ignore_index=True).sort_values("_row", kind="stable")
    rejects = [r for r in table.rejects if r.row not in used]
    return RawTable(table.source, frame.reset_index(drop=True), table.columns, rejects)

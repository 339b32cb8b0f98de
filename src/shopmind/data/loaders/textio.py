"""Opening input files (plain or gzip), sniffing their first lines and iterating lines with numbers.

Compression is recognised by the gzip magic bytes, not only by the ``.gz`` suffix, so a misnamed file still
reads. A gzip stream that ends early keeps the rows read so far and adds one :class:`Reject` for the rest.
"""

from __future__ import annotations

import gzip
import io
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from shopmind.data.loaders.base import Reject
from shopmind.errors import DataError

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
#: Exceptions a broken gzip stream raises while it is being read.
STREAM_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)
#: The ``field`` of a reject that concerns the whole row rather than one value.
WHOLE_ROW = "_row"


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes."""
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def plain_name(path: Path) -> str:
    """The file name in lower case without a trailing ``.gz``: ``"u.data"``, ``"events.csv"``."""
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def check_file(path: Path) -> None:
    """Raise :class:`DataError` unless ``path`` is a readable file whose compression matches its name."""
    if not path.exists():
        raise DataError("no such file or directory", source=str(path))
    if not path.is_file():
        raise DataError("expected a file, found a directory", source=str(path))
    if path.name.lower().endswith(".gz") and not is_gzip(path):
        raise DataError("the name ends with .gz but the content is not gzip data (wrong magic bytes); "
                        "decompress or rename it", source=str(path))


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing gzip transparently."""
    check_file(path)
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def open_text(path: Path, encoding: str = "utf-8") -> TextIO:
    """Open ``path`` as text (newlines kept as they are, for the csv module), gunzipping if needed."""
    return io.TextIOWrapper(open_binary(path), encoding=encoding, newline="")


def read_bytes(path: Path) -> bytes:
    """The whole (decompressed) content; a broken gzip stream raises :class:`DataError`."""
    with open_binary(path) as f:
        try:
            return f.read()
        except STREAM_ERRORS as exc:
            raise DataError(f"the gzip stream is truncated or corrupt ({exc})", source=str(path)) from None


def head_lines(path: Path, n: int = 20, encoding: str = "utf-8") -> list[str]:
    """Up to ``n`` first non-blank lines (without line ends) for sniffing; never raises on bad bytes."""
    out: list[str] = []
    try:
        with io.TextIOWrapper(open_binary(path), encoding=encoding, errors="replace", newline="") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if line.strip():
                    out.append(line)
                    if len(out) >= n:
                        break
    except (*STREAM_ERRORS, OSError) as exc:
        log.debug("sniffing %s stopped early: %s", path, exc)
    return out


def stream_reject(source: str, row: int, exc: BaseException, kind: str) -> Reject:
    """The reject recorded when a compressed stream breaks at ``row``: nothing after it can be read."""
    return Reject(source, row, WHOLE_ROW, None,
                  f"the gzip stream is truncated or corrupt from here on ({exc}); later rows are lost", kind)


def decode_error(source: str, row: int, encoding: str, exc: UnicodeDecodeError) -> DataError:
    """A clear error for bytes that are not valid in ``encoding``."""
    return DataError(f"the bytes near this line are not valid {encoding} ({exc.reason}); pass "
                     f"encoding='latin-1' (or the file's real encoding) to read it", source=source, row=row,
                     value=exc.object[exc.start:exc.end])


class NumberedLines:
    """Iterate ``(line_number, text)`` over a text file, skipping blank lines; line ends are stripped.

    A broken gzip stream stops the iteration and adds a reject to :attr:`rejects`; after the loop
    :attr:`last_complete` says whether the last line ended with a newline (if not, the file may have been
    cut off mid-line).

    >>> lines = NumberedLines(Path("u.data"))              # doctest: +SKIP
    >>> [n for n, text in lines][:2]                        # doctest: +SKIP
    [1, 2]
    """

    def __init__(self, path: Path, encoding: str = "utf-8", kind: str = "event") -> None:
        self.path, self.encoding, self.kind = path, encoding, kind
        self.rejects: list[Reject] = []
        self.last_complete = True
        self.last_number = 0

    def __iter__(self) -> Iterator[tuple[int, str]]:
        source = str(self.path)
        n = 0
        with open_text(self.path, self.encoding) as f:
            try:
                for raw in f:
                    n += 1
                    line = raw.rstrip("\r\n")
                    self.last_complete = len(line) != len(raw)
                    if line.strip():
                        self.last_number = n
                        yield n, line
            except STREAM_ERRORS as exc:
                self.rejects.append(stream_reject(source, n + 1, exc, self.kind))
            except UnicodeDecodeError as exc:
                raise decode_error(source, n + 1, self.encoding, exc) from None

    def is_last(self, number: int) -> bool:
        """True when ``number`` is the last non-blank line read (valid once the loop is done)."""
        return number == self.last_number


def raw_lines(path: Path, wanted: dict[int, int], encoding: str = "utf-8") -> dict[int, str]:
    """The raw text of line ranges ``{first_line: last_line}`` (joined with newlines), for reject values."""
    out: dict[int, str] = {}
    if not wanted:
        return out
    ends = {last: first for first, last in wanted.items()}
    stop = max(wanted.values())
    parts: dict[int, list[str]] = {}
    open_ranges: set[int] = set()
    try:
        with io.TextIOWrapper(open_binary(path), encoding=encoding, errors="replace", newline="") as f:
            for n, raw in enumerate(f, start=1):
                if n in wanted:
                    open_ranges.add(n)
                    parts[n] = []
                for first in open_ranges:
                    parts[first].append(raw.rstrip("\r\n"))
                if n in ends:
                    first = ends[n]
                    open_ranges.discard(first)
                    out[first] = "\n".join(parts.pop(first))
                if n >= stop:
                    break
    except STREAM_ERRORS:
        pass
    for first, lines in parts.items():  # ranges cut short by the end of the file
        out[first] = "\n".join(lines)
    return out

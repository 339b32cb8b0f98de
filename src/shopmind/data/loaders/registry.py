"""The format registry: one name per format, detection from names and first lines, and :func:`read`."""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopmind.data.loaders import amazon, generic, movielens, recbole, sequence, shoplogs
from shopmind.data.loaders.base import ReadResult
from shopmind.data.loaders.delimited import sniff_delimiter
from shopmind.data.loaders.mapping import ColumnMapping
from shopmind.data.loaders.textio import check_file, head_lines, plain_name
from shopmind.errors import DataError, ParameterError
from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Format:
    """A readable format: its name for ``format=``, the reader, one line of help and other accepted names."""

    name: str
    reader: Callable[..., ReadResult]
    summary: str
    aliases: tuple[str, ...] = ()
    uses_mapping: bool = False

    def options(self) -> list[str]:
        """The keyword options its reader accepts."""
        params = inspect.signature(self.reader).parameters.values()
        return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("csv", generic.read_csv, "delimited text with a header (, ; | or tab), any columns via a mapping",
           uses_mapping=True),
    Format("tsv", generic.read_tsv, "tab-separated text with a header, any columns via a mapping",
           uses_mapping=True),
    Format("jsonl", generic.read_jsonl, "JSON Lines (or one JSON array of objects), keys via a mapping",
           aliases=("json", "ndjson"), uses_mapping=True),
    Format("parquet", generic.read_parquet, "Parquet file or directory, columns via a mapping",
           uses_mapping=True),
    Format("movielens-100k", movielens.read_movielens_100k, "MovieLens 100K: u.data, u.item, u.user",
           aliases=("ml-100k", "ml100k")),
    Format("movielens-1m", movielens.read_movielens_1m,
           "MovieLens 1M/10M: ratings.dat, movies.dat, users.dat",
           aliases=("ml-1m", "ml1m", "ml-10m", "movielens-10m")),
    Format("movielens-csv", movielens.read_movielens_csv,
           "MovieLens CSV releases (20M, 25M, 32M, latest): ratings.csv, movies.csv", aliases=("ml-latest",)),
    Format("recbole", recbole.read_recbole, "RecBole atomic files: NAME.inter, NAME.item, NAME.user",
           aliases=("atomic",)),
    Format("amazon-2014", amazon.read_amazon, "Amazon reviews/metadata 2014 and 2018 (reviewerID, asin)",
           aliases=("amazon", "amazon-2018")),
    Format("amazon-2023", amazon.read_amazon, "Amazon reviews/metadata 2023 (user_id, parent_asin)"),
    Format("retailrocket", shoplogs.read_retailrocket, "RetailRocket events.csv", aliases=("retail-rocket",)),
    Format("taobao", shoplogs.read_taobao, "Taobao UserBehavior CSV without header",
           aliases=("userbehavior", "taobao-user-behavior")),
    Format("rees46", shoplogs.read_rees46, "REES46 multi-category store CSV"),
    Format("sequence", sequence.read_sequences, "one line per user: user item item ... (time = position)",
           aliases=("sequences", "user-sequence")),
    Format("pairs", sequence.read_pairs, "one 'user item' per line, chronological per user (SASRec style)",
           aliases=("sasrec",)),
)}

#: Formats whose reader takes one file; given a directory with one data file, that file is read.
SINGLE_FILE_FORMATS = frozenset({"csv", "tsv", "jsonl", "taobao", "rees46", "pairs"})
_ALIASES: dict[str, str] = {a: f.name for f in FORMATS.values() for a in (f.name, *f.aliases)}
_CANONICAL = set(EVENT_COLUMNS) | set(ITEM_COLUMNS) | set(USER_COLUMNS)
_ML100K_SPLIT = re.compile(r"^u(\d|a|b)?\.(data|base|test)$")


def supported_formats() -> str:
    """``"csv, tsv, jsonl, ..."`` for messages."""
    return ", ".join(FORMATS)


def get_format(name: str) -> Format:
    """The :class:`Format` called ``name`` (or one of its aliases), case-insensitive."""
    key = name.strip().lower().replace("_", "-")
    if key not in _ALIASES:
        raise DataError(f"unknown format {name!r}; supported formats: {supported_formats()} (or 'auto')")
    return FORMATS[_ALIASES[key]]


# --------------------------------------------------------------------------------------- detection
def _detect_dir(path: Path) -> str:
    names = {plain_name(p): p for p in path.iterdir() if p.is_file()}
    if "u.data" in names:
        return "movielens-100k"
    if {"ratings.dat", "movies.dat"} & names.keys():
        return "movielens-1m"
    if any(n.endswith(".inter") for n in names):
        return "recbole"
    if "ratings.csv" in names and "movieId" in (head_lines(names["ratings.csv"], 1) or [""])[0]:
        return "movielens-csv"
    if "events.csv" in names and _detect_file(names["events.csv"]) == "retailrocket":
        return "retailrocket"
    if set(sequence.SEQUENCE_NAMES) & names.keys():
        return "sequence"
    data = _data_files(path)
    found = {p.name: _detect_file_or_none(p) for p in data}
    amazon_formats = [f for f in found.values() if f and f.startswith("amazon")]
    if amazon_formats:
        return amazon_formats[0]
    only = found[data[0].name] if len(data) == 1 else None
    if only is not None:
        return only
    raise DataError(f"cannot tell the format of this directory (files: {sorted(found) or 'none'}); pass "
                    f"format= one of: {supported_formats()}, or read the files one by one", source=str(path))


def _data_files(path: Path) -> list[Path]:
    """The files of a directory that may hold data (not hidden files, READMEs or item tables)."""
    return sorted(p for p in path.iterdir() if p.is_file() and not plain_name(p).startswith((".", "readme"))
                  and plain_name(p) not in sequence.ITEM_TABLE_NAMES)


def _detect_file_or_none(path: Path) -> str | None:
    try:
        return _detect_file(path)
    except DataError:
        return None


def _mostly(lines: list[str], test: Callable[[str], bool]) -> bool:
    """True when the first sniffed line and all others but one in five pass: a broken line must not hide
    the format."""
    return bool(lines) and test(lines[0]) and sum(map(test, lines)) >= len(lines) - max(1, len(lines) // 5)


def _is_taobao_row(line: str) -> bool:
    fields = line.split(",")
    return len(fields) == 5 and fields[3] in shoplogs.TAOBAO_TYPES


def _detect_file(path: Path) -> str:
    check_file(path)
    name = plain_name(path)
    suffix = Path(name).suffix
    if _ML100K_SPLIT.match(name) or name in ("u.item", "u.user"):
        return "movielens-100k"
    if name in ("ratings.dat", "movies.dat", "users.dat"):
        return "movielens-1m"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    head = head_lines(path, 20)
    if not head:
        raise DataError("the file is empty", source=str(path))
    first = head[0].lstrip("\ufeff")
    if suffix in recbole.SUFFIXES and recbole.is_atomic_header(first):
        return "recbole"
    if suffix in (".json", ".jsonl", ".ndjson") or first.lstrip().startswith(("{", "[")):
        kind = amazon.sniff(path)
        return "jsonl" if kind is None else f"amazon-{kind[0]}"
    header = [c.strip().strip('"') for c in first.split(",")]
    if tuple(header) == shoplogs.RETAILROCKET_COLUMNS:
        return "retailrocket"
    if tuple(header[:3]) == shoplogs.REES46_COLUMNS[:3]:
        return "rees46"
    if header[:2] == ["userId", "movieId"]:
        return "movielens-csv"
    if len(header) == 5 and header[3] in shoplogs.TAOBAO_TYPES and _mostly(head, _is_taobao_row):
        return "taobao"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix == ".csv":
        return "csv"
    sep = sniff_delimiter(first)
    if sep != "," or "," in first:
        cols = {c.strip() for c in first.split(sep)}
        if cols & _CANONICAL:
            return "tsv" if sep == "\t" else "csv"
    if name in sequence.SEQUENCE_NAMES:
        return "sequence"
    if _mostly(head, lambda line: len(line.split()) == 2):
        return "pairs"
    if _mostly(head, lambda line: len(line.split()) >= 2):
        return "sequence"
    raise DataError(f"cannot tell the format of this file from its name and first line {first[:80]!r}; pass "
                    f"format= one of: {supported_formats()}", source=str(path))


def detect_format(path: str | Path) -> str:
    """The name of the format of a file or directory, from file names and the first lines.

    Raises :class:`DataError` listing the supported formats when it cannot tell.

    >>> detect_format("ml-100k/u.data")          # doctest: +SKIP
    'movielens-100k'
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError("no such file or directory", source=str(p))
    return _detect_dir(p) if p.is_dir() else _detect_file(p)


# --------------------------------------------------------------------------------------- reading
def read(path: str | Path, format: str = "auto", mapping: ColumnMapping | dict[str, Any] | None = None,
         **options: Any) -> ReadResult:
    """Read a file or directory in any supported format into canonical frames (see :mod:`.base`).

    Parameters
    ----------
    path : the file (gzip is decompressed transparently) or a dataset directory.
    format : a name from :data:`FORMATS` (or an alias), or ``"auto"`` to detect it.
    mapping : a :class:`ColumnMapping` (or a dict of its fields) for csv, tsv, jsonl and parquet.
    options : format options, e.g. ``delimiter=";"``, ``items="items.tsv"``, ``meta="meta_Beauty.json"``,
        ``event_type="view"``; an unknown option raises :class:`ParameterError` listing the known ones.

    >>> res = read("data/ml-100k")                                     # doctest: +SKIP
    >>> res.format, res.counts()                                        # doctest: +SKIP
    ('recbole', {'events': 100000, 'items': 1682, 'users': 943, 'rejected': 0})
    >>> res = read("clicks.csv", mapping={"user_id": "visitor", "event_type": "click"})   # doctest: +SKIP
    """
    p = Path(path).expanduser()
    fmt = get_format(detect_format(p) if format == "auto" else format)
    if not p.exists():
        raise DataError("no such file or directory", source=str(p))
    allowed = fmt.options()
    for key, value in options.items():
        if key not in allowed:
            raise ParameterError(f"read(format={fmt.name!r})", key, value,
                                 f"one of its options ({', '.join(allowed) or 'none'})")
    if mapping is not None and not fmt.uses_mapping:
        users = ", ".join(f.name for f in FORMATS.values() if f.uses_mapping)
        raise ParameterError("read", "mapping", mapping,
                             f"None for format {fmt.name!r} (mappings are for {users})")
    if p.is_dir() and fmt.name in SINGLE_FILE_FORMATS:
        files = _data_files(p)
        if len(files) != 1:
            raise DataError(f"format {fmt.name!r} reads one file, and this directory holds {len(files)} "
                            f"({[f.name for f in files]}); pass the file", source=str(p))
        p = files[0]
    start = time.perf_counter()
    res = fmt.reader(p, mapping, **options) if fmt.uses_mapping else fmt.reader(p, **options)
    log.info("read %s as %s in %.2fs: %s", p, res.format, time.perf_counter() - start, res.counts())
    return res

"""RecBole atomic files: ``NAME.inter``, ``NAME.item``, ``NAME.user`` (tab-separated, never quoted).

The header names each column with its type, ``name:type``; types are ``token``, ``token_seq`` (space
separated), ``float`` and ``float_seq``. Known columns map onto canonical fields; every other column goes
into ``context`` (interactions) or ``attributes`` (items, users), ``float`` ones as numbers.

=====================================  ==============================================
RecBole column                          canonical field
=====================================  ==============================================
``user_id``, ``item_id``                ``user_id``, ``item_id``
``rating`` / ``label``                  ``value`` (events of type ``rating``)
``timestamp``                           ``timestamp`` (epoch seconds)
``session_id``                          ``session_id``
``movie_title``, ``title``, ``name``    item ``title``
``class``, ``genre``, ``genres``        item ``category``, tokens joined with ``|``
``categories``, ``category``            item ``category`` as written
``brand``, ``price``, ``description``   the item field of that name
=====================================  ==============================================
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.data.loaders.delimited import RawTable, read_delimited, rejoin_split_rows
from shopmind.data.loaders.frames import canonical_frame, dict_column, numeric_or_raw
from shopmind.data.loaders.textio import plain_name
from shopmind.errors import DataError

log = logging.getLogger(__name__)

SUFFIXES = (".inter", ".item", ".user")
ATOMIC_TYPES = ("token", "token_seq", "float", "float_seq")
_TITLE = ("movie_title", "title", "name")
_TAGS = ("class", "genre", "genres")
_PATH = ("categories", "category")


def is_atomic_header(line: str) -> bool:
    """True for a RecBole header such as ``user_id:token\titem_id:token``."""
    cols = line.split("\t")
    return all(c.partition(":")[2].strip() in ATOMIC_TYPES for c in cols)


def _read_atomic(path: Path, kind: str) -> tuple[RawTable, dict[str, str]]:
    """Raw columns named without their type, and ``{name: type}``."""
    raw = rejoin_split_rows(read_delimited(path, delimiter="\t", quote=False, kind=kind), "\t")
    names, types = [], {}
    for col in raw.columns:
        name, _, typ = col.partition(":")
        if not typ:
            raise DataError(f"header column {col!r} has no ':type' suffix; expected RecBole atomic headers "
                            "such as 'user_id:token'", source=raw.source, row=1, field=col)
        names.append(name)
        types[name] = typ
    raw.frame.columns = pd.Index([*names, "_row"])
    return raw, types


def _bag(f: pd.DataFrame, types: dict[str, str], used: set[str]) -> list[Any] | None:
    rest = [c for c in types if c not in used]
    if not rest:
        return None
    cols = {c: numeric_or_raw(f[c]) if types[c] == "float" else f[c] for c in rest}
    return dict_column(cols, len(f))


def _inter(path: Path, event_type: str | None) -> tuple[pd.DataFrame, list[Reject]]:
    raw, types = _read_atomic(path, "event")
    f = raw.frame
    for need in ("user_id",):
        if need not in types:
            raise DataError(f"no {need!r} column; columns found: {list(types)}", source=raw.source, row=1)
    data: dict[str, Any] = {"user_id": f["user_id"]}
    used = {"user_id", "item_id", "timestamp", "session_id"}
    if "item_id" in types:
        data["item_id"] = f["item_id"]
    value_col = next((c for c in ("rating", "label") if c in types), None)
    if value_col is not None:
        data["value"] = numeric_or_raw(f[value_col])
        used.add(value_col)
    data["type"] = event_type or ("rating" if value_col == "rating" else "click")
    if "timestamp" in types:
        data["timestamp"] = numeric_or_raw(f["timestamp"])
    if "session_id" in types:
        data["session_id"] = f["session_id"]
    data["context"] = _bag(f, types, used)
    return canonical_frame("events", data, raw.source, f["_row"]), raw.rejects


def _items(path: Path) -> tuple[pd.DataFrame, list[Reject]]:
    raw, types = _read_atomic(path, "item")
    f = raw.frame
    if "item_id" not in types:
        raise DataError(f"no 'item_id' column; columns found: {list(types)}", source=raw.source, row=1)
    data: dict[str, Any] = {"item_id": f["item_id"]}
    used = {"item_id"}
    title = next((c for c in _TITLE if c in types), None)
    if title:
        data["title"] = f[title]
        used.add(title)
    tags = next((c for c in _TAGS if c in types), None)
    path_col = next((c for c in _PATH if c in types), None)
    if tags:
        data["category"] = f[tags].str.split().str.join("|")
        used.add(tags)
    elif path_col:
        data["category"] = f[path_col]
        used.add(path_col)
    for name in ("brand", "price", "description"):
        if name in types:
            data[name] = numeric_or_raw(f[name]) if name == "price" else f[name]
            used.add(name)
    data["attributes"] = _bag(f, types, used)
    return canonical_frame("items", data, raw.source, f["_row"]), raw.rejects


def _users(path: Path) -> tuple[pd.DataFrame, list[Reject]]:
    raw, types = _read_atomic(path, "user")
    f = raw.frame
    if "user_id" not in types:
        raise DataError(f"no 'user_id' column; columns found: {list(types)}", source=raw.source, row=1)
    return canonical_frame("users", {"user_id": f["user_id"], "attributes": _bag(f, types, {"user_id"})},
                           raw.source, f["_row"]), raw.rejects


def atomic_files(path: Path) -> dict[str, Path]:
    """``{".inter": path, ...}`` for a dataset directory or one of its atomic files."""
    if path.is_dir():
        inters = sorted(p for p in path.iterdir() if plain_name(p).endswith(".inter"))
        if not inters:
            raise DataError("no *.inter file in this directory", source=str(path))
        stem = path.name if any(plain_name(p) == f"{path.name.lower()}.inter" for p in inters) else None
        if stem is None and len(inters) > 1:
            raise DataError(f"several datasets here ({[p.name for p in inters]}); pass one .inter file",
                            source=str(path))
        anchor = next(p for p in inters if stem is None or plain_name(p) == f"{stem.lower()}.inter")
        return _siblings(anchor)
    suffix = Path(plain_name(path)).suffix
    if suffix not in SUFFIXES:
        raise DataError(f"not a RecBole atomic file; expected a name ending in {', '.join(SUFFIXES)}",
                        source=str(path))
    return _siblings(path) if suffix == ".inter" else {suffix: path}


def _siblings(inter: Path) -> dict[str, Path]:
    stem = plain_name(inter)[: -len(".inter")]
    out: dict[str, Path] = {}
    for p in sorted(inter.parent.iterdir()):
        name = plain_name(p)
        for suffix in SUFFIXES:
            if name == stem + suffix and suffix not in out:
                out[suffix] = p
    return out


def read_recbole(path: Path, *, event_type: str | None = None) -> ReadResult:
    """Read a RecBole dataset: its directory, its ``.inter`` file (siblings ``.item``/``.user`` come along)
    or a single ``.item``/``.user`` file.

    Interactions with a ``rating`` column are ``rating`` events; without one they are ``click`` events
    (RecBole's implicit feedback) unless ``event_type`` says otherwise.

    >>> read_recbole(Path("ml-100k")).counts()   # doctest: +SKIP
    {'events': 100000, 'items': 1682, 'users': 943, 'rejected': 0}
    """
    files = atomic_files(path)
    res = ReadResult(source=str(path), format="recbole")
    if ".inter" in files:
        res.events, rejects = _inter(files[".inter"], event_type)
        res.rejects += rejects
    if ".item" in files:
        res.items, rejects = _items(files[".item"])
        res.rejects += rejects
    if ".user" in files:
        res.users, rejects = _users(files[".user"])
        res.rejects += rejects
    return res

"""Clock-less interaction files used by next-item benchmarks.

- ``sequence``: one line per user, ``user item item ...`` in chronological order (space or tab separated),
  e.g. the P5 ``user_sequence.txt`` of Amazon Beauty;
- ``pairs``: one interaction per line, ``user item``, chronological within each user, e.g. the SASRec
  ``ml-1m.txt``.

A sequence has no clock, so ``timestamp`` is the 1-based **position** of the interaction in the user's
history (an integer; ties impossible, file order kept). Consumers must not read it as a date.

An optional item table (tab-separated with a header, e.g. ``asin p5_id title categories``) adds titles
and categories; HTML entities such as ``&amp;`` are unescaped. It is given as ``items=`` or found as a
sibling ``items.tsv``. A ``pairs`` file without one, next to the SASRec authors' ``sas_to_original_items.txt``
and MovieLens' ``movies.dat``, gets its movies' titles and genres through that map.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.data.loaders.delimited import RawTable, read_delimited, read_split_lines, rejoin_split_rows
from shopmind.data.loaders.frames import canonical_frame, dict_column
from shopmind.data.loaders.movielens import read_movies_dat
from shopmind.data.loaders.textio import WHOLE_ROW, NumberedLines, head_lines, plain_name
from shopmind.errors import DataError

log = logging.getLogger(__name__)

ITEM_TABLE_NAMES = ("items.tsv", "items.tsv.gz")
SEQUENCE_NAMES = ("user_sequence.txt", "sequential_data.txt")
_ID = ("item_id", "asin", "id", "parent_asin")
_TITLE = ("title", "name", "movie_title")
_CATEGORY = ("categories", "category", "category_path")
_SIMPLE = ("description", "brand", "price", "image")


def _positions(users: pd.Series) -> np.ndarray:
    """1-based position of each row within its user's rows, in file order."""
    return cast("np.ndarray", users.groupby(users, sort=False, dropna=False).cumcount().to_numpy(dtype=np.int64) + 1)


def read_item_table(path: Path, *, key: str | None = None) -> tuple[pd.DataFrame, list[Reject]]:
    """An item table (TSV with header): id column ``key`` (default ``item_id``/``asin``/``id`` or the first),
    ``title``, ``categories``/``category`` and the simple item fields; other columns go to ``attributes``.

    >>> items, rejects = read_item_table(Path("items.tsv"))   # doctest: +SKIP
    >>> items.loc[0, "title"]                                   # doctest: +SKIP
    'OPI Nail Lacquer, Simmer & Shimmer'
    """
    raw = rejoin_split_rows(read_delimited(path, delimiter="\t", quote=False, kind="item"), "\t")
    cols = raw.columns
    if key is not None and key not in cols:
        raise DataError(f"no id column {key!r}; columns found: {cols}", source=raw.source, row=1, field=key)
    id_col = key or next((c for c in _ID if c in cols), cols[0])
    f = raw.frame
    data: dict[str, Any] = {"item_id": f[id_col]}
    used = {id_col}
    title = next((c for c in _TITLE if c in cols), None)
    if title:
        data["title"] = f[title].map(html.unescape, na_action="ignore")
        used.add(title)
    category = next((c for c in _CATEGORY if c in cols), None)
    if category:
        data["category"] = f[category].map(html.unescape, na_action="ignore")
        used.add(category)
    for name in _SIMPLE:
        if name in cols and name not in used:
            data[name] = f[name]
            used.add(name)
    rest = [c for c in cols if c not in used]
    if rest:
        data["attributes"] = dict_column({c: f[c] for c in rest}, len(f))
    return canonical_frame("items", data, raw.source, f["_row"]), raw.rejects


SASREC_ITEM_MAP = "sas_to_original_items.txt"


def read_mapped_movies(map_path: Path, movies: Path) -> tuple[pd.DataFrame, list[Reject]]:
    """Titles and genres for a SASRec-numbered MovieLens file: ``map_path`` holds ``sasrec_id original_id``
    per line (the SASRec authors' ``sas_to_original_items.txt``), ``movies`` is MovieLens' ``movies.dat``.
    Items are keyed by the SASRec id; a map row whose original id is not in ``movies.dat`` is rejected."""
    raw = _read_two_columns(map_path, ["item_id", "original_id"], kind="item")
    movies_frame, rejects = read_movies_dat(movies)
    known = movies_frame.drop_duplicates("item_id").set_index("item_id")
    m = raw.frame
    found = m["original_id"].isin(known.index)
    rejects = list(raw.rejects) + rejects
    for row, orig in zip(m.loc[~found, "_row"], m.loc[~found, "original_id"], strict=True):
        rejects.append(Reject(raw.source, int(row), "original_id", orig,
                              f"no movie {orig!r} in {movies.name}", "item"))
    m = m[found]
    meta = known.loc[m["original_id"].to_numpy()]
    frame = canonical_frame("items", {
        "item_id": m["item_id"].reset_index(drop=True),
        "title": meta["title"].reset_index(drop=True),
        "category": meta["category"].reset_index(drop=True),
        "attributes": dict_column({"original_id": m["original_id"]}, len(m)),
    }, raw.source, m["_row"])
    return frame, rejects


def _item_table(path: Path, items: Path | str | None) -> Path | None:
    if items is not None:
        return Path(items)
    for name in ITEM_TABLE_NAMES:
        if (path.parent / name).is_file():
            log.info("%s: reading items from the sibling %s", path, name)
            return path.parent / name
    return None


def _sequence_file(path: Path) -> Path:
    if not path.is_dir():
        return path
    for name in SEQUENCE_NAMES:
        for candidate in (path / name, path / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    texts = [p for p in path.iterdir() if plain_name(p).endswith(".txt")]
    if len(texts) == 1:
        return texts[0]
    raise DataError(f"no sequence file here; expected one of {SEQUENCE_NAMES} (or a single .txt file)",
                    source=str(path))


def read_sequences(path: Path, *, items: Path | str | None = None, item_key: str | None = None,
                   event_type: str = "click") -> ReadResult:
    """Read a sequence file: ``user item item ...`` per line (the directory holding it works too).

    Parameters
    ----------
    items : an item table (TSV with header); default: a sibling ``items.tsv`` if there is one.
    item_key : the item table's column holding the ids used in the sequences (default: ``item_id``,
        ``asin``, ``id`` or its first column).
    event_type : the type of every event (``click`` by default: the data only says "interacted").

    >>> res = read_sequences(Path("user_sequence.txt"))   # doctest: +SKIP
    >>> res.events[["user_id", "item_id", "timestamp"]].head(2).values.tolist()   # doctest: +SKIP
    [['A1YJEY40YUW4SE', 'B004756YJA', 1], ['A1YJEY40YUW4SE', 'B004ZT0SSG', 2]]
    """
    path = _sequence_file(path)
    source = str(path)
    users: list[str] = []
    counts: list[int] = []
    numbers: list[int] = []
    flat: list[str] = []
    rejects: list[Reject] = []
    lines = NumberedLines(path)
    for n, line in lines:
        tokens = line.split()
        if len(tokens) < 2:
            rejects.append(Reject(source, n, WHOLE_ROW, line, "a user id without any item after it "
                                  "(expected 'user item item ...')", "event"))
            continue
        users.append(tokens[0])
        counts.append(len(tokens) - 1)
        numbers.append(n)
        flat.extend(tokens[1:])
    rejects.extend(lines.rejects)
    reps = np.asarray(counts, dtype=np.int64)
    user_col = pd.Series(np.repeat(np.asarray(users, dtype=object), reps), dtype="str")
    events = canonical_frame("events", {
        "user_id": user_col, "item_id": pd.Series(flat, dtype="str"), "type": event_type,
        "timestamp": _positions(user_col),
    }, source, np.repeat(np.asarray(numbers, dtype=np.int64), reps))
    res = ReadResult(source=source, events=events, rejects=rejects, format="sequence")
    table = _item_table(path, items)
    if table is not None:
        res.items, item_rejects = read_item_table(table, key=item_key)
        res.rejects += item_rejects
    return res


def pairs_separator(path: Path) -> str | None:
    """Tab or space when every sniffed line splits into two on it; ``None`` means any whitespace."""
    head = head_lines(path, 20)
    for sep in ("\t", " "):
        if head and all(len(line.split(sep)) == 2 for line in head):
            return sep
    return None


def _read_two_columns(path: Path, names: list[str], kind: str = "event") -> RawTable:
    """A header-less two-column file split on the separator :func:`pairs_separator` sniffs."""
    sep = pairs_separator(path)
    return (read_delimited(path, delimiter=sep, header=False, names=names, quote=False, kind=kind)
            if sep is not None else read_split_lines(path, separator=None, names=names, kind=kind))


def read_pairs(path: Path, *, items: Path | str | None = None, item_key: str | None = None,
               event_type: str = "click") -> ReadResult:
    """Read a ``user item`` per line file (SASRec style), chronological within each user.

    ``timestamp`` is the position within the user (1-based); the other options are those of
    :func:`read_sequences`.

    >>> read_pairs(Path("ml-1m_sasrec.txt.gz")).counts()   # doctest: +SKIP
    {'events': 999611, 'items': 0, 'users': 0, 'rejected': 0}
    """
    raw = _read_two_columns(path, ["user_id", "item_id"])
    f = raw.frame
    events = canonical_frame("events", {
        "user_id": f["user_id"], "item_id": f["item_id"], "type": event_type,
        "timestamp": _positions(f["user_id"]),
    }, raw.source, f["_row"])
    res = ReadResult(source=raw.source, events=events, rejects=raw.rejects, format="pairs")
    table = _item_table(path, items)
    if table is not None:
        res.items, item_rejects = read_item_table(table, key=item_key)
        res.rejects += item_rejects
    elif (path.parent / SASREC_ITEM_MAP).is_file() and (path.parent / "movies.dat").is_file():
        # the SASRec authors' MovieLens files: their item map and MovieLens' movies.dat give titles and genres
        log.info("%s: reading titles and genres from the sibling %s and movies.dat", path, SASREC_ITEM_MAP)
        res.items, item_rejects = read_mapped_movies(path.parent / SASREC_ITEM_MAP, path.parent / "movies.dat")
        res.rejects += item_rejects
    return res

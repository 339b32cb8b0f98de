"""MovieLens as GroupLens ships it: 100K (``u.data``, ``u.item``, ``u.user``), 1M/10M (``*.dat`` with ``::``)
and the CSV releases (20M, 25M, 32M, latest: ``ratings.csv``, ``movies.csv``).

Every rating becomes an event of type ``rating`` with ``value`` = the stars and ``timestamp`` in epoch
seconds. Genres become the item ``category`` joined with ``|`` (``"Action|Comedy"``): MovieLens genres are
tags, not a path.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.data.loaders.delimited import read_delimited, read_split_lines
from shopmind.data.loaders.frames import canonical_frame, dict_column, numeric_or_raw
from shopmind.data.loaders.textio import plain_name
from shopmind.errors import DataError

log = logging.getLogger(__name__)

#: Genre columns of ``u.item`` in order (``u.genre`` overrides when present).
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                 "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
                 "Sci-Fi", "Thriller", "War", "Western")
ML100K_USER_FIELDS = ["age", "gender", "occupation", "zip_code"]
ML_ENCODING = "latin-1"  # GroupLens files before the CSV releases are ISO-8859-1


def _sibling(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _ratings_frame(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    return canonical_frame("events", {
        "user_id": raw["user_id"], "item_id": raw["item_id"], "type": "rating",
        "value": numeric_or_raw(raw["rating"]), "timestamp": numeric_or_raw(raw["timestamp"]),
    }, source, raw["_row"])


def _iso_dates(raw: pd.Series, fmt: str) -> pd.Series:
    """Dates in ``fmt`` as ISO ``YYYY-MM-DD``; values that do not parse are kept as they were."""
    parsed = pd.to_datetime(raw, format=fmt, errors="coerce")
    iso = parsed.dt.strftime("%Y-%m-%d").astype(object)
    return iso.where(parsed.notna(), raw.astype(object)).where(raw.notna(), None)


# ------------------------------------------------------------------------------------------ 100K
def _ml100k_genres(folder: Path) -> tuple[str, ...]:
    path = _sibling(folder, "u.genre")
    if path is None:
        return ML100K_GENRES
    raw = read_split_lines(path, separator="|", names=["genre", "index"], encoding=ML_ENCODING, kind="item")
    order = numeric_or_raw(raw.frame["index"])
    return tuple(raw.frame["genre"].iloc[order.argsort()].astype(str))


def _ml100k_items(path: Path, genres: tuple[str, ...]) -> tuple[pd.DataFrame, list[Reject]]:
    names = ["item_id", "title", "release_date", "video_release_date", "imdb_url", *(f"g{i}" for i in
                                                                                      range(len(genres)))]
    raw = read_delimited(path, delimiter="|", header=False, names=names, quote=False, encoding=ML_ENCODING,
                         kind="item")
    f = raw.frame
    flags = f[[f"g{i}" for i in range(len(genres))]].to_numpy(dtype=object) == "1"
    category = ["|".join(g for g, on in zip(genres, row, strict=True) if on) or None for row in flags]
    items = canonical_frame("items", {
        "item_id": f["item_id"], "title": f["title"], "category": category,
        "attributes": dict_column({
            "imdb_url": f["imdb_url"], "video_release_date": _iso_dates(f["video_release_date"], "%d-%b-%Y"),
        }, len(f)),
        "created_at": _iso_dates(f["release_date"], "%d-%b-%Y"),
    }, raw.source, f["_row"])
    return items, raw.rejects


def _ml_users(path: Path, separator: str, names: list[str]) -> tuple[pd.DataFrame, list[Reject]]:
    raw = read_split_lines(path, separator=separator, names=["user_id", *names], encoding=ML_ENCODING,
                           kind="user")
    f = raw.frame
    users = canonical_frame("users", {
        "user_id": f["user_id"], "attributes": dict_column({n: f[n] for n in names}, len(f)),
    }, raw.source, f["_row"])
    return users, raw.rejects


def read_movielens_100k(path: Path) -> ReadResult:
    """MovieLens 100K: the ``ml-100k`` directory, or ``u.data`` (or a split such as ``u1.base``).

    Items come from the sibling ``u.item`` (title, genres as ``category``, release date as ``created_at``,
    IMDb URL in ``attributes``), users from ``u.user`` (age, gender, occupation, zip code).

    >>> res = read_movielens_100k(Path("ml-100k"))    # doctest: +SKIP
    >>> res.counts()                                   # doctest: +SKIP
    {'events': 100000, 'items': 1682, 'users': 943, 'rejected': 0}
    """
    name = "" if path.is_dir() else plain_name(path)
    if name in ("u.item", "u.user"):  # just the catalog or just the users
        res = ReadResult(source=str(path), format="movielens-100k")
        if name == "u.item":
            res.items, res.rejects = _ml100k_items(path, _ml100k_genres(path.parent))
        else:
            res.users, res.rejects = _ml_users(path, "|", ML100K_USER_FIELDS)
        return res
    data = path / "u.data" if path.is_dir() else path
    if not data.is_file():
        raise DataError("no u.data here; expected the ml-100k directory or its u.data file", source=str(path))
    folder = data.parent
    raw = read_delimited(data, delimiter="\t", header=False, quote=False,
                         names=["user_id", "item_id", "rating", "timestamp"])
    res = ReadResult(source=str(path), events=_ratings_frame(raw.frame, raw.source),
                     rejects=list(raw.rejects), format="movielens-100k")
    item_path = _sibling(folder, "u.item")
    if item_path is not None:
        res.items, rejects = _ml100k_items(item_path, _ml100k_genres(folder))
        res.rejects += rejects
    user_path = _sibling(folder, "u.user")
    if user_path is not None:
        res.users, rejects = _ml_users(user_path, "|", ML100K_USER_FIELDS)
        res.rejects += rejects
    return res


# ------------------------------------------------------------------------------------------ 1M / 10M
def read_movies_dat(path: Path) -> tuple[pd.DataFrame, list[Reject]]:
    raw = read_split_lines(path, separator="::", names=["item_id", "title", "genres"], encoding=ML_ENCODING,
                           kind="item")
    f = raw.frame
    category = f["genres"].where(f["genres"] != "(no genres listed)")
    return canonical_frame("items", {"item_id": f["item_id"], "title": f["title"], "category": category},
                           raw.source, f["_row"]), raw.rejects


def read_movielens_1m(path: Path) -> ReadResult:
    """MovieLens 1M or 10M: the directory, ``ratings.dat``, ``movies.dat`` or ``users.dat`` (``::``, latin-1).

    Given the directory or ``ratings.dat``, the sibling ``movies.dat`` and ``users.dat`` are read too
    (1M users carry gender, age band, occupation code and zip code in ``attributes``).

    >>> read_movielens_1m(Path("ml-1m")).counts()     # doctest: +SKIP
    {'events': 1000209, 'items': 3883, 'users': 6040, 'rejected': 0}
    """
    folder = path if path.is_dir() else path.parent
    name = "" if path.is_dir() else plain_name(path)
    res = ReadResult(source=str(path), format="movielens-1m")
    ratings = _sibling(folder, "ratings.dat") if path.is_dir() else (path if name == "ratings.dat" else None)
    if ratings is not None:
        raw = read_split_lines(ratings, separator="::", names=["user_id", "item_id", "rating", "timestamp"],
                               encoding=ML_ENCODING)
        res.events = _ratings_frame(raw.frame, raw.source)
        res.rejects += raw.rejects
    elif path.is_dir():
        log.warning("%s: no ratings.dat; reading only the movies and users", path)
    movies = _sibling(folder, "movies.dat") if name in ("", "ratings.dat") else (path if name == "movies.dat"
                                                                                 else None)
    if movies is not None:
        res.items, rejects = read_movies_dat(movies)
        res.rejects += rejects
    users = _sibling(folder, "users.dat") if name in ("", "ratings.dat") else (path if name == "users.dat"
                                                                               else None)
    if users is not None:
        res.users, rejects = _ml_users(users, "::", ["gender", "age", "occupation", "zip_code"])
        res.rejects += rejects
    if res.events is None and res.items is None and res.users is None:
        raise DataError("no ratings.dat, movies.dat or users.dat here", source=str(path))
    return res


# ------------------------------------------------------------------------------------------ CSV releases
def read_movielens_csv(path: Path) -> ReadResult:
    """MovieLens CSV releases (``ratings.csv``: ``userId,movieId,rating,timestamp``; ``movies.csv``:
    ``movieId,title,genres``): the directory or ``ratings.csv``.

    >>> read_movielens_csv(Path("ml-latest-small")).counts()   # doctest: +SKIP
    {'events': 100836, 'items': 9742, 'users': 0, 'rejected': 0}
    """
    folder = path if path.is_dir() else path.parent
    ratings = _sibling(folder, "ratings.csv") if path.is_dir() else path
    if ratings is None:
        raise DataError("no ratings.csv here; expected a MovieLens CSV release", source=str(path))
    raw = read_delimited(ratings, delimiter=",")
    _require(raw.columns, ("userId", "movieId", "rating", "timestamp"), raw.source)
    f = raw.frame.rename(columns={"userId": "user_id", "movieId": "item_id"})
    res = ReadResult(source=str(path), events=_ratings_frame(f, raw.source), rejects=list(raw.rejects),
                     format="movielens-csv")
    movies = _sibling(folder, "movies.csv")
    if movies is not None:
        mraw = read_delimited(movies, delimiter=",", kind="item")
        _require(mraw.columns, ("movieId", "title", "genres"), mraw.source)
        m = mraw.frame
        res.items = canonical_frame("items", {
            "item_id": m["movieId"], "title": m["title"],
            "category": m["genres"].where(m["genres"] != "(no genres listed)"),
        }, mraw.source, m["_row"])
        res.rejects += mraw.rejects
    return res


def _require(columns: list[str], needed: tuple[str, ...], source: str) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected a header with {list(needed)}, "
                        f"found {columns}", source=source, row=1, field=missing[0])

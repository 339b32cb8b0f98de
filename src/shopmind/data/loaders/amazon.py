"""Amazon review data: the 2014/2018 releases (McAuley et al.) and the 2023 release (Hou et al.).

Reviews become ``rating`` events (``value`` = stars); the review summary and text go into ``context``.
Metadata becomes items. Which file is which is told by its keys, so a reviews file, a metadata file or a
directory holding both can be passed. Given a reviews file, the metadata file next to it is read too
(``reviews_Beauty_5.json.gz`` or ``Beauty_5.json.gz`` -> ``meta_Beauty.json.gz``; ``Beauty.jsonl`` ->
``meta_Beauty.jsonl``), or pass ``meta=`` explicitly.

2014 metadata lines are Python literals (single quotes), read with :func:`ast.literal_eval` (literals only,
never code). Millisecond timestamps of 2023 are converted to seconds.
"""

from __future__ import annotations

import ast
import html
import json
import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.data.loaders.frames import (
    canonical_frame,
    concat_frames,
    dict_column,
    epoch_seconds,
    numeric_or_raw,
)
from shopmind.data.loaders.jsonlines import JsonRecords, read_json_lines
from shopmind.data.loaders.textio import check_file, head_lines, plain_name
from shopmind.errors import DataError

log = logging.getLogger(__name__)

_JSON_NAMES = (".json", ".jsonl", ".ndjson")
_PRICE = re.compile(r"^\s*\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*$")


def classify(record: dict[str, Any]) -> tuple[str, str] | None:
    """``(release, part)`` for one record: ``("2014", "reviews")``, ``("2023", "meta")``, ... or None."""
    if "reviewerID" in record and "asin" in record:
        return "2014", "reviews"
    if "user_id" in record and ("parent_asin" in record or "asin" in record) and "rating" in record:
        return "2023", "reviews"
    if "parent_asin" in record and ("main_category" in record or "title" in record):
        return "2023", "meta"
    if "asin" in record and ({"title", "categories", "category", "salesRank", "imUrl", "brand", "price"}
                             & record.keys()):
        return "2014", "meta"
    return None


def sniff(path: Path) -> tuple[str, str] | None:
    """Classify a file by its first parsable line (JSON or Python literal)."""

    for line in head_lines(path, 5):
        for parse in (json.loads, ast.literal_eval):
            try:
                obj = parse(line)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(obj, dict):
                return classify(obj)
    return None


def _unescape(v: Any) -> Any:
    return html.unescape(v) if isinstance(v, str) else v


def _text(v: Any) -> Any:
    """Descriptions are a string or a list of paragraphs."""
    if isinstance(v, list):
        v = "\n".join(str(p) for p in v if p)
    return _unescape(v) or None


def _price(v: Any) -> tuple[float | None, Any]:
    """``(price, raw text when it is not one number)``: ``"$12.99"`` -> 12.99; ``"$5 - $9"`` stays text."""
    if v is None or isinstance(v, int | float):
        return v, None
    m = _PRICE.match(str(v))
    if m:
        return float(m.group(1).replace(",", "")), None
    return None, (v or None)


def _first(v: Any) -> Any:
    return v[0] if isinstance(v, list) and v else (v if isinstance(v, str) and v else None)


def _reviews_2014(recs: JsonRecords, with_text: bool) -> pd.DataFrame:
    ts = epoch_seconds(pd.Series(recs.column("unixReviewTime"), dtype=object))
    ctx = {"summary": recs.column("summary"), "verified": recs.column("verified"),
           "vote": recs.column("vote"), "helpful": recs.column("helpful"), "style": recs.column("style")}
    if with_text:
        ctx["text"] = recs.column("reviewText")
    return canonical_frame("events", {
        "user_id": recs.column("reviewerID"), "item_id": recs.column("asin"), "type": "rating",
        "value": numeric_or_raw(pd.Series(recs.column("overall"), dtype=object)), "timestamp": ts,
        "context": dict_column(ctx, len(recs.rows)),
    }, recs.source, recs.rows)


def _reviews_2023(recs: JsonRecords, with_text: bool) -> pd.DataFrame:
    parent = recs.column("parent_asin")
    asin = recs.column("asin")
    item = [p if p else a for p, a in zip(parent, asin, strict=True)]
    variant = [a if a and a != i else None for a, i in zip(asin, item, strict=True)]
    ctx = {"summary": recs.column("title"), "verified": recs.column("verified_purchase"),
           "helpful_votes": recs.column("helpful_vote"), "asin": variant}
    if with_text:
        ctx["text"] = recs.column("text")
    return canonical_frame("events", {
        "user_id": recs.column("user_id"), "item_id": item, "type": "rating",
        "value": numeric_or_raw(pd.Series(recs.column("rating"), dtype=object)),
        "timestamp": epoch_seconds(pd.Series(recs.column("timestamp"), dtype=object), "ms"),
        "context": dict_column(ctx, len(recs.rows)),
    }, recs.source, recs.rows)


def _meta_row(r: dict[str, Any], release: str) -> dict[str, Any]:
    """One item's canonical fields from a 2014/2018 or 2023 metadata record."""
    if release == "2023":
        paths = [r["categories"]] if r.get("categories") else []
        price, price_text = _price(r.get("price"))
        images = r.get("images") or []
        first = images[0] if images and isinstance(images[0], dict) else {}
        image = first.get("large") or first.get("hi_res") or first.get("thumb")
        attrs = dict(r.get("details") or {})
        attrs.update({"main_category": r.get("main_category"), "features": r.get("features") or None,
                      "average_rating": r.get("average_rating"), "rating_number": r.get("rating_number")})
        item_id, brand = r.get("parent_asin"), r.get("store")
        fallback = r.get("main_category")
    else:
        cats = r.get("categories") or r.get("category") or []
        paths = [c for c in cats if isinstance(c, list)] if cats and isinstance(cats[0], list) else [cats]
        price, price_text = _price(r.get("price"))
        image = r.get("imUrl") or _first(r.get("imageURLHighRes")) or _first(r.get("imageURL"))
        attrs = dict(r.get("details") or {}) if isinstance(r.get("details"), dict) else {}
        attrs.update({"sales_rank": r.get("salesRank") or r.get("rank") or None,
                      "features": r.get("feature") or None, "main_category": r.get("main_cat")})
        item_id, brand = r.get("asin"), r.get("brand")
        fallback = r.get("main_cat")
    paths = [[html.unescape(str(c)) for c in p] for p in paths if p]
    if len(paths) > 1:
        attrs["categories"] = [" > ".join(p) for p in paths]
    if price_text is not None:
        attrs["price_text"] = price_text
    return {
        "item_id": item_id, "title": _unescape(r.get("title")) or None,
        "description": _text(r.get("description")),
        "category": " > ".join(paths[0]) if paths else (_unescape(fallback) or None),
        "brand": _unescape(brand) or None, "price": price, "image": image or None,
        "attributes": {k: v for k, v in attrs.items() if v not in (None, "", [], {})} or None,
    }


def _meta(recs: JsonRecords, release: str) -> pd.DataFrame:
    rows = [_meta_row(r, release) for r in recs.records]
    cols = ("item_id", "title", "description", "category", "brand", "price", "image", "attributes")
    data = {c: pd.Series([r[c] for r in rows], dtype=object) for c in cols}
    return canonical_frame("items", data, recs.source, recs.rows)


def read_amazon_file(path: Path, *, with_text: bool = True) -> ReadResult:
    """One Amazon file, reviews or metadata (told by its keys)."""
    check_file(path)
    kind = sniff(path)
    if kind is None:
        raise DataError("not an Amazon review or metadata file: the first lines have neither reviewerID/asin "
                        "(2014/2018) nor user_id/parent_asin (2023) keys", source=str(path))
    release, part = kind
    res = ReadResult(source=str(path), format=f"amazon-{'2023' if release == '2023' else '2014'}")
    if part == "reviews":
        keep = None if with_text else {"reviewerID", "asin", "parent_asin", "user_id", "overall", "rating",
                                       "unixReviewTime", "timestamp", "summary", "title", "verified",
                                       "verified_purchase", "vote", "helpful", "helpful_vote", "style"}
        recs = read_json_lines(path, kind="event", keep=keep)
        res.events = (_reviews_2023 if release == "2023" else _reviews_2014)(recs, with_text)
    else:
        recs = read_json_lines(path, kind="item", python_literals=release == "2014")
        res.items = _meta(recs, release)
    res.rejects = recs.rejects
    return res


def _meta_sibling(reviews: Path) -> Path | None:
    name = plain_name(reviews)
    stem = name.rsplit(".", 1)[0]
    stem = stem.removeprefix("reviews_").removesuffix("_5")
    for p in sorted(reviews.parent.iterdir()):
        pn = plain_name(p)
        if pn.startswith(f"meta_{stem}.") and pn.endswith(_JSON_NAMES) and p != reviews:
            return p
    return None


def read_amazon(path: Path, *, meta: Path | str | None = None, with_text: bool = True) -> ReadResult:
    """Amazon reviews and/or metadata: a file, a directory of them, plus an optional ``meta`` file.

    Parameters
    ----------
    meta : the metadata file; by default the ``meta_*`` sibling of a reviews file is used when present.
    with_text : keep the review text in ``context["text"]`` (large; the summary is always kept).

    >>> res = read_amazon(Path("reviews_Beauty_5.json.gz"))      # doctest: +SKIP
    >>> res.counts()                                              # doctest: +SKIP
    {'events': 198502, 'items': 259204, 'users': 0, 'rejected': 0}
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and plain_name(p).endswith(_JSON_NAMES))
        if not files:
            raise DataError("no .json/.jsonl files in this directory", source=str(path))
    else:
        files = [path]
        sibling = Path(meta) if meta is not None else None
        if sibling is None and (sniff(path) or ("", ""))[1] == "reviews":
            sibling = _meta_sibling(path)
            if sibling is not None:
                log.info("%s: reading metadata from %s", path, sibling)
        if sibling is not None:
            files.append(sibling)
    parts = [read_amazon_file(f, with_text=with_text) for f in files]
    rejects: list[Reject] = [r for p in parts for r in p.rejects]
    fmt = parts[0].format
    return ReadResult(source=str(path), events=concat_frames([p.events for p in parts]),
                      items=concat_frames([p.items for p in parts]), rejects=rejects, format=fmt)

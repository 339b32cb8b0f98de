"""Readers: files in public and generic formats -> canonical frames (see :mod:`.base` for the contract).

>>> from shopmind.data.loaders import read, detect_format
>>> res = read("ml-100k")                                   # doctest: +SKIP
>>> res.events.head(1)                                       # doctest: +SKIP
  user_id item_id    type  value  timestamp          _source  _row
0     196     242  rating      3  881250949  ml-100k/ml-100k.inter     2

Formats (names for ``format=``; ``"auto"`` detects them from file names and first lines):

================  ==========================================================================
csv, tsv          delimited text with a header; columns via :class:`ColumnMapping`
jsonl             JSON Lines (or a JSON array of objects); keys via :class:`ColumnMapping`
parquet           Parquet file or directory; columns via :class:`ColumnMapping`
movielens-100k    ``u.data`` + ``u.item`` + ``u.user`` (or the directory)
movielens-1m      ``ratings.dat`` + ``movies.dat`` + ``users.dat`` (``::``, latin-1); also 10M
movielens-csv     ``ratings.csv`` + ``movies.csv`` (20M, 25M, 32M, latest)
recbole           RecBole atomic files ``NAME.inter`` / ``.item`` / ``.user``
amazon-2014       Amazon reviews + metadata 2014 / 2018 (``reviewerID``, ``asin``)
amazon-2023       Amazon reviews + metadata 2023 (``user_id``, ``parent_asin``)
retailrocket      RetailRocket ``events.csv``
taobao            Taobao UserBehavior CSV (no header)
rees46            REES46 multi-category store CSV
sequence          ``user item item ...`` per line; timestamp = position in the user's history
pairs             ``user item`` per line, chronological per user (SASRec ``ml-1m.txt``); titles and
                  genres from a sibling ``sas_to_original_items.txt`` + ``movies.dat``
================  ==========================================================================

Conventions of the values (the importer validates and coerces them):

- ids are text; ``timestamp`` is epoch seconds (int/float), ISO-8601 text, or for the clock-less
  ``sequence``/``pairs`` formats the 1-based position within the user's history;
- ``attributes``/``context`` hold a dict, or None when empty; empty CSV fields are missing values;
- ``_source`` (categorical) and ``_row`` (line number, header counted) say where each row came from.
"""

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.data.loaders.mapping import ColumnMapping
from shopmind.data.loaders.registry import FORMATS, Format, detect_format, get_format, read, supported_formats

__all__ = ["FORMATS", "ColumnMapping", "Format", "ReadResult", "Reject", "detect_format", "get_format",
           "read", "supported_formats"]

"""The shop's own synonyms: groups a merchant adds (``POST /search/synonyms``, ``shopmind search synonyms``, the
console's Search page) on top of the packaged ``resources/synonyms.txt``, kept in the store.

A zero-result query ("trainers" in a shop that says "sneakers") is usually a word the catalog does not use; a
group pairs it with one the catalog does. A group is either two-way (``["sofa", "couch", "settee"]``: each finds
the others) or one-way (``["trainers"] => ["sneakers"]``: "trainers" also searches "sneakers", not the other way
round), as in the packaged file's syntax (``a, b`` / ``a => b``). Groups live in the store (document collection
``search_synonyms``, both backends); every change writes a new version stamp (:mod:`shopmind.storage.stamps`),
and every search service on the store applies it within :data:`CHECK_SECONDS` (the one that made the change at
once). Queries only: nothing is re-indexed.

>>> from shopmind.storage import open_store
>>> shop = ShopSynonyms(open_store("sqlite:///:memory:"))
>>> group = shop.add(["trainers"], to=["sneakers"])
>>> group.line(), [g.group_id for g in shop.groups()] == [group.group_id]
('trainers => sneakers', True)
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shopmind.errors import DataError, UnknownIdError
from shopmind.search.analysis import Analyzer
from shopmind.search.synonyms import Synonyms, read_groups
from shopmind.storage.base import Store
from shopmind.storage.stamps import read_stamp, stamp

COLLECTION = "search_synonyms"
#: The groups' version stamp (:mod:`shopmind.storage.stamps`), new on every change.
STAMP = "search_synonyms"
#: Words a group takes (each side), characters a word takes, groups a shop keeps.
MAX_WORDS, MAX_WORD, MAX_GROUPS = 50, 100, 10_000
#: How often (seconds) a search service looks for a change made through another service on the store.
CHECK_SECONDS = 1.0
_ID = re.compile(r"^[\w.:-]{1,64}$")


@dataclass(frozen=True)
class SynonymGroup:
    """``words`` find each other (``to`` empty), or each of ``words`` also searches ``to`` (one-way)."""

    group_id: str
    words: tuple[str, ...]
    to: tuple[str, ...] = ()

    def line(self) -> str:
        """The group in the synonyms file's syntax."""
        return ", ".join(self.words) + (" => " + ", ".join(self.to) if self.to else "")

    def as_dict(self) -> dict[str, Any]:
        return {"group_id": self.group_id, "words": list(self.words), "to": list(self.to),
                "two_way": not self.to, "line": self.line()}


def _clean(words: Iterable[Any], field: str, analyzer: Analyzer) -> tuple[str, ...]:
    out: list[str] = []
    for i, word in enumerate(words):
        if not isinstance(word, str) or not word.strip():
            raise DataError("must be a non-empty word or phrase", field=f"{field}[{i}]", value=word)
        w = " ".join(word.split())
        if any(unicodedata.category(c) == "Cc" for c in w):
            raise DataError("holds a control character; a word or phrase is plain text", field=f"{field}[{i}]",
                            value=w)
        if len(w) > MAX_WORD:
            raise DataError(f"is {len(w):,} characters long; a word or phrase takes at most {MAX_WORD}",
                            field=f"{field}[{i}]")
        if not analyzer.tokens(w, query=True):
            raise DataError("holds no searchable word (only punctuation or stop words)", field=f"{field}[{i}]",
                            value=w)
        if w.casefold() not in {x.casefold() for x in out}:
            out.append(w)
    if len(out) > MAX_WORDS:
        raise DataError(f"holds {len(out)} words; a group takes at most {MAX_WORDS}", field=field)
    return tuple(out)


class ShopSynonyms:
    """The synonym groups of the shop in ``store`` (see the module docs)."""

    def __init__(self, store: Store, analyzer: Analyzer | None = None) -> None:
        self.store = store
        self.analyzer = analyzer or Analyzer()

    def groups(self) -> list[SynonymGroup]:
        """Every group, in the order they were added."""
        return [SynonymGroup(key, tuple(doc.get("words") or ()), tuple(doc.get("to") or ()))
                for key, doc in self.store.read_documents(COLLECTION)]

    def version(self) -> str | None:
        return read_stamp(self.store, STAMP)

    def _changed(self) -> None:
        stamp(self.store, STAMP)

    def check(self, words: Sequence[Any], to: Sequence[Any] = ()) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The group's words and targets, cleaned; a clear :class:`DataError` naming the field otherwise."""
        if isinstance(words, str) or isinstance(to, str):
            raise DataError("must be a list of words, not one string", field="words" if isinstance(words, str)
                            else "to")
        w, t = _clean(words, "words", self.analyzer), _clean(to, "to", self.analyzer)
        if not w:
            raise DataError("needs at least one word", field="words")
        if not t and len(w) < 2:
            raise DataError("a two-way group needs at least two words (or give `to` for a one-way group: "
                            f"{w[0]} => ...)", field="words", value=list(w))
        return w, t

    def add(self, words: Sequence[Any], to: Sequence[Any] = (), *, group_id: str | None = None) -> SynonymGroup:
        """Store a group (``group_id`` replaces a stored one; default: a new id) and publish the change."""
        w, t = self.check(words, to)
        if group_id is not None and not _ID.match(group_id):
            raise DataError("must be 1-64 letters, digits, '_', '.', ':' or '-'", field="group_id", value=group_id)
        held = self.store.list_documents(COLLECTION)
        if group_id not in held and len(held) >= MAX_GROUPS:
            raise DataError(f"the shop holds {MAX_GROUPS:,} synonym groups, the most it keeps; delete some first",
                            field="words")
        gid = group_id or f"syn-{secrets.token_hex(4)}"
        self.store.put_documents(COLLECTION, {gid: {"words": list(w), "to": list(t)}})
        self._changed()
        return SynonymGroup(gid, w, t)

    def delete(self, group_id: str) -> SynonymGroup:
        """Delete a group; :class:`UnknownIdError` when there is none."""
        doc = self.store.get_document(COLLECTION, str(group_id))
        if doc is None:
            raise UnknownIdError("group", str(group_id))
        self.store.delete_documents(COLLECTION, [str(group_id)])
        self._changed()
        return SynonymGroup(str(group_id), tuple(doc.get("words") or ()), tuple(doc.get("to") or ()))

    def import_text(self, text: str, *, source: str = "synonyms", replace: bool = False) -> int:
        """Add the groups of a file in the packaged syntax (one group per line, ``a, b`` or ``a => b``, ``#``
        comments); ``replace`` drops the shop's groups first. Every line is checked before anything is stored
        (a bad one is named by its line number). Returns how many groups were added."""
        groups = []
        for n, line in enumerate(text.splitlines(), 1):
            try:
                for src, dst in read_groups(line, source):
                    groups.append(self.check(src, () if dst == src else dst))
            except DataError as exc:
                message = str(exc).removeprefix(f"{source}, row 1: ").removeprefix(f"{source}: ")
                raise DataError(message, source=source, row=n) from None
        held = 0 if replace else len(self.store.list_documents(COLLECTION))
        if held + len(groups) > MAX_GROUPS:
            raise DataError(f"the shop would hold {held + len(groups):,} synonym groups; it keeps at most "
                            f"{MAX_GROUPS:,}", source=source)
        if replace:
            self.store.delete_documents(COLLECTION)
        self.store.put_documents(COLLECTION, {f"syn-{secrets.token_hex(4)}": {"words": list(w), "to": list(t)}
                                              for w, t in groups})
        self._changed()
        return len(groups)

    def synonyms(self, analyzer: Analyzer) -> Synonyms:
        """The packaged synonyms with the shop's groups added (as analysed by ``analyzer``, the index's)."""
        return with_groups(analyzer, self.groups())


def with_groups(analyzer: Analyzer, groups: Iterable[SynonymGroup]) -> Synonyms:
    """The packaged synonyms plus ``groups``, analysed by ``analyzer`` (the index's)."""
    syn = Synonyms.load(analyzer)
    for g in groups:
        syn.add(analyzer, g.words, g.to or g.words)
    return syn

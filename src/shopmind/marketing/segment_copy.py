"""Ad copy for a customer segment, for the campaign engine: what the segment's members shop, and ads for the
items they buy most, opening with a line about that audience.

The segment comes from the customer layer (``shopmind customers refresh``: RFM groups, k-means clusters, LDA
topics; see ``docs/customers.md``). Its audience is computed from its members' events here, not copied from
the segment document: the categories and brands with the largest share of the members' weighted interactions
(purchase 5, cart 3, favourite 2, view 0.5; each member counts an item once, at their strongest event), the
interquartile range of the prices of the items they bought (of the items they touched when nobody bought),
and the items reached by the most members (one per category) to feature in the ads.

Content (:mod:`shopmind.content`) sits below the customers, so it only sees plain data: the featured item and
a :class:`~shopmind.content.request.UserContext` with ``segment`` set, whose top categories and brands each come
with an item of the segment's as ``history`` - the evidence the claim checker checks the audience line
against.

>>> copy = SegmentCopy(store, ContentService())                             # doctest: +SKIP
>>> outs = copy.ads("topic:0", variants=3, lang="zh")                       # doctest: +SKIP
>>> outs[0].parts["audience"]["categories"][0]["name"]                       # doctest: +SKIP
'Laptops'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopmind.content.facts import FactSheet, Localised
from shopmind.content.lexicon import Lang
from shopmind.content.request import GeneratedText, HistoryEntry, Length, Tone, UserContext
from shopmind.content.service import ContentService
from shopmind.errors import ParameterError, ShopmindError, check_int
from shopmind.schema import DEFAULT_EVENT_WEIGHTS
from shopmind.storage.base import Store


@dataclass
class SegmentAudience:
    """What a segment's members shop (see the module docstring)."""

    segment_id: str
    name: str
    members: int  # members whose events were read
    categories: list[tuple[Localised, float, str]] = field(default_factory=list)  # (leaf, share, an item of it)
    brands: list[tuple[Localised, float, str]] = field(default_factory=list)  # (brand, share, an item of it)
    price_band: tuple[float, float] | None = None
    featured: list[str] = field(default_factory=list)  # item ids, most reached first
    facts: dict[str, FactSheet] = field(default_factory=dict)  # every item named above
    bought: set[str] = field(default_factory=set)  # items some member bought

    def context(self) -> UserContext:
        """The audience as the content service takes it: top categories and brands, with their items (and the
        featured ones) as the history the checker may draw on."""
        named = [i for _, _, i in (*self.categories, *self.brands)]
        ids = list(dict.fromkeys([*self.featured, *named]))
        history = tuple(HistoryEntry(item=self.facts[i], action="purchase" if i in self.bought else "view")
                        for i in ids)
        return UserContext(segment=self.segment_id, history=history,
                           top_categories=tuple(c for c, _, _ in self.categories),
                           top_brands=tuple(b for b, _, _ in self.brands), price_band=self.price_band)

    def summary(self) -> dict[str, Any]:
        """JSON-able: the segment, its members read, categories / brands with their share, price band, items."""
        return {
            "segment_id": self.segment_id, "name": self.name, "members": self.members,
            "categories": [{"name": c.en or c.zh, "name_zh": c.zh, "share": round(s, 4)}
                           for c, s, _ in self.categories],
            "brands": [{"name": b.en or b.zh, "name_zh": b.zh, "share": round(s, 4)} for b, s, _ in self.brands],
            "price_band": list(self.price_band) if self.price_band else None, "featured_items": self.featured,
        }


class SegmentCopy:
    """Ad copy variants for a customer segment.

    Parameters
    ----------
    store:
        Where the segments, their members, events and items are read.
    content:
        The content service that writes and checks the ads.
    max_members:
        How many members' events are read (the first ones by user id).
    featured:
        How many items the ads rotate over.
    top:
        How many categories and brands describe the audience.
    """

    def __init__(self, store: Store, content: ContentService, *, max_members: int = 5000, featured: int = 3,
                 top: int = 3) -> None:
        self.store = store
        self.content = content
        self.max_members = max_members
        self.featured = featured
        self.top = top

    def find(self, segment: str) -> dict[str, Any]:
        """The segment document with this id or (case-insensitive) name; a :class:`ParameterError` naming
        ``segment`` and the known ids otherwise."""
        segments = self.store.list_segments()
        wanted = str(segment).strip().casefold()
        for seg in segments:
            if str(seg.get("segment_id", "")).casefold() == wanted:
                return seg
        named = [s for s in segments if wanted in {str(s.get(k) or "").casefold() for k in ("name", "name_zh")}]
        if len(named) == 1:
            return named[0]
        known = [str(s.get("segment_id")) for s in segments]
        expected = ("a segment id or name from `shopmind customers segments` (GET /segments): "
                    + (", ".join(known[:12]) + (" ..." if len(known) > 12 else "") if known
                       else "there are none yet; run `shopmind customers refresh` first"))
        if len(named) > 1:
            expected = "one segment; that name matches " + ", ".join(str(s.get("segment_id")) for s in named)
        raise ParameterError("content ad", "segment", segment, expected)

    def audience(self, segment: str) -> SegmentAudience:
        """What the segment's members shop, computed from their events."""
        check_int("SegmentCopy", "max_members", self.max_members, low=1)
        seg = self.find(segment)
        seg_id = str(seg["segment_id"])
        members = self.store.segment_users(seg_id, limit=self.max_members)
        events = self.store.events_frame(user_ids=members) if members else pd.DataFrame()
        if events.empty:
            raise ShopmindError(f"segment {seg_id!r} has no members with events to write for "
                                f"(members: {len(members)}); run `shopmind customers refresh`")
        events = events.assign(w=events["type"].map(DEFAULT_EVENT_WEIGHTS).fillna(0.0))
        events = events[events["w"] > 0]
        # each member counts an item once, at their strongest event
        pairs = events.groupby(["user_id", "item_id"], as_index=False)["w"].max()
        items = self.store.items_frame().set_index("item_id", drop=False)
        pairs = pairs[pairs["item_id"].isin(items.index)]
        if pairs.empty:
            raise ShopmindError(f"segment {seg_id!r}: its members' events name no item of the catalog")
        cat = items["category"].fillna("").astype(str).str.split(">").str[-1].str.strip()
        pairs = pairs.assign(category=pairs["item_id"].map(cat), brand=pairs["item_id"].map(items["brand"]))
        table = (pairs.groupby("item_id").agg(w=("w", "sum"), category=("category", "first"),
                                              brand=("brand", "first"))
                 .sort_values("w", ascending=False, kind="stable").reset_index())
        bought = set(events.loc[events["type"] == "purchase", "item_id"].astype(str))
        audience = SegmentAudience(seg_id, str(seg.get("name") or seg_id), len(members), bought=bought)

        def facts(item_id: str) -> FactSheet:
            if item_id not in audience.facts:
                audience.facts[item_id] = self.content.facts(items.loc[item_id].to_dict())
            return audience.facts[item_id]

        total = float(pairs["w"].sum())
        for column, out in (("category", audience.categories), ("brand", audience.brands)):
            named = table[table[column].fillna("").astype(str) != ""]
            top_item = named.drop_duplicates(column).set_index(column)["item_id"]  # the most reached item of each
            shares = named.groupby(column)["w"].sum().sort_values(ascending=False, kind="stable")
            for key in shares.index[:self.top]:
                f = facts(str(top_item[key]))
                name = f.category[-1] if column == "category" and f.category else f.brand
                if name.en or name.zh:
                    out.append((name, float(shares[key]) / total, str(top_item[key])))
        for item_id in table.drop_duplicates("category")["item_id"].head(self.featured):  # one per category
            facts(str(item_id))
            audience.featured.append(str(item_id))
        prices = pd.to_numeric(items.loc[list(bought & set(items.index)) or list(table["item_id"]), "price"],
                               errors="coerce").dropna()
        prices = prices[prices > 0]
        if len(prices) >= 3:
            q = np.quantile(prices.to_numpy(dtype=float), [0.25, 0.75])
            audience.price_band = (round(float(q[0]), 2), round(float(q[1]), 2))
        return audience

    def ads(self, segment: str, *, variants: int = 3, lang: Lang = "en", tone: Tone | str = Tone.FRIENDLY,
            length: Length | str = Length.MEDIUM, seed: int = 0) -> list[GeneratedText]:
        """``variants`` ads for the segment, rotating over its featured items; each opens with what the segment
        shops and is checked like any ad. ``parts["audience"]`` holds :meth:`SegmentAudience.summary`,
        ``parts["featured_item"]`` the item the ad is about."""
        check_int("SegmentCopy.ads", "variants", variants, low=1, high=20)
        audience = self.audience(segment)
        ctx = audience.context()
        summary = audience.summary()
        per_item = math.ceil(variants / len(audience.featured))
        lists = [self.content.ad_copy(audience.facts[i], variants=per_item, lang=lang, tone=tone, length=length,
                                      seed=seed, audience=ctx) for i in audience.featured]
        out: list[GeneratedText] = []
        for rank in range(per_item):  # round robin: the first ads feature different items
            for item_id, outs in zip(audience.featured, lists, strict=True):
                if rank < len(outs) and len(out) < variants:
                    o = outs[rank]
                    out.append(o.model_copy(update={"parts": {**o.parts, "audience": summary,
                                                              "featured_item": item_id}}))
        return out


__all__ = ["SegmentAudience", "SegmentCopy"]

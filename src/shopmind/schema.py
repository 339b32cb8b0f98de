"""The data model: items, users and behaviour events.

These pydantic models are the one definition of a valid record. Readers produce *canonical frames*
(pandas DataFrames whose columns are the field names below, values still raw); the importer validates
them against these models, stores the good rows and quarantines the rest with a reason.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EventType(StrEnum):
    """Kinds of behaviour event. Unknown kinds are rejected at import (with the allowed list)."""

    IMPRESSION = "impression"
    VIEW = "view"
    CLICK = "click"
    SEARCH = "search"
    FAVORITE = "favorite"
    SHARE = "share"
    ADD_TO_CART = "add_to_cart"
    REMOVE_FROM_CART = "remove_from_cart"
    PURCHASE = "purchase"
    RATING = "rating"
    REVIEW = "review"
    DISLIKE = "dislike"
    HIDE = "hide"
    NOT_INTERESTED = "not_interested"
    #: A coupon redemption: ``context.code``, the basket in ``context.items`` (see shopmind.marketing.offers).
    COUPON_REDEEM = "coupon_redeem"


#: Synonyms seen in public logs, mapped onto :class:`EventType` values.
EVENT_TYPE_ALIASES: dict[str, str] = {
    "pv": "view", "page_view": "view", "detail": "view", "view_item": "view",
    "cart": "add_to_cart", "addtocart": "add_to_cart", "add-to-cart": "add_to_cart", "basket": "add_to_cart",
    "buy": "purchase", "transaction": "purchase", "order": "purchase", "checkout": "purchase",
    "fav": "favorite", "favourite": "favorite", "like": "favorite", "wishlist": "favorite",
    "remove_from_cart": "remove_from_cart", "rate": "rating", "impr": "impression", "expose": "impression",
    "thumbs_down": "dislike", "thumb_down": "dislike", "thumbsdown": "dislike", "downvote": "dislike",
    "unlike": "dislike", "hidden": "hide", "hide_item": "hide", "dismiss": "hide", "block": "hide",
    "not-interested": "not_interested", "notinterested": "not_interested", "not_relevant": "not_interested",
    "show_less": "not_interested", "see_less": "not_interested", "irrelevant": "not_interested",
}

#: Explicit negative feedback: the user asked not to see the item. These are never positives (weight 0); the
#: serving pipeline drops the item (and, if configured, its near-duplicates) from the user's lists at once.
NEGATIVE_TYPES = frozenset({"dislike", "hide", "not_interested"})
#: Ratings at or below this value (of 5) are not positives: they weigh 0 in the training views and count as
#: negative feedback when served (``Settings.negative_rating_threshold``; None keeps every rating positive).
DEFAULT_NEGATIVE_RATING_THRESHOLD = 2.0

#: Default implicit-feedback weight of each event type (purchase > cart > favourite > click > view).
#: Impressions, searches and cart removals carry no positive signal.
DEFAULT_EVENT_WEIGHTS: dict[str, float] = {
    "purchase": 5.0,
    "add_to_cart": 3.0,
    "favorite": 2.0,
    "share": 2.0,
    "rating": 1.0,  # explicit ratings are treated as implicit positives with weight 1 (value kept separately)
    "review": 1.0,
    "click": 1.0,
    "view": 0.5,
    "search": 0.0,
    "impression": 0.0,
    "remove_from_cart": 0.0,
    "dislike": 0.0,
    "hide": 0.0,
    "not_interested": 0.0,
    "coupon_redeem": 0.0,  # the basket's purchase events carry the signal
}

#: Canonical column names of the three frames readers produce.
ITEM_COLUMNS = ("item_id", "title", "description", "category", "brand", "price", "currency",
                "attributes", "image", "created_at", "in_stock")
USER_COLUMNS = ("user_id", "attributes", "created_at")
EVENT_COLUMNS = ("event_id", "user_id", "item_id", "type", "value", "timestamp", "session_id", "context")


def is_negative(event_type: str, value: float | None, rating_threshold: float | None) -> bool:
    """Whether an event is negative feedback: an explicit negative type, or a rating at or below the threshold.

    >>> is_negative("rating", 1.0, 2.0), is_negative("rating", 4.0, 2.0), is_negative("hide", None, None)
    (True, False, True)
    """
    if event_type in NEGATIVE_TYPES:
        return True
    return (rating_threshold is not None and event_type == "rating" and value is not None
            and value == value and value <= rating_threshold)


def normalise_event_type(raw: str) -> str:
    """Map a raw event type (any case, common synonyms) to an :class:`EventType` value.

    >>> normalise_event_type("PV")
    'view'
    """
    key = str(raw).strip().lower().replace(" ", "_")
    key = EVENT_TYPE_ALIASES.get(key, key)
    if key not in EventType._value2member_map_:
        allowed = ", ".join(e.value for e in EventType)
        raise ValueError(f"unknown event type {raw!r}; expected one of: {allowed} (or a known synonym)")
    return key


class Item(BaseModel):
    """A catalog item. ``category`` is a path such as ``"Beauty > Skin Care > Serums"``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_id: str = Field(min_length=1, max_length=256)
    title: str | None = None
    description: str | None = None
    category: str | None = None
    brand: str | None = None
    price: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, max_length=8)
    attributes: dict[str, Any] = Field(default_factory=dict)
    image: str | None = None
    created_at: datetime | None = None
    in_stock: bool = True

    @property
    def category_path(self) -> list[str]:
        """The category as a list, root first."""
        if not self.category:
            return []
        return [p.strip() for p in self.category.replace("/", ">").split(">") if p.strip()]


class User(BaseModel):
    """A shopper. Attributes are free key/values (segment, country, age band, ...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: str = Field(min_length=1, max_length=256)
    attributes: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None


class Event(BaseModel):
    """One behaviour event. ``timestamp`` is timezone-aware (naive input is taken as UTC).

    ``value`` is the rating, quantity or revenue depending on ``type``. ``context`` carries device, page,
    query, recommendation_id and anything else the shop logs.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: str | None = Field(default=None, max_length=256)
    user_id: str = Field(min_length=1, max_length=256)
    item_id: str | None = Field(default=None, max_length=256)
    type: str
    value: float | None = None
    timestamp: datetime
    session_id: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> str:
        return normalise_event_type(v)

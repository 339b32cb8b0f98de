"""Offers and coupons: what a campaign gives, which items it applies to, and whether a redemption is accepted.

An :class:`Offer` is percent or amount off, with a minimum spend, eligible categories (path prefixes), brands and
items (an item is eligible when it meets every condition given), a validity window, a total budget (the sum of
granted discounts) and a per-user cap. Each delivered coupon has its own single-use code.

A redemption arrives as a ``coupon_redeem`` event (``context.code``, the basket in ``context.items`` or
``item_id``, the order total in ``value``) and is checked by :func:`redeem`: the code must exist and belong to
the user, the campaign must be running and the offer valid at the event's time, the basket must reach the
minimum spend and hold an eligible item; then the store accepts it only while the code is unused, the budget
holds and the user is under the cap (one transaction). A refused redemption says why; nothing is accepted
silently.

>>> import pandas as pd
>>> items = pd.DataFrame({"item_id": ["a", "b"], "category": ["Tea > Green", "Coffee"], "brand": ["X", "Y"],
...                       "price": [10.0, 20.0]})
>>> offer = Offer.model_validate({"kind": "percent", "value": 20, "categories": ["Tea"]})
>>> offer.eligible_items(items)
['a']
>>> offer.discount(10.0)
2.0
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shopmind.errors import DataError
from shopmind.marketing.state import SharedBandit
from shopmind.storage import Store

#: Why a redemption can be refused (the store adds ``code_used``, ``budget_spent``, ``user_cap``).
REFUSALS = ("unknown_code", "wrong_user", "campaign_over", "offer_not_started", "offer_expired", "min_spend",
            "no_eligible_item", "code_used", "budget_spent", "user_cap")


class Offer(BaseModel):
    """A discount and its conditions (``offer`` in a campaign document)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["percent", "amount"]
    #: Percent off (0, 100] or an amount off (> 0) in the shop's currency.
    value: float = Field(gt=0)
    min_spend: float = Field(default=0.0, ge=0)
    #: Category path prefixes ("Beauty > Skin Care"); an item matches one of them.
    categories: list[str] = Field(default_factory=list, max_length=200)
    brands: list[str] = Field(default_factory=list, max_length=200)
    items: list[str] = Field(default_factory=list, max_length=10_000)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    #: Total discount the campaign may grant (None: no limit).
    budget: float | None = Field(default=None, ge=0)
    per_user_cap: int = Field(default=1, ge=1, le=1_000)
    code_prefix: str = Field(default="SM", pattern=r"^[A-Z0-9]{1,12}$")

    @model_validator(mode="after")
    def _check(self) -> Offer:
        if self.kind == "percent" and self.value > 100:
            raise ValueError(f"value: a percent offer takes (0, 100], got {self.value}")
        if self.valid_from and self.valid_until and _utc(self.valid_until) <= _utc(self.valid_from):
            raise ValueError(f"valid_until: {self.valid_until} is not after valid_from {self.valid_from}")
        return self

    # ------------------------------------------------------------------ eligibility
    def eligible_mask(self, items: pd.DataFrame) -> np.ndarray:
        """Which catalog rows the offer applies to."""
        ok = np.ones(len(items), dtype=bool)
        if self.categories:
            prefixes = [_path(c) for c in self.categories]
            paths = items["category"].fillna("").astype(str).map(_path)
            ok &= paths.map(lambda c: any(c == p or c.startswith(p + " > ") for p in prefixes)).to_numpy(dtype=bool)
        if self.brands:
            wanted = {b.casefold() for b in self.brands}
            ok &= items["brand"].fillna("").astype(str).str.casefold().isin(wanted).to_numpy()
        if self.items:
            ok &= items["item_id"].astype(str).isin(set(self.items)).to_numpy()
        return ok

    def eligible_items(self, items: pd.DataFrame) -> list[str]:
        """Ids of the catalog items the offer applies to, in catalog order."""
        return [str(i) for i in items.loc[self.eligible_mask(items), "item_id"]]

    def condition_field(self) -> str:
        """The field that restricts eligibility most visibly (for error messages)."""
        return next((f"offer.{f}" for f in ("items", "brands", "categories") if getattr(self, f)), "offer")

    def discount(self, eligible_spend: float) -> float:
        """The discount on ``eligible_spend`` (the amount off never exceeds what it applies to)."""
        spend = max(float(eligible_spend), 0.0)
        raw = spend * self.value / 100.0 if self.kind == "percent" else min(self.value, spend)
        return round(raw, 2)

    def window_reason(self, at: datetime) -> str | None:
        """``offer_not_started`` / ``offer_expired`` when ``at`` is outside the validity window, else None."""
        t = _utc(at)
        if self.valid_from is not None and t < _utc(self.valid_from):
            return "offer_not_started"
        if self.valid_until is not None and t >= _utc(self.valid_until):
            return "offer_expired"
        return None

    def describe(self) -> str:
        """A one-line summary ("20% off", "10.00 off over 50.00")."""
        what = f"{self.value:g}% off" if self.kind == "percent" else f"{self.value:.2f} off"
        return what + (f" over {self.min_spend:.2f}" if self.min_spend else "")

    def new_code(self) -> str:
        """A fresh single-use code (prefix and 10 random base-32 characters)."""
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        return f"{self.code_prefix}-" + "".join(secrets.choice(alphabet) for _ in range(10))


def _utc(t: datetime | pd.Timestamp) -> datetime:
    ts = pd.Timestamp(t)
    out: datetime = (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()
    return out


def _path(category: str) -> str:
    """A category path in one spelling: levels split on ``>`` or ``/``, trimmed, joined by `` > ``."""
    return " > ".join(p.strip() for p in category.replace("/", ">").split(">") if p.strip())


@dataclass(frozen=True)
class Redemption:
    """The verdict on one ``coupon_redeem`` event."""

    code: str
    accepted: bool
    reason: str | None
    campaign_id: str | None = None
    user_id: str | None = None
    discount: float = 0.0
    eligible_spend: float = 0.0
    spend: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BasketLine:
    item_id: str
    quantity: float
    price: float


def basket_lines(event: Mapping[str, Any], items: pd.DataFrame) -> list[BasketLine]:
    """The basket of a ``coupon_redeem`` event: ``context.items`` (ids or ``{item_id, quantity, price}``), else
    the event's ``item_id``; prices default to the catalog's."""
    ctx = event.get("context") or {}
    raw = ctx.get("items") if isinstance(ctx, Mapping) else None
    if raw is None:
        raw = [event["item_id"]] if event.get("item_id") else []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise DataError("context.items must be a list of item ids or {item_id, quantity, price}",
                        field="context.items")
    price_of = dict(zip(items["item_id"].astype(str), pd.to_numeric(items["price"], errors="coerce"), strict=True))
    out = []
    for i, line in enumerate(raw):
        entry = {"item_id": line} if isinstance(line, str) else line
        if not isinstance(entry, Mapping) or not entry.get("item_id"):
            raise DataError(f"basket line {i} needs an item_id, got {line!r}", field=f"context.items[{i}]")
        qty = float(entry.get("quantity", 1) or 1)
        price = entry.get("price")
        price = float(price) if price is not None else float(price_of.get(str(entry["item_id"]), math.nan))
        if not math.isfinite(price) or price < 0 or qty <= 0:
            raise DataError(f"basket line {i} ({entry['item_id']!r}) needs a known price >= 0 and a quantity > 0",
                            field=f"context.items[{i}].price")
        out.append(BasketLine(str(entry["item_id"]), qty, price))
    return out


def redeem(store: Store, event: Mapping[str, Any], items: pd.DataFrame, *,
           campaign_doc: Mapping[str, Any] | None = None) -> Redemption:
    """Check a ``coupon_redeem`` event against its campaign's offer and budget and record it when accepted."""
    ctx = event.get("context") or {}
    code = str(ctx.get("code") or "").strip() if isinstance(ctx, Mapping) else ""
    if not code:
        raise DataError("a coupon_redeem event carries its code in context.code", field="context.code")
    user = str(event.get("user_id") or "")
    delivery = store.coupon_delivery(code)
    if delivery is None:
        return Redemption(code, False, "unknown_code", user_id=user)
    campaign_id = str(delivery["campaign_id"])
    if delivery["user_id"] != user:
        return Redemption(code, False, "wrong_user", campaign_id, user)
    doc = campaign_doc if campaign_doc is not None else store.get_campaign(campaign_id)
    if doc is None or not doc.get("offer"):
        return Redemption(code, False, "unknown_code", campaign_id, user)
    offer = Offer.model_validate(doc["offer"])
    at = _utc(event.get("timestamp") or datetime.now(UTC))
    if doc.get("status") == "stopped":
        return Redemption(code, False, "campaign_over", campaign_id, user)
    reason = offer.window_reason(at)
    if reason is not None:
        return Redemption(code, False, reason, campaign_id, user)
    lines = basket_lines(event, items)
    total = sum(ln.price * ln.quantity for ln in lines)
    if event.get("value") is not None and math.isfinite(float(event["value"])):
        total = max(total, float(event["value"]))
    if total < offer.min_spend:
        return Redemption(code, False, "min_spend", campaign_id, user, spend=total)
    eligible = set(offer.eligible_items(items[items["item_id"].astype(str).isin({ln.item_id for ln in lines})]))
    eligible_spend = sum(ln.price * ln.quantity for ln in lines if ln.item_id in eligible)
    if eligible_spend <= 0:
        return Redemption(code, False, "no_eligible_item", campaign_id, user, spend=total)
    discount = offer.discount(eligible_spend)
    refused = store.redeem_coupon({"code": code, "campaign_id": campaign_id, "user_id": user,
                                   "order_id": ctx.get("order_id"), "spend": total, "discount": discount,
                                   "timestamp": pd.Timestamp(at)}, budget=offer.budget, per_user_cap=offer.per_user_cap)
    if refused is not None:
        return Redemption(code, False, refused, campaign_id, user, 0.0, eligible_spend, total)
    if doc.get("creative_policy") == "thompson":  # the creative's bandit learns from the redemption
        bandit_id = f"campaign:{campaign_id}"
        if store.get_bandit(bandit_id) is not None:
            SharedBandit.load(store, bandit_id).reward(str(delivery["delivery_id"]), 1.0)
    return Redemption(code, True, None, campaign_id, user, discount, eligible_spend, total)

"""Campaign documents: who (audience), why (objective), where (channel), when (schedule), how often (frequency
cap), how it is measured (a randomised hold-out), what is shown (creatives) and given (an optional offer).

A campaign is a JSON or YAML document (``shopmind campaigns create FILE``, ``POST /campaigns``)::

    campaign_id: spring-tea
    audience: {expression: "interest.category ~ Tea and churn_risk > 0.3"}   # or {segment: ...}, {user_ids: [...]}
    objective: purchase              # click, purchase or revenue
    channel: email                   # onsite, email or push
    schedule: {start: 2026-03-01T00:00:00Z, end: 2026-03-15T00:00:00Z}
    frequency_cap: {max: 1, per_days: 7}
    control_share: 0.2               # randomised hold-out: gets nothing, measures the incremental effect
    creatives:
      - {creative_id: personal, generate: user, items: 4}
      - {creative_id: written, subject: "Tea for you", body: "Hello! {offer}. Your code: {code}", items: 3}
    creative_policy: split           # split by weight, or thompson (a bandit learning from redemptions)
    offer: {kind: percent, value: 15, categories: ["Food > Tea"], min_spend: 30, budget: 2000, per_user_cap: 1}

Creating it checks everything a marketer can get wrong and names the field: unknown fields, bad values, a
negative budget (``offer.budget``), an audience that matches nobody (``audience``), an offer that no catalog item
is eligible for (``offer.categories`` ...), an id in use (``campaign_id``).

>>> spec = parse_campaign({"campaign_id": "c1", "audience": {"user_ids": ["u1"]}, "channel": "push",
...                        "creatives": [{"creative_id": "a", "body": "Hi"}]})
>>> spec.control_share, spec.frequency_cap.max
(0.1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shopmind.customers.audience import AudienceError, audience_frame, parse, select
from shopmind.errors import DataError, UnknownIdError
from shopmind.experiments.assignment import NAME, Experiment
from shopmind.marketing.offers import Offer
from shopmind.marketing.state import SharedBandit
from shopmind.storage import Store

#: The experiment metric that measures each objective.
OBJECTIVE_METRIC = {"click": "clicks_per_user", "purchase": "conversion", "revenue": "revenue_per_user"}


class AudienceSpec(BaseModel):
    """Exactly one of an audience expression (docs/customers.md), a segment id, or a list of user ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expression: str | None = Field(default=None, min_length=1, max_length=2_000)
    segment: str | None = Field(default=None, min_length=1, max_length=128)
    user_ids: list[str] | None = Field(default=None, max_length=1_000_000)

    @model_validator(mode="after")
    def _one(self) -> AudienceSpec:
        given = [k for k in ("expression", "segment", "user_ids") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"audience: give exactly one of expression, segment, user_ids (got {given or 'none'})")
        if self.expression is not None:
            try:
                parse(self.expression)
            except AudienceError as exc:
                raise ValueError(f"audience.expression: {exc}") from None
        if self.user_ids is not None and not self.user_ids:
            raise ValueError("audience.user_ids: the list is empty")
        return self

    def describe(self) -> str:
        if self.expression is not None:
            return f"expression {self.expression!r}"
        if self.segment is not None:
            return f"segment {self.segment!r}"
        return f"{len(self.user_ids or [])} listed users"


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: datetime | None = None
    end: datetime | None = None

    @model_validator(mode="after")
    def _order(self) -> Schedule:
        if self.start and self.end and pd.Timestamp(self.end) <= pd.Timestamp(self.start):
            raise ValueError(f"schedule.end: {self.end} is not after schedule.start {self.start}")
        return self


class FrequencyCap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: At most ``max`` deliveries per user in any ``per_days`` days.
    max: int = Field(default=1, ge=1, le=1_000)
    per_days: float = Field(default=7.0, gt=0, le=3_650)


class Creative(BaseModel):
    """A creative: written by the marketer (``subject``/``headline``/``body`` with ``{placeholders}``) or generated
    by the content service (``generate: user`` per user, ``generate: segment`` once per audience segment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    creative_id: str = Field(min_length=1, max_length=64)
    generate: Literal["none", "user", "segment"] = "none"
    subject: str | None = Field(default=None, max_length=300)
    headline: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, max_length=20_000)
    #: How many recommended (offer-eligible) items the creative shows.
    items: int = Field(default=4, ge=0, le=50)
    lang: Literal["en", "zh"] = "en"
    tone: str = Field(default="friendly", max_length=32)
    weight: float = Field(default=1.0, gt=0, le=1_000_000)

    @field_validator("creative_id")
    @classmethod
    def _ident(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("letters, digits and _ . : - only, starting with a letter or digit (at most 64)")
        return value

    @model_validator(mode="after")
    def _content(self) -> Creative:
        if self.generate == "none" and not (self.body or self.headline or self.subject):
            raise ValueError("body: a written creative (generate: none) needs a body, headline or subject")
        return self


class CampaignSpec(BaseModel):
    """What a marketer writes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    campaign_id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4_000)
    audience: AudienceSpec
    objective: Literal["click", "purchase", "revenue"] = "purchase"
    channel: Literal["onsite", "email", "push"]
    schedule: Schedule = Field(default_factory=Schedule)
    frequency_cap: FrequencyCap = Field(default_factory=FrequencyCap)
    #: Share of the audience randomly held out (gets nothing), [0, 0.9].
    control_share: float = Field(default=0.1, ge=0, le=0.9)
    creatives: list[Creative] = Field(min_length=1, max_length=20)
    creative_policy: Literal["split", "thompson"] = "split"
    offer: Offer | None = None
    #: Outcomes count for this long after a user's first delivery (the report).
    attribution_hours: float = Field(default=168.0, gt=0, le=24 * 365)

    @field_validator("campaign_id")
    @classmethod
    def _ident(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("letters, digits and _ . : - only, starting with a letter or digit (at most 64)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CampaignSpec:
        ids = [c.creative_id for c in self.creatives]
        dup = next((c for i, c in enumerate(ids) if c in ids[:i]), None)
        if dup is not None:
            raise ValueError(f"creatives: the creative_id {dup!r} occurs twice")
        if self.creative_policy == "thompson" and len(self.creatives) < 2:
            raise ValueError("creative_policy: thompson chooses among creatives; give at least two")
        return self


class Campaign(CampaignSpec):
    """A stored campaign: the spec plus status and times."""

    status: Literal["running", "stopped"] = "running"
    created_at: datetime
    stopped_at: datetime | None = None
    audience_size: int = 0

    @property
    def bandit_id(self) -> str:
        return f"campaign:{self.campaign_id}"

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def creative(self, creative_id: str) -> Creative:
        return next(c for c in self.creatives if c.creative_id == creative_id)

    def creative_shares(self) -> dict[str, float]:
        total = sum(c.weight for c in self.creatives)
        return {c.creative_id: c.weight / total for c in self.creatives}

    def over(self, now: datetime) -> bool:
        """Stopped or past its end."""
        return self.status == "stopped" or (self.schedule.end is not None and
                                            pd.Timestamp(now) >= _ts(self.schedule.end))

    def started(self, now: datetime) -> bool:
        return self.schedule.start is None or pd.Timestamp(now) >= _ts(self.schedule.start)

    def as_experiment(self) -> Experiment:
        """The campaign as a two-variant experiment (control vs treatment, weighted by the hold-out share), for
        :func:`shopmind.experiments.analysis.analyze` over the delivery log."""
        primary = OBJECTIVE_METRIC[self.objective]
        metrics = [primary, *(m for m in ("conversion", "revenue_per_user", "clicks_per_user") if m != primary)]
        variants: list[dict[str, Any]] = [{"name": "control", "weight": max(self.control_share, 1e-6)},
                                          {"name": "treatment", "weight": max(1 - self.control_share, 1e-6)}]
        return Experiment.create({"experiment_id": self.campaign_id, "surface": f"campaign:{self.campaign_id}"[:64],
                                  "variants": variants, "control": "control", "metrics": metrics,
                                  "attribution_hours": self.attribution_hours}, [], now=self.created_at)


def _ts(t: datetime) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts


def _field_of(error: Mapping[str, Any]) -> str:
    out = ""
    for p in error.get("loc", ()):
        if (isinstance(p, str) and p[:1].isupper()) or p in ("function-after",):
            continue
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    head = msg.split(": ", 1)[0]
    if ": " in msg and " " not in head:  # a model-level check names its field first
        return head if not out or head.startswith(out.split(".")[0]) else f"{out}.{head}"
    return out or "campaign"


def parse_campaign(doc: Mapping[str, Any]) -> CampaignSpec:
    """Validate a document; a bad one raises :class:`DataError` naming the first offending field."""
    if not isinstance(doc, Mapping):
        raise DataError(f"a campaign must be a JSON/YAML object, got {type(doc).__name__}")
    try:
        return CampaignSpec.model_validate(dict(doc))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_of(first)
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if first.get("type") == "extra_forbid" or first.get("type") == "extra_forbidden":
            msg = (f"unknown field (known: {', '.join(CampaignSpec.model_fields)})" if "." not in field
                   else "unknown field")
        value = first.get("input")
        shown = f" (got {value!r})" if not isinstance(value, Mapping | list) and first.get("type") != \
            "extra_forbidden" else ""
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise DataError(f"invalid campaign: {field}: {msg}{shown}{more}", field=field) from None


# ---------------------------------------------------------------------------------------------- audiences
def audience_users(store: Store, audience: AudienceSpec) -> list[str]:
    """Every user id in the audience (sorted). Expressions and segments read the customer profiles."""
    if audience.user_ids is not None:
        return sorted(set(audience.user_ids))
    profiles = store.profiles_frame()
    if profiles.empty:
        return []
    if audience.expression is not None:
        return select(profiles, audience.expression)
    return sorted(u for u, p in zip(profiles["user_id"], profiles["profile"], strict=True)
                  if audience.segment in (p.get("segments") or []))


def in_audience(store: Store, audience: AudienceSpec, user_id: str) -> bool:
    """Whether one user is in the audience (reads only that user's profile)."""
    if audience.user_ids is not None:
        return user_id in set(audience.user_ids)
    profile = store.get_profile(user_id)
    if profile is None:
        return False
    if audience.segment is not None:
        return audience.segment in (profile.get("segments") or [])
    frame = audience_frame(pd.DataFrame({"user_id": [user_id], "profile": [profile]}))
    return bool(parse(str(audience.expression)).mask(frame)[0])


# ---------------------------------------------------------------------------------------------- the store
def create_campaign(store: Store, doc: Mapping[str, Any], now: datetime | None = None) -> Campaign:
    """Validate ``doc`` against the store (audience not empty, offer with eligible items, new id) and store it."""
    spec = parse_campaign(doc)
    if store.get_campaign(spec.campaign_id) is not None:
        raise DataError(f"a campaign {spec.campaign_id!r} already exists (stopped campaigns keep their id and "
                        "log; choose a new id)", field="campaign_id")
    users = audience_users(store, spec.audience)
    if not users:
        hint = "" if spec.audience.user_ids is not None else (
            " (audiences read customer profiles: run `shopmind customers refresh` first)"
            if store.profiles_frame().empty else "")
        raise DataError(f"the audience ({spec.audience.describe()}) matches no user{hint}", field="audience")
    if spec.offer is not None:
        items = store.items_frame()
        if not spec.offer.eligible_items(items):
            raise DataError(f"no catalog item is eligible for the offer (categories {spec.offer.categories}, "
                            f"brands {spec.offer.brands}, items {spec.offer.items[:5]}; {len(items)} items in the "
                            "catalog)", field=spec.offer.condition_field())
    campaign = Campaign.model_validate({**spec.model_dump(), "created_at": now or datetime.now(UTC),
                                        "audience_size": len(users)})
    if campaign.creative_policy == "thompson" and store.get_bandit(campaign.bandit_id) is None:
        SharedBandit.create(store, {"bandit_id": campaign.bandit_id, "policy": "thompson",
                                    "arms": [c.creative_id for c in campaign.creatives],
                                    "description": f"creatives of campaign {campaign.campaign_id}"})
    store.put_campaign(campaign.to_doc())
    return campaign


def get_campaign(store: Store, campaign_id: str) -> Campaign:
    doc = store.get_campaign(str(campaign_id))
    if doc is None:
        raise UnknownIdError("campaign", campaign_id)
    return Campaign.model_validate(doc)


def list_campaigns(store: Store) -> list[Campaign]:
    return [Campaign.model_validate(d) for d in store.list_campaigns()]


def stop_campaign(store: Store, campaign_id: str, now: datetime | None = None) -> Campaign:
    """Stop delivering (its deliveries, coupons and redemptions stay; issued coupons are no longer accepted)."""
    campaign = get_campaign(store, campaign_id)
    if campaign.status == "stopped":
        return campaign
    campaign = campaign.model_copy(update={"status": "stopped", "stopped_at": now or datetime.now(UTC)})
    store.put_campaign(campaign.to_doc())
    return campaign


def _usable_offer(store: Store, campaign_id: str, at: datetime) -> tuple[Campaign, Offer, set[str]] | None:
    """The campaign, its offer and its redeemed codes, if the campaign has started, is not over and its offer is
    inside its validity window at ``at``; else None."""
    doc = store.get_campaign(campaign_id)
    campaign = Campaign.model_validate(doc) if doc is not None else None
    offer = campaign.offer if campaign is not None else None
    if campaign is None or offer is None or campaign.over(at) or not campaign.started(at) \
            or offer.window_reason(at) is not None:
        return None
    return campaign, offer, {str(c) for c in store.redemptions_frame(campaign_id)["code"]}


def usable_coupons(store: Store, user_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The coupons ``user_id`` holds and can use at ``now`` (default: the current time): delivered to them,
    not redeemed, of a campaign that has started and is not over, whose offer is inside its validity window.
    Each as ``{"code", "campaign_id", "offer", "valid_until"}`` (``offer`` a one-line summary with what it
    applies to; ``valid_until`` the date the offer ends, or None). The shopping assistant's coupons tool.

    The codes come from the delivery log, so a coupon counts once whichever channel delivered it."""
    at = now or datetime.now(UTC)
    deliveries = store.deliveries_frame(user_id=str(user_id))
    if deliveries.empty:
        return []
    held = deliveries[deliveries["coupon_code"].notna()]
    out: list[dict[str, Any]] = []
    usable: dict[str, tuple[Campaign, Offer, set[str]] | None] = {}  # per campaign, read once
    for row in held.itertuples(index=False):
        campaign_id = str(row.campaign_id)
        if campaign_id not in usable:
            usable[campaign_id] = _usable_offer(store, campaign_id, at)
        entry = usable[campaign_id]
        code = str(row.coupon_code)
        if entry is None or code in entry[2] or any(c["code"] == code for c in out):
            continue
        campaign, offer, _ = entry
        scope = [*offer.categories, *offer.brands]
        what = offer.describe() + (f" on {', '.join(scope[:3])}" if scope else "")
        until = offer.valid_until or campaign.schedule.end
        out.append({"code": code, "campaign_id": campaign_id, "offer": what,
                    "valid_until": pd.Timestamp(until).strftime("%Y-%m-%d") if until is not None else None})
    return out

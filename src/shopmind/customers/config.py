"""The knobs of customer understanding, as one typed section built at the edges (CLI, API, the settings file)
and passed down; nothing here reads the environment.

>>> CustomerSettings().churn_days, CustomerSettings(half_life_days=14).half_life_days
(90, 14.0)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shopmind.schema import DEFAULT_EVENT_WEIGHTS


class RfmRule(BaseModel):
    """One named RFM group: customers whose R score and FM score (the rounded mean of F and M) fall in the
    inclusive ranges. Rules are tried in order; the first match names the customer."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    label_zh: str
    r: tuple[int, int]
    fm: tuple[int, int]


#: The standard named groups over the 5 x 5 grid of R and FM scores (every cell is covered).
DEFAULT_RFM_RULES: tuple[RfmRule, ...] = (
    RfmRule(name="champions", label="Champions", label_zh="冠军客户", r=(5, 5), fm=(4, 5)),
    RfmRule(name="loyal", label="Loyal", label_zh="忠诚客户", r=(3, 4), fm=(4, 5)),
    RfmRule(name="potential_loyalist", label="Potential loyalist", label_zh="潜力客户", r=(4, 5), fm=(2, 3)),
    RfmRule(name="new", label="New", label_zh="新客户", r=(5, 5), fm=(1, 1)),
    RfmRule(name="promising", label="Promising", label_zh="有望客户", r=(4, 4), fm=(1, 1)),
    RfmRule(name="need_attention", label="Need attention", label_zh="需关注客户", r=(3, 3), fm=(3, 3)),
    RfmRule(name="about_to_sleep", label="About to sleep", label_zh="将沉睡客户", r=(3, 3), fm=(1, 2)),
    RfmRule(name="cannot_lose", label="Cannot lose", label_zh="不能失去的客户", r=(1, 2), fm=(5, 5)),
    RfmRule(name="at_risk", label="At risk", label_zh="流失风险客户", r=(1, 2), fm=(3, 4)),
    RfmRule(name="hibernating", label="Hibernating", label_zh="沉睡客户", r=(2, 2), fm=(1, 2)),
    RfmRule(name="lost", label="Lost", label_zh="已流失客户", r=(1, 1), fm=(1, 2)),
)


class CustomerSettings(BaseModel):
    """Everything the profile, segment, CLV and churn computations can be told.

    Times are in days. ``rfm_edges`` fixes the four score boundaries of a dimension (``recency_days``,
    ``frequency``, ``monetary``) instead of the quintiles of the shop's customers.
    """

    model_config = ConfigDict(frozen=True)

    #: Interest tags decay by half every this many days (an event 30 days old counts half).
    half_life_days: float = Field(default=30.0, gt=0)
    #: Weight of each event type in the interest tags.
    event_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    #: Interest tags kept per kind (category, brand, attribute, price band).
    top_tags: int = Field(default=5, ge=1, le=50)
    #: Churn: no purchase in the next this many days.
    churn_days: int = Field(default=90, ge=1)
    #: Lifecycle: first purchase this recent -> new; last purchase this recent -> active.
    new_days: int = Field(default=30, ge=1)
    active_days: int = Field(default=45, ge=1)
    #: Lifecycle: no purchase for this long -> lapsed (between active_days and this: at risk); a purchase
    #: after such a gap -> reactivated.
    lapsed_days: int = Field(default=90, ge=1)
    #: The BG/NBD time unit (days); lifetime value is given over 365 days (``clv_12m``).
    clv_unit_days: float = Field(default=7.0, gt=0)
    #: RFM: named groups, and optional fixed score edges per dimension (4 increasing numbers each).
    rfm_rules: tuple[RfmRule, ...] = DEFAULT_RFM_RULES
    rfm_edges: dict[str, tuple[float, float, float, float]] = Field(default_factory=dict)
    #: Learned segments: k-means with k chosen by silhouette in this range; LDA topics.
    k_min: int = Field(default=3, ge=2)
    k_max: int = Field(default=8, ge=2)
    topics: int = Field(default=6, ge=2)
    #: Users sampled to fit k-means and LDA (all users are then assigned; sklearn's LDA is slow per document).
    fit_sample: int = Field(default=10_000, ge=100)
    topic_sample: int = Field(default=2_000, ge=100)
    #: Categories likely to buy next, from the active recommender.
    next_categories: int = Field(default=3, ge=1)
    #: Money: the shop's currency (None: the most common one among purchases) and rates into it.
    currency: str | None = None
    exchange_rates: dict[str, float] = Field(default_factory=dict)
    #: Events later than the refresh time by more than this are ignored as clock errors.
    future_tolerance_seconds: float = Field(default=300.0, ge=0)
    seed: int = 0

    @field_validator("rfm_edges")
    @classmethod
    def _edges(cls, v: dict[str, tuple[float, float, float, float]]) -> dict[str, tuple[float, float, float, float]]:
        for name, edges in v.items():
            if name not in ("recency_days", "frequency", "monetary"):
                raise ValueError(f"rfm_edges: unknown dimension {name!r}; use recency_days, frequency, monetary")
            if list(edges) != sorted(edges):
                raise ValueError(f"rfm_edges[{name!r}] must be increasing, got {list(edges)}")
        return v

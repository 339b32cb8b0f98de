"""Request and response bodies of the REST API (separate from the pipeline's own types).

Batch writes take records as plain JSON objects: their fields are checked row by row by the importer
(:mod:`shopmind.ingest`), exactly as a file import would, so a bad row is reported with its index, field
and reason instead of failing the whole batch.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shopmind.pipeline.results import Recommendation
from shopmind.pipeline.rules import Boost, Pin, Promotion, RequestError, RerankOptions, Rule, parse_rule
from shopmind.pipeline.writes import DeleteResult, WriteResult
from shopmind.schema import EVENT_TYPE_ALIASES, EventType

Id = Annotated[str, Field(min_length=1, max_length=256)]
MAX_BATCH = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- writes
_ID_TEXT = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": r"^[^\u0000]*\S[^\u0000]*$"}
_TEXT_OR_NULL = {"anyOf": [{"type": "string"}, {"type": "null"}]}
_OBJECT_OR_NULL = {"anyOf": [{"type": "object"}, {"type": "null"}]}
_TIME = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
#: What the importer accepts in one row (other fields are ignored and listed in ``ignored_fields``).
ITEM_ROW: dict[str, Any] = {"type": "object", "required": ["item_id"], "properties": {
    "item_id": _ID_TEXT, "title": _TEXT_OR_NULL, "description": _TEXT_OR_NULL, "category": _TEXT_OR_NULL,
    "brand": _TEXT_OR_NULL, "price": {"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]},
    "currency": _TEXT_OR_NULL, "attributes": _OBJECT_OR_NULL, "image": _TEXT_OR_NULL, "created_at": _TIME,
    "in_stock": {"anyOf": [{"type": "boolean"}, {"type": "null"}]}}}
USER_ROW: dict[str, Any] = {"type": "object", "required": ["user_id"], "properties": {
    "user_id": _ID_TEXT, "attributes": _OBJECT_OR_NULL, "created_at": _TIME}}
EVENT_ROW: dict[str, Any] = {"type": "object", "required": ["user_id", "type"], "properties": {
    "event_id": {"anyOf": [_ID_TEXT, {"type": "null"}]}, "user_id": _ID_TEXT,
    "item_id": {"anyOf": [_ID_TEXT, {"type": "null"}]},
    "type": {"type": "string", "enum": sorted({e.value for e in EventType} | set(EVENT_TYPE_ALIASES))},
    "value": {"anyOf": [{"type": "number"}, {"type": "null"}]}, "timestamp": _TIME,
    "session_id": _TEXT_OR_NULL, "context": _OBJECT_OR_NULL}}


class ItemsBatch(_Strict):
    """Items to insert or replace (fields of ``shopmind.schema.Item``)."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH, json_schema_extra={"items": ITEM_ROW})


class UsersBatch(_Strict):
    """Users to insert or replace (fields of ``shopmind.schema.User``)."""

    users: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH, json_schema_extra={"items": USER_ROW})


class EventsBatch(_Strict):
    """Events to append (fields of ``shopmind.schema.Event``; ``timestamp`` defaults to now).

    Give each event an ``event_id`` to make retries safe: a known id is counted as a duplicate.
    """

    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH,
                                         json_schema_extra={"items": EVENT_ROW})


class ItemIds(_Strict):
    item_ids: list[Id] = Field(min_length=1, max_length=MAX_BATCH)


class UserIds(_Strict):
    user_ids: list[Id] = Field(min_length=1, max_length=MAX_BATCH)


class RowErrorOut(BaseModel):
    index: int
    field: str
    value: Any = None
    reason: str


class WriteOut(BaseModel):
    """Outcome of a batch write: counts, and one entry per rejected field of a row."""

    received: int
    inserted: int
    updated: int = 0
    unchanged: int = 0
    duplicates: int
    rejected: int
    errors: list[RowErrorOut] = Field(default_factory=list)
    ignored_fields: list[str] = Field(default_factory=list)
    import_id: str | None = None
    #: The verdict on each ``coupon_redeem`` event of the batch (accepted, or the reason it was refused).
    coupons: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, result: WriteResult, batch: str) -> WriteOut:
        errors = [RowErrorOut(index=e.index, field=f"{batch}[{e.index}].{e.field}",
                              value=e.value if e.value is None or isinstance(e.value, str | int | float | bool)
                              else repr(e.value),
                              reason=e.reason)
                  for e in result.errors]
        return cls(received=result.received, inserted=result.inserted, updated=result.updated,
                   unchanged=result.unchanged, duplicates=result.duplicates, rejected=result.rejected, errors=errors,
                   ignored_fields=result.ignored_fields, import_id=result.import_id)


class DeleteOut(BaseModel):
    deleted: int
    not_found: list[str]

    @classmethod
    def of(cls, result: DeleteResult) -> DeleteOut:
        return cls(deleted=result.deleted, not_found=result.not_found)


class ModelErasureOut(BaseModel):
    """What erasing a user did to one model version or saved artifact: ``exact`` (the model is now the one a
    fit without the user gives), ``user_removed`` (their own vector and history went; item-side parameters are
    refreshed by the next retrain) or ``not_in_model``."""

    version: str
    action: str
    artifact: str | None = None


class ErasureReceiptOut(BaseModel):
    """The receipt of a user's erasure: rows deleted by kind, what happened in each model, and when."""

    user_id: str
    request_id: str
    deleted: dict[str, int]
    models: list[ModelErasureOut]
    requested_at: str
    completed_at: str


# --------------------------------------------------------------------------- re-ranking options
class RuleIn(_Strict):
    """Conditions an item must all meet (category prefix, brands, price range, attributes, ids)."""

    category: str | None = Field(default=None, description="Category path prefix, e.g. 'Beauty > Skin Care'.")
    brand: str | list[str] | None = Field(default=None, description="One brand or a list (any of them).")
    min_price: float | None = Field(strict=True, default=None, ge=0)
    max_price: float | None = Field(strict=True, default=None, ge=0)
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict,
                                                           description="Attribute equalities.")
    item_ids: list[Id] = Field(default_factory=list)

    def to_rule(self) -> Rule:
        brands = (self.brand,) if isinstance(self.brand, str) else tuple(self.brand or ())
        return Rule(self.category, brands, self.min_price, self.max_price, tuple(self.attributes.items()),
                    tuple(self.item_ids))


class BoostIn(RuleIn):
    weight: float = Field(strict=True, default=0.5, gt=-1,
                          description="Scores of matching items are multiplied by 1 + weight.")


class PromotionIn(RuleIn):
    share: float = Field(strict=True, default=0.2, ge=0, le=1,
                         description="Share of the slots reserved for matching items.")


class PinIn(_Strict):
    item_id: Id
    position: int = Field(strict=True, default=0, ge=0)


def _rule(value: RuleIn | str, field: str) -> Rule:
    return parse_rule(value, field) if isinstance(value, str) else value.to_rule()


class OptionsIn(_Strict):
    """Business rules and re-ranking knobs. Filters and boosts may also be rule expressions such as
    ``"brand:Acme|Nordhaus; price:..50"``."""

    filters: list[RuleIn | str] = Field(default_factory=list, max_length=50)
    boosts: list[BoostIn] = Field(default_factory=list, max_length=50)
    exclude: list[Id] = Field(default_factory=list, max_length=MAX_BATCH)
    pins: list[PinIn] = Field(default_factory=list, max_length=100)
    promotion: PromotionIn | None = None
    diversity: float | None = Field(strict=True, default=None, ge=0, le=1,
                                    description="MMR lambda: 1 = by score only.")
    max_per_category: int | None = Field(strict=True, default=None, ge=1)
    category_level: int = Field(strict=True, default=0, ge=0,
                                description="0: full category path, 1: root category, ...")
    explore: int | None = Field(strict=True, default=None, ge=0,
                                description="Exploration slots (Thompson sampling).")
    long_tail: float | None = Field(strict=True, default=None, ge=0, le=1,
                                    description="Share of the list for items outside the popularity head "
                                    "(long-tail and new items).")
    filter_seen: StrictBool | None = None  # 0 / "yes" are type errors, as the schema says
    context: dict[str, Any] = Field(default_factory=dict)

    def to_options(self, filter_seen: bool) -> RerankOptions:
        promotion = None
        if self.promotion is not None:
            promotion = Promotion(self.promotion.to_rule(), self.promotion.share)
        for i, f in enumerate(self.filters):
            if isinstance(f, RuleIn) and f.to_rule() == Rule():
                raise RequestError(f"options.filters[{i}]", "empty rule")
        return RerankOptions(
            filters=tuple(_rule(f, f"options.filters[{i}]") for i, f in enumerate(self.filters)),
            boosts=tuple(Boost(b.to_rule(), b.weight) for b in self.boosts),
            exclude=tuple(self.exclude), pins=tuple(Pin(p.item_id, p.position) for p in self.pins),
            promotion=promotion, diversity=self.diversity, max_per_category=self.max_per_category,
            category_level=self.category_level, explore=self.explore, long_tail=self.long_tail,
            filter_seen=filter_seen if self.filter_seen is None else self.filter_seen, context=dict(self.context))


class RecommendIn(_Strict):
    user_id: Id
    n: int = Field(strict=True, default=10, ge=1, le=200)
    offset: int = Field(strict=True, default=0, ge=0, le=10_000)
    options: OptionsIn = OptionsIn()


class SessionIn(_Strict):
    """An anonymous session: the items it viewed, oldest first."""

    item_ids: list[Id] = Field(default_factory=list, max_length=100)
    n: int = Field(strict=True, default=10, ge=1, le=200)
    offset: int = Field(strict=True, default=0, ge=0, le=10_000)
    options: OptionsIn = OptionsIn()


class RerankIn(_Strict):
    """A list to re-rank, optionally for a user (model scores) - else by popularity."""

    item_ids: list[Id] = Field(min_length=1, max_length=1000)
    user_id: Id | None = None
    n: int | None = Field(strict=True, default=None, ge=1, le=1000)
    options: OptionsIn = OptionsIn()


class ModelActivateIn(_Strict):
    version: str = Field(min_length=1)


class RetrainIn(_Strict):
    model: str = Field(default="als", min_length=1, max_length=50, description="A model name (`shopmind models`).")
    params: dict[str, Any] = Field(default_factory=dict, description="Hyperparameters, e.g. {\"factors\": 64}.")


class ModelReloadIn(_Strict):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$",
                      description="Artifact directory under $SHOPMIND_HOME/models.")


# --------------------------------------------------------------------------- responses
class ItemOut(BaseModel):
    item_id: str
    score: float
    source: str = Field(description="model, similar, bought_together, trending, new, popular, pinned, "
                                    "promoted or exploration")
    reason: str
    position: int
    because_item_id: str | None = None
    title: str | None = None
    category: str | None = None


class RecommendationOut(BaseModel):
    """A ranked list; echo ``recommendation_id`` in ``context.recommendation_id`` of later events."""

    recommendation_id: str
    user_id: str | None = None
    model_version: str | None = None
    cold_start: bool = False
    items: list[ItemOut]
    unknown_item_ids: list[str] | None = None
    window: str | None = None

    @classmethod
    def of(cls, rec: Recommendation) -> RecommendationOut:
        return cls(recommendation_id=rec.recommendation_id, user_id=rec.user_id, model_version=rec.model_version,
                   cold_start=rec.cold_start, items=[ItemOut(**vars(i)) for i in rec.items],
                   unknown_item_ids=rec.extra.get("unknown_item_ids"), window=rec.extra.get("window"))


class ModelOut(BaseModel):
    version: str
    model: str
    source: str
    loaded_at: str
    items: int
    users: int
    trained_at: str | None = None
    active: bool | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: Any = None


class ErrorOut(BaseModel):
    """The one error shape of every endpoint."""

    error: ErrorDetail

"""Experiment definitions and deterministic assignment.

A user's variant is a pure function of the experiment document and the user id - no state, no randomness at
request time - so every worker, before and after a restart, gives the same answer, and a user's variant never
changes within an experiment:

1. *Surface layer* (mutual exclusion): each surface (``home``, ``pdp``, ``email`` ...) splits users into
   :data:`BUCKETS` buckets by a hash of ``surface:user_id``. Each running experiment on the surface owns a
   range of buckets, disjoint from the others' (Tang et al., "Overlapping experiment infrastructure", KDD 2010),
   so a user is in at most one experiment per surface. The range's size is the experiment's traffic share.
2. *Variant*: inside its range, a second hash of ``salt:user_id`` (salt = experiment id unless given), mapped to
   [0, 1), picks the variant by cumulative weight. Salting per experiment keeps the split of one experiment
   independent of every other's.

Hashes are SHA-256 of UTF-8 text (stable across Python versions and processes, unlike ``hash()``).

>>> exp = Experiment.create({"experiment_id": "hero", "surface": "home",
...                          "variants": [{"name": "control"}, {"name": "new", "model_version": "v2"}]}, [])
>>> exp.assign("user-1") == exp.assign("user-1")
True
>>> exp.variant_share("new")
0.5
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shopmind.errors import DataError

#: Buckets per surface: the traffic-share resolution is 1 / BUCKETS (0.01%).
BUCKETS = 10_000
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
#: Metrics an experiment can be analysed on (see :mod:`shopmind.experiments.analysis`).
METRICS = ("conversion", "ctr", "revenue_per_user", "clicks_per_user")
MetricName = Literal["conversion", "ctr", "revenue_per_user", "clicks_per_user"]
DEFAULT_METRICS: tuple[MetricName, ...] = ("conversion", "ctr", "revenue_per_user")


def unit_hash(text: str) -> float:
    """A uniform number in [0, 1) from the first 8 bytes of SHA-256 of ``text``.

    >>> unit_hash("salt:user-1") == unit_hash("salt:user-1")
    True
    """
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2.0**64


def surface_bucket(surface: str, user_id: str) -> int:
    """The user's bucket (0 .. BUCKETS-1) in the surface's layer."""
    return int(unit_hash(f"surface:{surface}:{user_id}") * BUCKETS)


class Variant(BaseModel):
    """One arm of an experiment: a model version, pipeline settings, or a campaign creative (or just a name,
    for an A/A test)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    weight: float = Field(default=1.0, gt=0, le=1_000_000)
    model_version: str | None = Field(default=None, min_length=1, max_length=256)
    settings: dict[str, Any] | None = None
    creative: str | None = Field(default=None, min_length=1, max_length=256)
    description: str = Field(default="", max_length=2_000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("letters, digits and _ . : - only, starting with a letter or digit (at most 64)")
        return value


class ExperimentSpec(BaseModel):
    """What a marketer or engineer writes (``shopmind experiments create FILE``, ``POST /experiments``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experiment_id: str = Field(min_length=1, max_length=64)
    surface: str = Field(min_length=1, max_length=64)
    variants: list[Variant] = Field(min_length=2, max_length=20)
    #: The control variant's name (default: the first variant).
    control: str | None = None
    #: Share of the surface's users in the experiment, (0, 1].
    traffic: float = Field(default=1.0, gt=0, le=1)
    #: Explicit bucket range ``[start, stop)`` of the surface layer (default: the first free range that fits).
    buckets: tuple[int, int] | None = None
    salt: str | None = Field(default=None, min_length=1, max_length=128)
    #: The primary metric first.
    metrics: list[MetricName] = Field(default_factory=lambda: list(DEFAULT_METRICS), min_length=1)
    #: Outcomes count for this long after a user's first exposure.
    attribution_hours: float = Field(default=168.0, gt=0, le=24 * 365)
    #: The pre-period (before a user's first exposure) whose same metric is the CUPED covariate.
    pre_period_days: float = Field(default=28.0, ge=0, le=365)
    #: Relative effect the experiment is planned to detect (sets the mSPRT mixture and the planned sample size).
    mde: float = Field(default=0.05, gt=0, le=10)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    description: str = Field(default="", max_length=4_000)

    @field_validator("experiment_id", "surface")
    @classmethod
    def _ident(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("letters, digits and _ . : - only, starting with a letter or digit (at most 64)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        names = [v.name for v in self.variants]
        dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if dup is not None:
            raise ValueError(f"variants: the name {dup!r} occurs twice")
        if self.control is not None and self.control not in names:
            raise ValueError(f"control: {self.control!r} is not one of the variants {names}")
        if self.buckets is not None:
            start, stop = self.buckets
            if not 0 <= start < stop <= BUCKETS:
                raise ValueError(f"buckets: [start, stop) with 0 <= start < stop <= {BUCKETS}, "
                                 f"got {list(self.buckets)}")
        return self


def _field_of(error: Mapping[str, Any]) -> str:
    loc = [p for p in error.get("loc", ()) if not (isinstance(p, str) and p[:1].isupper())]
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    msg = str(error.get("msg", ""))
    if not out and ": " in msg:  # a model-level check names its field first
        out = msg.split(": ", 1)[0].removeprefix("Value error, ")
    return out or "experiment"


def parse_spec(doc: Mapping[str, Any]) -> ExperimentSpec:
    """Validate a document; a bad one raises :class:`DataError` naming the first offending field."""
    if not isinstance(doc, Mapping):
        raise DataError(f"an experiment must be a JSON/YAML object, got {type(doc).__name__}")
    try:
        return ExperimentSpec.model_validate(dict(doc))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_of(first)
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if first.get("type") == "extra_forbidden":
            msg = f"unknown field (known: {', '.join(ExperimentSpec.model_fields)})" if "." not in field and \
                "[" not in field else "unknown field"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise DataError(f"invalid experiment: {msg}{more}", field=field) from None


class Experiment(BaseModel):
    """A stored experiment: the spec plus its status and bucket range (what the store keeps as JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experiment_id: str
    surface: str
    variants: list[Variant]
    control: str
    traffic: float
    buckets: tuple[int, int]
    salt: str
    metrics: list[str]
    attribution_hours: float
    pre_period_days: float
    mde: float
    alpha: float
    description: str = ""
    status: Literal["running", "stopped"] = "running"
    created_at: datetime
    stopped_at: datetime | None = None

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(cls, doc: Mapping[str, Any], existing: Iterable[Experiment | Mapping[str, Any]],
               known_model_versions: Iterable[str] | None = None, now: datetime | None = None) -> Experiment:
        """Validate ``doc`` against the stored experiments and give it its bucket range.

        Rejected with a :class:`DataError` naming the field: an unknown field, a bad value, an id already used
        (``experiment_id``), a range overlapping a running experiment on the surface (``buckets``) or no free
        range large enough (``traffic``), a variant pointing to a model version not in
        ``known_model_versions`` (``variants[i].model_version``; not checked when None)."""
        spec = parse_spec(doc)
        others = [e if isinstance(e, Experiment) else Experiment.model_validate(e) for e in existing]
        if any(e.experiment_id == spec.experiment_id for e in others):
            raise DataError(f"an experiment {spec.experiment_id!r} already exists (stopped experiments keep their "
                            f"id and log; choose a new id)", field="experiment_id")
        if known_model_versions is not None:
            known = set(known_model_versions)
            for i, v in enumerate(spec.variants):
                if v.model_version is not None and v.model_version not in known:
                    raise DataError(f"variant {v.name!r} points to model version {v.model_version!r}, which is "
                                    f"not loaded (known: {', '.join(sorted(known)) or 'none'})",
                                    field=f"variants[{i}].model_version")
        taken = sorted(e.buckets for e in others if e.surface == spec.surface and e.status == "running")
        size = max(1, round(spec.traffic * BUCKETS))
        if spec.buckets is not None:
            start, stop = spec.buckets
            clash = next((e for e in others if e.surface == spec.surface and e.status == "running"
                          and e.buckets[0] < stop and start < e.buckets[1]), None)
            if clash is not None:
                raise DataError(f"buckets [{start}, {stop}) overlap running experiment {clash.experiment_id!r} "
                                f"on surface {spec.surface!r} (its buckets {list(clash.buckets)}); experiments on "
                                "one surface are mutually exclusive", field="buckets")
            buckets = (start, stop)
        else:
            buckets = _first_fit(taken, size, spec.surface)
        return cls(experiment_id=spec.experiment_id, surface=spec.surface, variants=spec.variants,
                   control=spec.control or spec.variants[0].name, traffic=(buckets[1] - buckets[0]) / BUCKETS,
                   buckets=buckets, salt=spec.salt or spec.experiment_id, metrics=list(spec.metrics),
                   attribution_hours=spec.attribution_hours, pre_period_days=spec.pre_period_days, mde=spec.mde,
                   alpha=spec.alpha, description=spec.description, created_at=now or datetime.now(UTC))

    def stopped(self, now: datetime | None = None) -> Experiment:
        """This experiment stopped: it assigns no one any more (its log stays)."""
        return self.model_copy(update={"status": "stopped", "stopped_at": now or datetime.now(UTC)})

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    # ------------------------------------------------------------------ assignment
    @property
    def variant_names(self) -> list[str]:
        return [v.name for v in self.variants]

    @property
    def treatments(self) -> list[str]:
        return [v.name for v in self.variants if v.name != self.control]

    def variant_share(self, name: str) -> float:
        """The probability that an enrolled user gets variant ``name`` (its assignment propensity)."""
        total = sum(v.weight for v in self.variants)
        return next(v.weight for v in self.variants if v.name == name) / total

    def shares(self) -> dict[str, float]:
        return {v.name: self.variant_share(v.name) for v in self.variants}

    def enrolled(self, user_id: str) -> bool:
        """Whether the user's surface bucket is in this experiment's range (whatever the status)."""
        return self.buckets[0] <= surface_bucket(self.surface, str(user_id)) < self.buckets[1]

    def variant_of(self, user_id: str) -> str:
        """The variant the salted hash gives ``user_id`` (ignores traffic and status; see :meth:`assign`)."""
        u = unit_hash(f"{self.salt}:{user_id}")
        total = sum(v.weight for v in self.variants)
        edge = 0.0
        for v in self.variants:
            edge += v.weight / total
            if u < edge:
                return v.name
        return self.variants[-1].name

    def assign(self, user_id: str) -> str | None:
        """The user's variant, or None when the experiment is stopped or the user is outside its traffic."""
        if self.status != "running" or not self.enrolled(user_id):
            return None
        return self.variant_of(str(user_id))


def _first_fit(taken: Sequence[tuple[int, int]], size: int, surface: str) -> tuple[int, int]:
    start = 0
    for lo, hi in sorted(taken):
        if lo - start >= size:
            return start, start + size
        start = max(start, hi)
    if BUCKETS - start >= size:
        return start, start + size
    free = BUCKETS - sum(hi - lo for lo, hi in taken)
    raise DataError(f"surface {surface!r} has no free range for {size / BUCKETS:.2%} of its users (running "
                    f"experiments hold {1 - free / BUCKETS:.2%}); lower the traffic or stop an experiment",
                    field="traffic")


def assign_on_surface(experiments: Iterable[Experiment], surface: str, user_id: str
                      ) -> tuple[Experiment, str] | None:
    """The one running experiment on ``surface`` that enrols ``user_id`` and the variant it gives, or None."""
    bucket = surface_bucket(surface, str(user_id))
    for exp in experiments:
        if exp.surface == surface and exp.status == "running" and exp.buckets[0] <= bucket < exp.buckets[1]:
            return exp, exp.variant_of(str(user_id))
    return None

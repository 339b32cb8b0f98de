"""Settings: one typed object, read from the environment once at the edge (a CLI command, ``shopmind serve``)
and passed down as sections to the parts that need them. Nothing below the edge reads the environment.

Environment variables (all optional; prefix ``SHOPMIND_``, a section and its field joined by ``_``):

=============================  ==========================================================================
``SHOPMIND_HOME``              work folder (default ``~/.shopmind``): datasets, models, reports, caches
``SHOPMIND_STORE``             store URL (default ``sqlite:///$SHOPMIND_HOME/shopmind.db``; or ``postgresql://``)
``SHOPMIND_EMBEDDING_CACHE``   store URL of the text-embedding cache (default
                               ``sqlite:///$SHOPMIND_HOME/embeddings.db``; ``none`` turns it off)
``SHOPMIND_SEED``              seed of everything random the CLI starts (default 42)
``SHOPMIND_EVENT_WEIGHTS``     JSON ``{"purchase": 5, "view": 0.5, ...}``: how much each event type counts, for the
                               training views (train, bench, evaluate) and the online pipeline alike
``SHOPMIND_API_KEYS``          API keys and scopes, ``key1:read,key2:write,key3:read+write`` (none: auth off)
``SHOPMIND_API_MAX_BODY_BYTES``  largest request body (default 5 MB); also ``SHOPMIND_API_MAX_BATCH``
``SHOPMIND_API_RATE_LIMIT``    requests a second per API key (default 100, bursts of ``SHOPMIND_API_RATE_BURST``
                               = 200; 0: no limit); over it the API answers 429 with ``Retry-After``
``SHOPMIND_LLM_URL`` /         the chat-model backends: an OpenAI-compatible endpoint and its model name (or a
``SHOPMIND_LLM_MODEL`` /       known local model / ``.gguf`` path for ``llama-cpp``), its key, timeout, threads
``SHOPMIND_LLM_API_KEY`` ...
``SHOPMIND_STATE``             the online state several serving workers share (``redis://HOST:PORT/DB``)
``SHOPMIND_PIPELINE_<FIELD>``  any field of :class:`PipelineSettings`, e.g. ``SHOPMIND_PIPELINE_EXPLORE=0``
``SHOPMIND_NEGATIVE_RATING_THRESHOLD``  ratings at or below this are not positives (default 2; ``none``: all are)
``SHOPMIND_PRIVACY_SECRET``    pseudonymised mode: user ids become a keyed hash at the edge (docs/privacy.md)
``SHOPMIND_DP_EPSILON``        differentially private ``/trending`` and bought-together lists: epsilon per release
                               (off by default); also ``SHOPMIND_DP_BUDGET`` / ``_PERIOD`` / ``_MAX_ITEMS``
``SHOPMIND_ASSIST_LOG_QUESTIONS``  whether ``shopmind serve`` keeps the FAQ questions shoppers ask (default true; no
                               user id is kept); ``SHOPMIND_ASSIST_QUESTION_LIMIT`` how many (default 10,000)
``SHOPMIND_WEB_SESSION_SECRET``  signs the console's session cookies (default: a new secret per process, so
                               a restart signs everyone out); also ``SHOPMIND_WEB_SESSION_HOURS``
=============================  ==========================================================================

>>> s = Settings(home="/srv/shop", store_url=None, api={"keys": "k1:read,k2:write"})
>>> s.store, str(s.models_dir), sorted(s.api.keys["k2"])
('sqlite:////srv/shop/shopmind.db', '/srv/shop/models', ['read', 'write'])
>>> Settings(pipeline={"explore": 0}).pipeline.trending_window
'24h'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shopmind.errors import ParameterError, ShopmindError
from shopmind.schema import DEFAULT_EVENT_WEIGHTS, DEFAULT_NEGATIVE_RATING_THRESHOLD

#: The scopes an API key can hold; each implies the ones before it (``admin`` -> write -> read).
SCOPES = ("read", "write", "admin")


def parse_api_keys(text: str | None) -> dict[str, frozenset[str]]:
    """Parse ``KEY:SCOPE[+SCOPE],...``; ``admin`` implies ``write``, which implies ``read``. Raises
    :class:`ParameterError` on a malformed entry.

    >>> {key: sorted(scopes) for key, scopes in parse_api_keys("k1:read, k2:write").items()}
    {'k1': ['read'], 'k2': ['read', 'write']}
    """
    keys: dict[str, frozenset[str]] = {}
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        key, sep, scopes = entry.rpartition(":")
        wanted = {s.strip().lower() for s in scopes.split("+") if s.strip()}
        if not sep or not key.strip() or not wanted or not wanted <= set(SCOPES):
            raise ParameterError("SHOPMIND_API_KEYS", "entry", entry,
                                 "KEY:SCOPE with SCOPE read, write or admin (e.g. 'k1:read,k2:write')")
        if "admin" in wanted:
            wanted.add("write")
        if "write" in wanted:
            wanted.add("read")
        keys[key.strip()] = frozenset(wanted)
    return keys


class ApiSettings(BaseModel):
    """One REST API instance: keys and scopes, request limits, where model artifacts are reloaded from."""

    model_config = ConfigDict(frozen=True)

    #: key -> scopes; from ``"k1:read,k2:write"`` text (``SHOPMIND_API_KEYS``) or a mapping. Empty: auth off.
    keys: Annotated[dict[str, frozenset[str]], NoDecode] = Field(default_factory=dict)
    #: Largest request body accepted (bytes); larger ones get 413.
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    #: Most records in one batch write.
    max_batch: int = Field(default=10_000, ge=1)
    #: Requests a second each API key may make on average (0: no limit); a key created with its own
    #: ``--rate-limit`` uses that. Over it: 429 with ``Retry-After``.
    rate_limit: float = Field(default=100.0, ge=0)
    #: Requests a key may make at once before the average applies (token-bucket size).
    rate_burst: float = Field(default=200.0, ge=1)
    #: Where ``POST /models/reload`` looks for model artifacts (``None`` disables reloading by name).
    models_dir: Path | None = None
    #: BLAS threads of ``shopmind serve``: one by default, since requests run concurrently and a
    #: multi-threaded product fights the other requests for the cores.
    blas_threads: int = Field(default=1, ge=1)
    title: str = "shopmind"

    @field_validator("keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return parse_api_keys(value)
        return {str(k): frozenset(v) for k, v in dict(value).items()}

    @property
    def auth_enabled(self) -> bool:
        return bool(self.keys)


class SourceWeights(BaseModel):
    """How much each candidate source counts when the serving pipeline merges candidates."""

    model_config = ConfigDict(frozen=True)

    model: float = 1.0
    similar: float = 1.0
    trending: float = 0.35
    new: float = 0.2
    popular: float = 0.25
    segment: float = 0.3


class PipelineSettings(BaseModel):
    """Candidate sizes, source weights and defaults of the serving pipeline's stages.

    >>> PipelineSettings(explore=0).trending_window
    '24h'
    """

    model_config = ConfigDict(frozen=True)

    #: Weight of each event type for popularity, trending and "seen" (> 0 means the user engaged); in
    #: :class:`Settings` it follows ``Settings.event_weights``.
    event_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    #: Ratings at or below this are negative feedback, not positives (follows
    #: ``Settings.negative_rating_threshold``).
    negative_rating_threshold: float | None = DEFAULT_NEGATIVE_RATING_THRESHOLD
    #: Negative feedback (dislike, hide, not_interested, low ratings) also hides the item's near-duplicates:
    #: items of the same brand and category whose title is the same before its variant (" - ...").
    hide_near_duplicates: bool = False
    weights: SourceWeights = Field(default_factory=SourceWeights)
    model_candidates: int = 200
    anchors: int = 5
    per_anchor: int = 30
    #: Nearest neighbours kept per item in each model version's neighbour table (at least ``per_anchor``).
    neighbours: int = 50
    #: How a factor model's top-k items are found: "exact" (bounded matrix-vector products), or an approximate
    #: faiss index for catalogs of millions, "hnsw" or "ivf" (:mod:`shopmind.pipeline.ann`; recall below 1).
    retrieval: Literal["exact", "hnsw", "ivf"] = "exact"
    #: Users whose model candidates each model version keeps (most recent first; about 1.6 kB a user).
    user_cache: int = 20_000
    #: Users whose merged candidates (every source, before re-ranking) the service keeps for their next
    #: request, reused while nothing they depend on changed (0: none; about 10 kB a user).
    candidate_cache: int = 5_000
    trending_candidates: int = 100
    popular_candidates: int = 200
    new_candidates: int = 50
    segment_candidates: int = 50
    trending_window: str = "24h"
    #: Default MMR lambda (1.0: no diversification) and exploration slots of personal recommendations.
    diversity: float = 1.0
    explore: int = 1
    #: The share of the catalog, most popular first, that is the head for ``long_tail`` (the rest is the tail).
    head_share: float = 0.05
    min_impressions: int = 20
    #: How stale cached top lists (trending, popular, segment) and the exploration pool may get under a stream
    #: of events, in seconds (0: recomputed whenever an event changes them).
    refresh_seconds: float = 0.5
    max_sessions: int = 200_000
    #: Event ids remembered to keep live counters idempotent across retried batches.
    remembered_event_ids: int = 500_000
    #: Stored events of positive weight kept per user when a worker builds its state from the store, most
    #: recent first (None: all of them). They are what a user's list excludes as seen or bought and where its
    #: "because you viewed" anchors come from; with a bound, items a user touched only before their last
    #: ``history_limit`` events may be shown again. Bounds a worker's memory for users with very long
    #: histories (the store still streams every event once: popularity is all-time).
    history_limit: int | None = Field(default=None, ge=1)
    models_kept: int = 5
    #: With a CTR ranker loaded: how many of the best merged candidates it scores, and the share of its
    #: (rescaled) probability in their final score (the rest is the merged candidate score).
    rank_candidates: int = 200
    ranker_weight: float = 0.5
    seed: int | None = None


class LLMSettings(BaseModel):
    """Where the chat-model backends of the content package find their model: ``url`` and ``api_key`` for the
    ``openai`` backend; ``model`` is the server's model name there, and a known model name or a ``.gguf``
    path for ``llama-cpp``."""

    url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout: float = 60.0
    n_threads: int = 2
    #: Where a local model shipped in parts is joined once (``<home>/models/llm/``): :class:`Settings` fills
    #: in its own ``home``; None means ``~/.shopmind``.
    home: Path | None = None


class WebSettings(BaseModel):
    """The merchant's console at ``/admin`` (:mod:`shopmind.web`): how its sessions are signed and how long they
    last, and where it finds the evaluation reports it shows."""

    model_config = ConfigDict(frozen=True)

    #: Signs session cookies; None: a random secret made when the console starts (sessions end on restart).
    session_secret: SecretStr | None = None
    #: How long a sign-in lasts.
    session_hours: float = Field(default=12.0, gt=0)
    #: Evaluation reports (``<dir>/<name>/report.json`` and its plots) for the Models page; None: none shown.
    reports_dir: Path | None = None
    #: Largest file the Data page's import takes (bytes); the API's other requests keep ``api.max_body_bytes``.
    max_upload_bytes: int = Field(default=500 * 1024 * 1024, ge=1)


class PrivacySettings(BaseModel):
    """Pseudonymisation and the deletion log (:mod:`shopmind.privacy`).

    With a ``secret``, user ids are replaced at the edge (the API, file imports, the privacy commands) by a keyed
    hash (HMAC-SHA256), so the store, logs, model artifacts and exports hold no raw id; the API still takes
    the shop's own ids. The same secret keys the hashes of the deletion log (without one, a random key kept in
    the store does). Keep the secret out of the store: whoever holds it can test a guessed id.
    """

    model_config = ConfigDict(frozen=True)

    secret: SecretStr | None = None


class AssistSettings(BaseModel):
    """The customer-service side (:mod:`shopmind.assist`): whether ``shopmind serve`` keeps the questions shoppers
    ask the FAQ (text, best entry, confidence, hand-off; no user id) and how many, and whether Chinese questions
    are also matched through the local LLM's English rendering (when it is installed).

    >>> AssistSettings().log_questions, AssistSettings().question_limit
    (True, 10000)
    """

    model_config = ConfigDict(frozen=True)

    log_questions: bool = True
    question_limit: int = Field(default=10_000, ge=1)
    #: Chinese FAQ questions also matched in English (the local LLM renders them, about 0.5-1 s a question)
    #: when ``make setup-llm`` installed the LLM; False never loads it.
    translator: bool = True


class DPSettings(BaseModel):
    """Differentially private published lists (:mod:`shopmind.privacy`): off unless ``epsilon`` is set.

    >>> DPSettings(epsilon=1.0).budget, DPSettings().enabled
    (10.0, False)
    """

    model_config = ConfigDict(frozen=True)

    #: Epsilon spent by each release of ``/trending`` and ``/items/{id}/bought-together`` (None: exact lists).
    epsilon: float | None = Field(default=None, gt=0)
    #: Epsilon each budget period may spend in all; once spent, releases are refused until the next period.
    budget: float = Field(default=10.0, gt=0)
    period: Literal["day", "week", "month"] = "day"
    #: Contribution bound: a user counts with at most this many distinct items in one release.
    max_items: int = Field(default=20, ge=1)
    #: How long a release is served again (free: post-processing) before a fresh one is drawn and paid for.
    refresh_seconds: float = Field(default=3600.0, ge=0)

    @property
    def enabled(self) -> bool:
        return self.epsilon is not None


#: The work folder when no settings say otherwise.
DEFAULT_HOME = Path.home() / ".shopmind"


class Settings(BaseSettings):
    """Everything configurable, typed. ``Settings()`` reads the environment (see the module docs); keyword
    arguments win over it. Built once per command or server and passed down."""

    model_config = SettingsConfigDict(env_prefix="SHOPMIND_", env_nested_delimiter="_", env_nested_max_split=1,
                                      extra="ignore", populate_by_name=True)

    home: Path = DEFAULT_HOME
    store_url: str | None = Field(default=None, validation_alias=AliasChoices("store_url", "SHOPMIND_STORE"))
    #: Where serving workers share their online state (``redis://HOST:PORT/DB``); None: in the process.
    state_url: str | None = Field(default=None, validation_alias=AliasChoices("state_url", "SHOPMIND_STATE"))
    embedding_cache: str | None = None
    event_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    #: Ratings at or below this value are not positives (training views, serving); None: every rating is.
    negative_rating_threshold: float | None = DEFAULT_NEGATIVE_RATING_THRESHOLD
    seed: int = 42
    api: ApiSettings = Field(default_factory=ApiSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    dp: DPSettings = Field(default_factory=DPSettings)
    assist: AssistSettings = Field(default_factory=AssistSettings)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """The environment's settings with ``overrides`` (``None`` values ignored); a bad value raises
        :class:`~shopmind.errors.ShopmindError` naming the setting, the value and what is expected."""
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            raise ShopmindError(_describe(exc)) from None

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _share(self) -> Settings:
        """Values the sections take from the whole: the LLM's home, and one set of event weights for the
        training views and the online pipeline alike."""
        if self.llm.home is None:
            self.llm = self.llm.model_copy(update={"home": self.home})
        if self.pipeline.event_weights != self.event_weights:
            self.pipeline = self.pipeline.model_copy(update={"event_weights": dict(self.event_weights)})
        if self.pipeline.negative_rating_threshold != self.negative_rating_threshold:
            self.pipeline = self.pipeline.model_copy(
                update={"negative_rating_threshold": self.negative_rating_threshold})
        return self

    @field_validator("negative_rating_threshold", mode="before")
    @classmethod
    def _no_threshold(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "none", "off"):
            return None
        return value

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced; ``None`` values are ignored (an option not given on the
        command line keeps the environment's value)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if not given:
            return self
        current = self.model_dump()
        if "home" in given and current["llm"]["home"] == self.home:
            current["llm"]["home"] = None  # follows the new home
        try:
            return type(self).model_validate({**current, **given})
        except ValidationError as exc:
            raise ShopmindError(_describe(exc)) from None

    @property
    def store(self) -> str:
        """The store URL: ``store_url`` or the SQLite file in ``home``."""
        return self.store_url or f"sqlite:///{self.home / 'shopmind.db'}"

    @property
    def embedding_cache_url(self) -> str | None:
        """The store URL of the text-embedding cache, or None when ``embedding_cache`` is ``none``."""
        if self.embedding_cache and self.embedding_cache.strip().lower() == "none":
            return None
        return self.embedding_cache or f"sqlite:///{self.home / 'embeddings.db'}"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def datasets_dir(self) -> Path:
        return self.home / "datasets"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def _describe(exc: ValidationError) -> str:
    """One line per invalid setting: its environment variable name, what was given and what is expected."""
    parts = []
    for err in exc.errors():
        name = "SHOPMIND_" + "_".join(str(p) for p in err["loc"]).upper()
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"setting {name} = {err.get('input')!r}: {msg}")
    return "; ".join(parts)

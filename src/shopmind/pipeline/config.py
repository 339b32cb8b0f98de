"""Tunable knobs of the serving pipeline, in one typed object built at the edge and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from shopmind.pipeline.candidates import SourceWeights
from shopmind.schema import DEFAULT_EVENT_WEIGHTS


@dataclass(frozen=True)
class PipelineConfig:
    """Candidate sizes, source weights and defaults of the re-ranking stages.

    >>> PipelineConfig(explore=0).trending_window
    '24h'
    """

    #: Weight of each event type for popularity, trending and "seen" (> 0 means the user engaged).
    event_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    weights: SourceWeights = field(default_factory=SourceWeights)
    model_candidates: int = 200
    anchors: int = 5
    per_anchor: int = 30
    #: Nearest neighbours kept per item in each model version's neighbour table (at least ``per_anchor``).
    neighbours: int = 50
    #: Users whose model candidates each model version keeps (most recent first; about 1.6 kB a user).
    user_cache: int = 20_000
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
    #: How stale cached top lists (trending, popular) may get under a stream of events, in seconds.
    refresh_seconds: float = 0.5
    max_sessions: int = 200_000
    #: Event ids remembered to keep live counters idempotent across retried batches.
    remembered_event_ids: int = 500_000
    models_kept: int = 5
    #: With a CTR ranker loaded: how many of the best merged candidates it scores, and the share of its
    #: (rescaled) probability in their final score (the rest is the merged candidate score).
    rank_candidates: int = 200
    ranker_weight: float = 0.5
    seed: int | None = None

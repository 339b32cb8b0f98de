"""The serving pipeline: candidate generation, re-ranking and explanations, with no HTTP in it.

>>> from shopmind.pipeline import RecommendationService, RerankOptions, parse_rule
>>> service = RecommendationService.open(store, model)                          # doctest: +SKIP
>>> service.recommend("U00001", n=5, options=RerankOptions(filters=(parse_rule("price:..100"),)))  # doctest: +SKIP

Modules: :mod:`.catalog` (the serving item index), :mod:`.signals` (popularity, trending windows, bandit
counts), :mod:`.history` (stored histories and live sessions), :mod:`.cooccurrence`, :mod:`.neighbours`
(each model version's nearest-neighbour table), :mod:`.versions` (model bundles, swap and rollback),
:mod:`.candidates`, :mod:`.rules`, :mod:`.rerank`, :mod:`.exploration`, :mod:`.results`, :mod:`.state`,
:mod:`.writes`, :mod:`.service`.
"""

from shopmind.data.signals import WINDOWS
from shopmind.pipeline.candidates import SOURCES, Candidates
from shopmind.pipeline.results import Recommendation, RecommendedItem
from shopmind.pipeline.rules import (
    Boost,
    Pin,
    Promotion,
    RequestError,
    RerankOptions,
    Rule,
    parse_boost,
    parse_pin,
    parse_rule,
)
from shopmind.pipeline.service import RecommendationService
from shopmind.pipeline.writes import DeleteResult, RowError, WriteResult

__all__ = [
    "SOURCES",
    "WINDOWS",
    "Boost",
    "Candidates",
    "DeleteResult",
    "Pin",
    "Promotion",
    "Recommendation",
    "RecommendationService",
    "RecommendedItem",
    "RequestError",
    "RerankOptions",
    "RowError",
    "Rule",
    "WriteResult",
    "parse_boost",
    "parse_pin",
    "parse_rule",
]

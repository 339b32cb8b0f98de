"""Experiments in the serving path: the variant of each request's user decides the model version and the
pipeline settings, and every list shown to an enrolled user is logged as an exposure (with its recommendation id
and model version) so that later events are attributed to it.

Personal recommendations are the surface :data:`SURFACE`. The running experiments are read from the store at
most every ``refresh_seconds`` (a stopped or new experiment takes effect within that time in every worker);
assignment itself is a hash, so every worker gives a user the same variant.

>>> from shopmind.storage import open_store
>>> from shopmind.experiments.registry import create_experiment
>>> store = open_store("sqlite:///:memory:")
>>> _ = create_experiment(store, {"experiment_id": "div", "surface": "recommendations", "variants": [
...     {"name": "control"}, {"name": "diverse", "settings": {"diversity": 0.5}}]})
>>> router = ExperimentRouter(store)
>>> hit = router.assignment("u1")
>>> hit.experiment.experiment_id, hit.variant in ("control", "diverse")
('div', True)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

from shopmind.experiments.assignment import Experiment, Variant, assign_on_surface
from shopmind.experiments.registry import SETTINGS, list_experiments, log_exposure
from shopmind.pipeline.results import Recommendation
from shopmind.pipeline.rules import RerankOptions
from shopmind.storage import ExperimentStore

#: The surface of personal recommendations (``GET /recommendations/{user_id}``, ``POST /recommendations``).
SURFACE = "recommendations"
@dataclass(frozen=True)
class Assignment:
    experiment: Experiment
    variant: str

    @property
    def spec(self) -> Variant:
        return next(v for v in self.experiment.variants if v.name == self.variant)


class ExperimentRouter:
    """Routes each request of an enrolled user to its variant and logs the exposure."""

    def __init__(self, store: ExperimentStore, refresh_seconds: float = 5.0) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._experiments: list[Experiment] = []
        self._loaded = -float("inf")
        self._lock = threading.Lock()

    def running(self) -> list[Experiment]:
        now = time.monotonic()
        if now - self._loaded >= self.refresh_seconds:
            with self._lock:
                if now - self._loaded >= self.refresh_seconds:
                    self._experiments = [e for e in list_experiments(self.store)
                                         if e.surface == SURFACE and e.status == "running"]
                    self._loaded = now
        return self._experiments

    def assignment(self, user_id: str) -> Assignment | None:
        """The running experiment on the recommendations surface that enrols ``user_id``, and its variant."""
        experiments = self.running()
        if not experiments:
            return None
        hit = assign_on_surface(experiments, SURFACE, str(user_id))
        return Assignment(*hit) if hit is not None else None

    @staticmethod
    def options(hit: Assignment, options: RerankOptions | None) -> RerankOptions:
        """The request's options with the variant's pipeline settings on top."""
        base = options if options is not None else RerankOptions()
        settings = hit.spec.settings or {}
        return replace(base, **{k: SETTINGS[k](v) for k, v in settings.items() if k in SETTINGS}) if settings \
            else base

    def log(self, hit: Assignment, user_id: str, rec: Recommendation) -> None:
        """Log the exposure of the list ``rec`` (recommendation id and model version) to its variant."""
        log_exposure(self.store, hit.experiment, str(user_id), variant=hit.variant,
                     recommendation_id=rec.recommendation_id, model_version=rec.model_version)

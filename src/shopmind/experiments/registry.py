"""Experiments in the store: create, list, stop, assign and log exposures.

This is the API the serving path (:mod:`shopmind.experiments.serving`) calls: look the running experiments up
once, ``assign(experiment, user_id)`` per request (pure, no store access), and ``log_exposure(...)`` when a
variant was actually shown - with the recommendation id and model version, so outcomes can be attributed later.

>>> from shopmind.storage import open_store
>>> store = open_store("sqlite:///:memory:")
>>> exp = create_experiment(store, {"experiment_id": "e1", "surface": "home",
...                                 "variants": [{"name": "control"}, {"name": "treatment"}]})
>>> variant = assign(exp, "u1")
>>> log_exposure(store, exp, "u1", recommendation_id="r-1", model_version="v3")["variant"] == variant
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from shopmind.errors import DataError, UnknownIdError
from shopmind.experiments.analysis import Attribution, ExperimentReport, analyze
from shopmind.experiments.assignment import Experiment, Variant
from shopmind.storage import ExperimentStore
from shopmind.storage.base import Store


def load_document(text: str, source: str = "experiment") -> dict[str, Any]:
    """A JSON or YAML object from text (YAML when it is not JSON)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        try:
            # lazy: PyYAML comes with the text-encoder dependencies; only hand-written YAML files need it
            import yaml
        except ImportError:  # pragma: no cover - installed with sentence-transformers
            raise DataError("the document is not JSON, and PyYAML is not installed to read YAML",
                            source=source) from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DataError(f"neither JSON nor YAML: {str(exc).splitlines()[0]}", source=source) from None
    if not isinstance(doc, dict):
        raise DataError(f"expected an object (key: value pairs), got {type(doc).__name__}", source=source)
    return doc


#: Pipeline settings a variant may set, with their types.
SETTINGS: dict[str, type] = {"diversity": float, "explore": int, "max_per_category": int, "category_level": int,
                             "long_tail": float, "filter_seen": bool}


def check_settings(variants: Iterable[Variant | Mapping[str, Any]]) -> None:
    """Reject variant settings the pipeline does not have or of the wrong type, naming the field."""
    for i, v in enumerate(variants):
        settings = v.settings if isinstance(v, Variant) else v.get("settings")
        for key, value in (settings or {}).items():
            kind = SETTINGS.get(key)
            if kind is None:
                raise DataError(f"unknown pipeline setting {key!r} (known: {', '.join(SETTINGS)})",
                                field=f"variants[{i}].settings.{key}")
            ok = isinstance(value, bool) if kind is bool else (
                isinstance(value, int | float) and not isinstance(value, bool) and (kind is float or
                                                                                    float(value).is_integer()))
            if not ok:
                raise DataError(f"setting {key!r} must be a {kind.__name__}, got {value!r}",
                                field=f"variants[{i}].settings.{key}")


def list_experiments(store: ExperimentStore) -> list[Experiment]:
    """Every stored experiment, oldest first."""
    return [Experiment.model_validate(d) for d in store.list_experiments()]


def get_experiment(store: ExperimentStore, experiment_id: str) -> Experiment:
    """One experiment; :class:`UnknownIdError` when there is none."""
    doc = store.get_experiment(str(experiment_id))
    if doc is None:
        raise UnknownIdError("experiment", experiment_id)
    return Experiment.model_validate(doc)


def create_experiment(store: ExperimentStore, doc: Mapping[str, Any],
                      known_model_versions: Iterable[str] | None = None, now: datetime | None = None) -> Experiment:
    """Validate ``doc`` against the stored experiments (see :meth:`Experiment.create`) and store it running."""
    exp = Experiment.create(doc, list_experiments(store), known_model_versions, now)
    check_settings(exp.variants)
    store.put_experiment(exp.to_doc())
    return exp


def stop_experiment(store: ExperimentStore, experiment_id: str, now: datetime | None = None) -> Experiment:
    """Stop an experiment: nobody is assigned any more, its bucket range is free again, its log stays."""
    exp = get_experiment(store, experiment_id)
    if exp.status == "stopped":
        return exp
    exp = exp.stopped(now)
    store.put_experiment(exp.to_doc())
    return exp


def assign(experiment: Experiment, user_id: str) -> str | None:
    """The user's variant of a running experiment, or None (stopped, or the user is outside its traffic)."""
    return experiment.assign(user_id)


def _exposure(experiment: Experiment, user_id: str, variant: str | None, recommendation_id: str | None,
              model_version: str | None, timestamp: datetime | pd.Timestamp | None) -> dict[str, Any] | None:
    assigned = experiment.assign(str(user_id))
    if assigned is None:
        return None
    if variant is not None and variant != assigned:
        raise DataError(f"user {user_id!r} is assigned {assigned!r} in experiment {experiment.experiment_id!r}, "
                        f"not {variant!r}: an exposure must show the assigned variant", field="variant")
    if model_version is None:
        model_version = next(v.model_version for v in experiment.variants if v.name == assigned)
    return {"experiment_id": experiment.experiment_id, "variant": assigned, "user_id": str(user_id),
            "recommendation_id": recommendation_id, "model_version": model_version,
            "propensity": experiment.variant_share(assigned),
            "timestamp": pd.Timestamp(timestamp if timestamp is not None else datetime.now(UTC))}


def log_exposure(store: ExperimentStore, experiment: Experiment, user_id: str, *, variant: str | None = None,
                 recommendation_id: str | None = None, model_version: str | None = None,
                 timestamp: datetime | pd.Timestamp | None = None) -> dict[str, Any] | None:
    """Log that ``user_id`` was shown its variant of ``experiment`` (now, unless ``timestamp``); returns the
    stored row, or None when the user is not in the (running) experiment. The row's ``propensity`` is the
    variant's share; ``model_version`` defaults to the variant's own."""
    row = _exposure(experiment, user_id, variant, recommendation_id, model_version, timestamp)
    if row is not None:
        store.log_exposures([row])
    return row


def log_exposures(store: ExperimentStore, experiment: Experiment, exposures: Sequence[Mapping[str, Any]]
                  ) -> list[dict[str, Any] | None]:
    """Batch :func:`log_exposure`: each mapping has ``user_id`` and optionally ``variant``,
    ``recommendation_id``, ``model_version``, ``timestamp``. One transaction; returns one row (or None) each."""
    rows = [_exposure(experiment, str(e["user_id"]), e.get("variant"), e.get("recommendation_id"),
                      e.get("model_version"), e.get("timestamp")) for e in exposures]
    kept = [r for r in rows if r is not None]
    if kept:
        store.log_exposures(kept)
    return rows


def forget_users(store: ExperimentStore, user_ids: Iterable[str]) -> int:
    """Remove the exposures of deleted users (their assignment is a hash: nothing else is stored)."""
    return store.delete_user_exposures(user_ids)


def experiment_results(store: Store, experiment_id: str, *,
                       attribution: Attribution = "user") -> ExperimentReport:
    """:func:`~shopmind.experiments.analysis.analyze` of a stored experiment, reading from the event log only the
    clicks and purchases of the users in its exposure log (the database filters them; the analysis counts no
    other event). The estimates equal those over the whole log; the daily timeline ends at the last outcome of
    an exposed user (at most an attribution window after the last exposure)."""
    exp = get_experiment(store, experiment_id)
    exposures = store.exposures_frame(exp.experiment_id)
    users = exposures["user_id"].astype(str).unique().tolist() if len(exposures) else []
    events = store.events_frame(user_ids=users, types=("click", "purchase"))
    items = store.items_frame()
    return analyze(exp, exposures, events, items if len(items) else None, attribution=attribution)

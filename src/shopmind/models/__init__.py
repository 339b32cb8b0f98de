"""Recommender models. Every module in this package registers its models by name when imported.

Modules are imported on first use (``create``, ``available``, ``Recommender.load``) so that importing
``shopmind.models`` stays cheap (torch loads only when a model needs it).
"""

from __future__ import annotations

import importlib
import pkgutil

from shopmind.models.base import MODEL_REGISTRY, Recommender, register

_loaded = False


def available() -> dict[str, type[Recommender]]:
    """All registered models by name (imports the model modules once)."""
    global _loaded
    if not _loaded:
        for m in pkgutil.iter_modules(__path__):
            if m.name != "base" and not m.name.startswith("_") and m.name != "tuning":
                importlib.import_module(f"{__name__}.{m.name}")
        _loaded = True
    return MODEL_REGISTRY


def create(name: str, **params: object) -> Recommender:
    """Instantiate a registered model by name with keyword hyperparameters.

    >>> create("itemknn", k=50)
    ItemKNN(k=50, ...)  # doctest: +SKIP
    """
    from shopmind.errors import ParameterError

    registry = available()
    try:
        klass = registry[name]
    except KeyError:
        raise ParameterError("create", "name", name, f"one of {sorted(registry)}") from None
    valid = set(klass._param_names())
    for k, v in params.items():
        if k not in valid:
            raise ParameterError(klass.__name__, k, v, f"one of its parameters {sorted(valid)}")
    return klass(**params)


__all__ = ["MODEL_REGISTRY", "Recommender", "available", "create", "register"]

"""Recommender models. Every module in this package registers its models by name on import."""

import importlib
import pkgutil

from shopmind.models.base import MODEL_REGISTRY, Recommender, register

for _m in pkgutil.iter_modules(__path__):
    if _m.name != "base" and not _m.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_m.name}")


def create(name: str, **params: object) -> Recommender:
    """Instantiate a registered model by name with keyword hyperparameters."""
    from shopmind.errors import ParameterError

    try:
        klass = MODEL_REGISTRY[name]
    except KeyError:
        raise ParameterError("create", "name", name, f"one of {sorted(MODEL_REGISTRY)}") from None
    valid = set(klass._param_names())
    for k, v in params.items():
        if k not in valid:
            raise ParameterError(klass.__name__, k, v, f"one of its parameters {sorted(valid)}")
    return klass(**params)  # type: ignore[arg-type]


__all__ = ["MODEL_REGISTRY", "Recommender", "create", "register"]

"""Models by name: the registry behind ``shopmind train NAME``, ``bench --models`` and ``create``.

A model class registers itself with :func:`register`; :func:`available` imports the modules listed in
:data:`MODEL_MODULES` on first use (torch loads only when a torch model is asked for), so importing
``shopmind.models`` stays cheap. Models are also written as text on the command line and inside composite
models (``hybrid``'s components): :func:`parse_spec` reads ``NAME[:PARAM=VALUE...]``.

>>> parse_spec("itemknn:k=20:recency=position")
('itemknn', {'k': 20, 'recency': 'position'})
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from shopmind.errors import ParameterError

if TYPE_CHECKING:
    from shopmind.models.base import Recommender

R = TypeVar("R", bound="type[Recommender]")

#: The modules that define models, imported by :func:`available`.
MODEL_MODULES = (
    "baselines", "knn", "ease", "factorization", "content", "coldstart", "newuser", "hybrid",
    "sasrec", "gru4rec", "fusion.recommender", "lmtext",
)

#: name -> class, filled by :func:`register`.
MODEL_REGISTRY: dict[str, type[Recommender]] = {}
_state = {"loaded": False}


def register(name: str) -> Callable[[R], R]:
    """Class decorator that makes a model available by name to ``shopmind train/bench`` and :func:`create`."""

    def deco(cls: R) -> R:
        cls.name = name
        MODEL_REGISTRY[name] = cls
        return cls

    return deco


def available() -> dict[str, type[Recommender]]:
    """All registered models by name (imports the model modules once)."""
    if not _state["loaded"]:
        for module in MODEL_MODULES:
            importlib.import_module(f"shopmind.models.{module}")
        _state["loaded"] = True
    return MODEL_REGISTRY


def create(name: str, **params: Any) -> Recommender:
    """Instantiate a registered model by name with keyword hyperparameters; an unknown name or parameter
    raises :class:`~shopmind.errors.ParameterError` naming the valid ones.

    >>> create("itemknn", k=50).k
    50
    """
    registry = available()
    try:
        klass = registry[name]
    except KeyError:
        raise ParameterError("create", "name", name, f"one of {sorted(registry)}") from None
    valid = set(klass.param_names())
    for k, v in params.items():
        if k not in valid:
            raise ParameterError(klass.__name__, k, v, f"one of its parameters {sorted(valid)}")
    return klass(**_none_as_text(klass, params))


def _none_as_text(klass: type[Recommender], params: dict[str, Any]) -> dict[str, Any]:
    """:func:`parse_value` reads ``none`` as ``None``; for a parameter whose default is text and whose type does
    not admit ``None`` (``recency="position"``, where ``"none"`` is a mode), the text ``"none"`` was meant.

    >>> create("ease", recency=None).recency
    'none'
    """
    signature = inspect.signature(klass.__init__)
    out = dict(params)
    for k, v in params.items():
        p = signature.parameters.get(k)
        if v is None and p is not None and isinstance(p.default, str) and "None" not in str(p.annotation):
            out[k] = "none"
    return out


def parse_value(raw: str) -> Any:
    """A parameter value written as text: ``true``/``false``, ``none``/``null``, an int, a float, or the text.

    >>> [parse_value(v) for v in ("true", "none", "3", "0.5", "ce")]
    [True, None, 3, 0.5, 'ce']
    """
    low = raw.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for conv in (int, float):
        try:
            return conv(raw)
        except ValueError:
            pass
    return raw


def parse_assignments(pairs: Sequence[str], owner: str, name: str, expected: str) -> dict[str, Any]:
    """``["k=20", "recency=position"]`` -> ``{"k": 20, "recency": "position"}`` (values by :func:`parse_value`);
    a pair without ``=`` raises :class:`~shopmind.errors.ParameterError` naming ``owner``'s ``name``.

    >>> parse_assignments(["k=20"], "bench", "param", "NAME=VALUE")
    {'k': 20}
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParameterError(owner, name, pair, expected)
        k, v = pair.split("=", 1)
        params[k.strip()] = parse_value(v)
    return params


def parse_spec(text: str, owner: str = "model") -> tuple[str, dict[str, Any]]:
    """``"itemknn:k=20:recency=position"`` -> ``("itemknn", {"k": 20, "recency": "position"})``; ``owner``
    names the parameter in the error of a malformed entry."""
    name, *pairs = [p.strip() for p in text.split(":")]
    return name, parse_assignments(pairs, owner, "spec", "NAME[:PARAM=VALUE...], e.g. itemknn:k=20")

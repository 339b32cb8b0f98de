"""What a command reads from its command line: the settings (the environment's, with the command's options on
top), ``-p NAME=VALUE`` and ``-p MODEL.NAME=VALUE``.

>>> parse_params(["k=50", "recency=position"])
{'k': 50, 'recency': 'position'}
>>> parse_model_params("popular,itemknn", ["itemknn.k=50"])
[('popular', {}), ('itemknn', {'k': 50})]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shopmind.errors import ParameterError
from shopmind.models import parse_value
from shopmind.models.registry import parse_assignments
from shopmind.settings import Settings
from shopmind.text.cache import set_cache_url


def load_settings(**overrides: Any) -> Settings:
    """The command's settings: the environment's (``SHOPMIND_*``) with the options given on the command line
    (``None``: not given) on top. Configures what the process shares: the text-embedding cache."""
    settings = Settings.load(**overrides)
    set_cache_url(settings.embedding_cache_url)
    return settings


def parse_params(params: Sequence[str], owner: str = "--param") -> dict[str, Any]:
    """``["k=50"]`` -> ``{"k": 50}``; values are read by :func:`~shopmind.models.parse_value`."""
    return parse_assignments(params, owner, "param", "NAME=VALUE, e.g. k=50")


def parse_model_params(spec: str, params: Sequence[str] = (), owner: str = "bench") -> list[tuple[str, dict[str, Any]]]:
    """``"popular,itemknn"`` + ``["itemknn.k=50"]`` -> ``[("popular", {}), ("itemknn", {"k": 50})]``.

    Labels may carry a tag (``itemknn@big``) to run one model with several parameter sets; a parameter must
    name one of the labels."""
    names = [m.strip() for m in spec.split(",") if m.strip()]
    if not names:
        raise ParameterError(owner, "models", spec, "a comma-separated list of model names")
    out: dict[str, dict[str, Any]] = {n: {} for n in names}
    for p in params:
        if "=" not in p or "." not in p.split("=", 1)[0]:
            raise ParameterError(owner, "param", p, "MODEL.NAME=VALUE, e.g. itemknn.k=50")
        key, raw = p.split("=", 1)
        model, pname = key.split(".", 1)
        if model not in out:
            raise ParameterError(owner, "param", p, f"a parameter of one of the models {names}")
        out[model][pname] = parse_value(raw)
    return [(n, out[n]) for n in names]

"""Models by name: specs on the command line, the registry, and the parameter lists docs/models.md prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopmind.errors import ParameterError
from shopmind.models import available, create, parse_spec, parse_value
from shopmind.models.registry import parse_assignments

DOCS = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def test_values_and_specs_are_read_as_typed_values():
    assert [parse_value(v) for v in ("true", "FALSE", "none", "7", "0.5", "ce")] == [True, False, None, 7, 0.5, "ce"]
    assert parse_spec("sasrec:max_len=50:loss=ce") == ("sasrec", {"max_len": 50, "loss": "ce"})
    assert parse_assignments([], "x", "y", "z") == {}
    with pytest.raises(ParameterError, match=r"'spec' parameter of Hybrid\.components"):
        parse_spec("itemknn:k", "Hybrid.components")


def test_create_names_the_known_models_and_parameters():
    assert create("itemknn", k=5).k == 5
    with pytest.raises(ParameterError, match=r"one of .*'itemknn'"):
        create("no-such-model")
    with pytest.raises(ParameterError, match="'iterations' parameter of BiasedMF"):
        create("mf", iterations=3)


def test_docs_list_every_models_current_defaults():
    """Each ``**`name`**`` paragraph of docs/models.md ends with the model's defaults as ``shopmind models``
    prints them; a renamed or removed hyperparameter fails here until the page is updated."""
    documented: dict[str, str] = {}
    current = None
    for line in DOCS.read_text().splitlines():
        heading = re.match(r"^\*\*`([a-z0-9_]+)`\*\*", line)
        if heading:
            current = heading.group(1)
        elif current and re.match(r"^`[a-z_0-9]+=.*`$", line):
            documented[current], current = line.strip("`"), None
    registry = available()
    assert set(documented) == set(registry)
    for name, cls in registry.items():
        assert documented[name] == ", ".join(f"{k}={v!r}" for k, v in cls().get_params().items()), name


def test_none_given_as_text_reaches_a_text_parameter_as_the_mode_none() -> None:
    """Regression (issue 21): `-p ease.recency=none` failed: parse_value reads "none" as None, and EASE's
    recency is a text mode, one of which is "none"."""
    from shopmind.cli.params import parse_model_params  # lazy: the CLI layer, only to show the whole path

    [(name, params)] = parse_model_params("ease", ["ease.recency=none"])
    model = create(name, **params)
    assert model.recency == "none"
    model.validate_params()
    assert create("itemknn", recency=None).recency == "none"
    assert create("ease", recency="time").recency == "time"

"""API keys and scopes; health, readiness, metrics, docs and model versions over HTTP."""

from __future__ import annotations

import pytest

from shopmind.api import parse_api_keys
from shopmind.errors import ParameterError


def test_key_parsing():
    assert parse_api_keys("a:read, b:write,c:read+write") == {
        "a": frozenset({"read"}), "b": frozenset({"read", "write"}), "c": frozenset({"read", "write"})}
    assert parse_api_keys("") == {} and parse_api_keys(None) == {}
    with pytest.raises(ParameterError, match="KEY:SCOPE"):
        parse_api_keys("a:admin")

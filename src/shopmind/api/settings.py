"""Typed settings of the REST API, built at the edge (``shopmind serve``, tests) and passed to the app.

API keys come from ``SHOPMIND_API_KEYS="key1:read,key2:write"``: each key has scopes separated by ``+``
(``key3:read+write``); ``write`` implies ``read``. With no keys configured, authentication is off and the
app logs a warning at startup.

>>> {key: sorted(scopes) for key, scopes in parse_api_keys("k1:read, k2:write").items()}
{'k1': ['read'], 'k2': ['read', 'write']}
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from shopmind.errors import ParameterError

SCOPES = ("read", "write")


def parse_api_keys(text: str | None) -> dict[str, frozenset[str]]:
    """Parse ``KEY:SCOPE[+SCOPE],...``; raises :class:`ParameterError` on a malformed entry."""
    keys: dict[str, frozenset[str]] = {}
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        key, sep, scopes = entry.rpartition(":")
        wanted = {s.strip().lower() for s in scopes.split("+") if s.strip()}
        if not sep or not key.strip() or not wanted or not wanted <= set(SCOPES):
            raise ParameterError("SHOPMIND_API_KEYS", "entry", entry,
                                 "KEY:SCOPE with SCOPE read, write or read+write (e.g. 'k1:read,k2:write')")
        if "write" in wanted:
            wanted.add("read")
        keys[key.strip()] = frozenset(wanted)
    return keys


class ApiSettings(BaseModel):
    """Settings of one API instance."""

    model_config = ConfigDict(frozen=True)

    api_keys: dict[str, frozenset[str]] = Field(default_factory=dict)
    #: Largest request body accepted (bytes); larger ones get 413.
    max_body_bytes: int = 5 * 1024 * 1024
    #: Most records in one batch write.
    max_batch: int = 10_000
    #: Where ``POST /models/reload`` looks for model artifacts (``None`` disables reloading by name).
    models_dir: Path | None = None
    title: str = "shopmind"

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)

    @classmethod
    def from_env(cls, api_keys: str | None = None, **overrides: object) -> ApiSettings:
        """Settings with keys from ``api_keys`` or, when None, ``$SHOPMIND_API_KEYS``."""
        text = api_keys if api_keys is not None else os.environ.get("SHOPMIND_API_KEYS")
        return cls(api_keys=parse_api_keys(text), **overrides)  # type: ignore[arg-type]

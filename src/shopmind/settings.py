"""Settings, built at the edges (CLI, API) and passed down explicitly.

Environment variables: ``SHOPMIND_HOME`` (default ``~/.shopmind``: datasets, models, reports) and
``SHOPMIND_STORE`` (default ``sqlite:///$SHOPMIND_HOME/shopmind.db``).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from shopmind.schema import DEFAULT_EVENT_WEIGHTS


def default_home() -> Path:
    return Path(os.environ.get("SHOPMIND_HOME", Path.home() / ".shopmind")).expanduser()


class Settings(BaseModel):
    """Typed settings. ``Settings.from_env()`` reads the environment once."""

    home: Path = Field(default_factory=default_home)
    store_url: str | None = None
    event_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    seed: int = 42

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        s = cls(**overrides)  # type: ignore[arg-type]
        if s.store_url is None:
            s.store_url = os.environ.get("SHOPMIND_STORE") or f"sqlite:///{s.home / 'shopmind.db'}"
        return s

    @property
    def store(self) -> str:
        return self.store_url or f"sqlite:///{self.home / 'shopmind.db'}"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def datasets_dir(self) -> Path:
        return self.home / "datasets"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

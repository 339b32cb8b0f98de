"""`shopmind keys create/list/revoke`: a key is shown once, stored hashed, listed without it, revoked."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from shopmind.api.keys import hash_key
from shopmind.cli.main import app
from shopmind.storage import open_store

runner = CliRunner()


@pytest.fixture()
def store_url(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("SHOPMIND_STORE", url)
    return url


def test_create_shows_the_key_once_and_stores_only_its_hash(store_url):
    res = runner.invoke(app, ["keys", "create", "--scope", "write", "--name", "shop", "--json"])
    assert res.exit_code == 0, res.output
    made = json.loads(res.output)
    assert made["scopes"] == ["read", "write"] and made["key"].startswith(f"sm_{made['key_id']}_")
    with open_store(store_url) as st:
        row = st.find_api_key(hash_key(made["key"]))
        assert row is not None and row["key_id"] == made["key_id"] and row["scopes"] == ["write"]
    with open(store_url.removeprefix("sqlite:///"), "rb") as f:
        assert made["key"].encode() not in f.read()  # the key itself is nowhere in the store
    res = runner.invoke(app, ["keys", "create", "--scope", "admin"])
    assert res.exit_code == 0 and "not shown again" in res.output and "sm_" in res.output


def test_list_and_revoke(store_url):
    made = json.loads(runner.invoke(app, ["keys", "create", "--scope", "read", "--json"]).output)
    res = runner.invoke(app, ["keys", "list"])
    assert res.exit_code == 0 and made["key_id"] in res.output and "active" in res.output
    assert made["key"] not in res.output
    res = runner.invoke(app, ["keys", "revoke", made["key_id"]])
    assert res.exit_code == 0 and "revoked" in res.output
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).output)
    assert listed[0]["revoked_at"] is not None and "key_hash" not in listed[0]
    res = runner.invoke(app, ["keys", "revoke", made["key_id"]])
    assert res.exit_code == 2 and "already revoked" in res.output
    res = runner.invoke(app, ["keys", "revoke", "nope"])
    assert res.exit_code == 2 and "no API key 'nope'" in res.output


def test_bad_scope_and_rate_are_one_line_errors(store_url):
    res = runner.invoke(app, ["keys", "create", "--scope", "root"])
    assert res.exit_code == 2 and "--scope" in res.output and "read, write, admin" in res.output
    res = runner.invoke(app, ["keys", "create", "--scope", "read", "--rate-limit", "0"])
    assert res.exit_code == 2 and "--rate-limit" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["keys", "list"])
    assert "no API keys" in res.output

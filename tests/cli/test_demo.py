"""Step 4 of `shopmind demo`: the real server on the demo shop, driven over HTTP by the Python client."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from shopmind.cli.demo import serve_demo
from shopmind.cli.main import app
from shopmind.settings import Settings

runner = CliRunner()


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "home"


def test_demo_serves_the_shop_and_shows_a_live_change(trained_shop, tmp_path):
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    buf = io.StringIO()
    console = Console(file=buf, width=200)
    settings = Settings.load(home=tmp_path / "home", store_url=f"sqlite:///{tmp_path / 's.db'}")
    user = trained_shop.heavy_user()
    serve_demo(console, settings, trained_shop.model, user)
    out = buf.getvalue()
    assert "CTR ranker (gbdt)" in out and "AUC" in out
    assert f"GET /recommendations/{user}" in out and "POST /events" in out
    assert "headline (en)" in out and "headline (zh)" in out and "0 unsupported" in out
    assert "shopmind serve" in out
    key = out.split("--api-keys ")[1].split(":write")[0]
    assert "http://127.0.0.1:8000/admin" in out and f"sign in with the key {key}" in out


def test_demo_quick_end_to_end(home):
    """The newcomer's path: generate, import (twice), evaluate, report, recommend."""
    res = runner.invoke(app, ["demo", "--quick"])
    assert res.exit_code == 0, res.output
    assert "0 new" in res.output  # the second import adds nothing
    assert "leaderboard" in res.output
    report = home / "reports" / "demo"
    doc = json.loads((report / "results.json").read_text())
    ndcg = {r["model"]: r["metrics"]["ndcg@10"] for r in doc["results"]}
    assert ndcg["itemknn"] > ndcg["popular"] > ndcg["random"]
    assert (report / "report.md").exists() and any(report.glob("*.png"))
    assert (home / "models" / "itemknn" / "meta.json").exists()
    # the customer profiles are computed, so the console's Customers page has data after the demo
    profiles = re.search(r"([\d,]+) profiles, (\d+) segments", res.output)
    assert profiles is not None and int(profiles.group(1).replace(",", "")) > 0, res.output
    # and the sample FAQ, so the console's Assistant page answers questions after the demo
    assert "60 sample FAQ entries imported" in res.output

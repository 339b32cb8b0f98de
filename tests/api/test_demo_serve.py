"""Step 4 of `shopmind demo`: the real server on the demo shop, driven over HTTP by the Python client."""

from __future__ import annotations

import io
import shutil

from rich.console import Console

from shopmind.config import Settings
from shopmind.demo import _serve_demo


def test_demo_serves_the_shop_and_shows_a_live_change(trained_shop, tmp_path):
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    buf = io.StringIO()
    console = Console(file=buf, width=200)
    settings = Settings.from_env(home=tmp_path / "home", store_url=f"sqlite:///{tmp_path / 's.db'}")
    user = trained_shop.heavy_user()
    _serve_demo(console, settings, trained_shop.model, user)
    out = buf.getvalue()
    assert "CTR ranker (gbdt)" in out and "AUC" in out
    assert f"GET /recommendations/{user}" in out and "POST /events" in out
    assert "headline (en)" in out and "headline (zh)" in out and "0 unsupported" in out
    assert "shopmind serve" in out

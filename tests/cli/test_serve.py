"""`shopmind serve` (the typer command function): one-line errors, model resolution, app wiring."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shopmind.cli import serve as serve_module
from shopmind.errors import ShopmindError
from shopmind.settings import AssistSettings, Settings

runner = CliRunner()


@pytest.fixture()
def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(serve_module.serve)
    app.command("noop")(lambda: None)  # two commands, so `serve` is addressed by name as in `shopmind serve`
    return app


@pytest.fixture()
def home(tmp_path, monkeypatch, trained_shop) -> Path:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHOPMIND_STORE", f"sqlite:///{trained_shop.db}")
    monkeypatch.delenv("SHOPMIND_API_KEYS", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "home"


def test_no_trained_model_is_one_clear_line(cli, home):
    res = runner.invoke(cli, ["serve"])
    assert res.exit_code == 2
    assert "no trained model" in res.output and "shopmind train itemknn" in res.output
    assert "Traceback" not in res.output


def test_unknown_model_name_and_workers(cli, home, trained_shop):
    trained_shop.model.save(home / "models" / "itemknn")
    res = runner.invoke(cli, ["serve", "--model", "als"])
    assert res.exit_code == 2 and "no trained model 'als'" in res.output and "itemknn" in res.output
    res = runner.invoke(cli, ["serve", "--workers", "2"])
    assert res.exit_code == 2 and "need a shared online state" in res.output and "--state redis://" in res.output
    res = runner.invoke(cli, ["serve", "--workers", "2", "--state", "redis://127.0.0.1:1/0"])
    assert res.exit_code == 2 and "Redis is not reachable" in res.output and "Traceback" not in res.output
    res = runner.invoke(cli, ["serve", "--workers", "2", "--state", "memcached://x"])
    assert res.exit_code == 2 and "unsupported online state" in res.output


def test_serve_with_workers_hands_each_worker_the_same_app_sharing_redis(cli, home, trained_shop, monkeypatch,
                                                                         redis_url, tmp_path):
    trained_shop.model.save(home / "models" / "itemknn")
    # the test posts an event: a copy of the shared shop's store, which other tests read as it was built
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    monkeypatch.setenv("SHOPMIND_STORE", f"sqlite:///{tmp_path / 's.db'}")
    calls = {}

    def fake_run(app, **kwargs):
        calls.update(kwargs, app=app)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.delenv(serve_module.WORKER_ARGS, raising=False)
    res = runner.invoke(cli, ["serve", "--workers", "2", "--state", redis_url, "--port", "8124"])
    assert res.exit_code == 0, res.output
    # uvicorn imports the factory in each worker process, which builds its app from the same arguments
    assert calls["app"] == "shopmind.cli.serve:worker_app" and calls["factory"] and calls["workers"] == 2
    apps = [serve_module.worker_app(), serve_module.worker_app()]
    try:
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            ready = [c.get("/ready").json() for c in (first, second)]
            assert [r["online_state"]["backend"] for r in ready] == ["redis", "redis"]
            assert ready[0]["online_state"]["worker"] != ready[1]["online_state"]["worker"]
            # both workers serve the same version (named after the artifact, not the process)
            assert ready[0]["model"]["version"] == ready[1]["model"]["version"]
            assert ready[0]["status"] == "ready" and ready[0]["degraded"] is False
            # an event acknowledged by one worker shapes the next list of the other, through the hot route's
            # awaited session read (GET) and the structured form (POST)
            state = apps[0].state.service.state
            item = state.catalog.raw(int(np.argmax(np.diff(state.viewed_together.indptr))))
            event = {"event_id": "w-1", "user_id": "two-workers", "item_id": item, "type": "view",
                     "timestamp": "2026-12-07T00:00:00+00:00"}
            assert first.post("/events", json={"events": [event]}).status_code == 200
            got = second.get("/recommendations/two-workers", params={"n": 5}).json()["items"]
            assert any(i["because_item_id"] == item for i in got) and item not in [i["item_id"] for i in got]
            got = second.post("/recommendations", json={"user_id": "two-workers", "n": 5}).json()["items"]
            assert any(i["because_item_id"] == item for i in got)
    finally:
        monkeypatch.delenv(serve_module.WORKER_ARGS, raising=False)


def test_best_model_is_the_highest_recorded_ndcg_else_the_latest(home, trained_shop):
    models = home / "models"
    for name in ("a", "b"):
        trained_shop.model.save(models / name)
    settings = Settings.load()
    meta = json.loads((models / "a" / "meta.json").read_text())
    meta["metrics"] = {"ndcg@10": 0.3}
    (models / "a" / "meta.json").write_text(json.dumps(meta))
    assert serve_module.resolve_model_path(settings, None).name == "a"
    assert serve_module.resolve_model_path(settings, str(models / "b")).name == "b"
    with pytest.raises(ShopmindError):
        serve_module.resolve_model_path(settings, "missing")


def test_serve_runs_uvicorn_on_the_store_with_the_model(cli, home, trained_shop, monkeypatch):
    trained_shop.model.save(home / "models" / "itemknn")
    calls = {}

    def fake_run(app, **kwargs):
        calls.update(kwargs, app=app)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    res = runner.invoke(cli, ["serve", "--port", "8123", "--api-keys", "k:read"])
    assert res.exit_code == 0, res.output
    assert calls["port"] == 8123 and calls["host"] == "127.0.0.1" and calls["workers"] == 1
    with TestClient(calls["app"]) as client:
        assert client.get("/ready").json()["model"]["source"].endswith("itemknn")
        assert client.get("/recommendations/u").status_code == 401
        assert client.get("/recommendations/u", headers={"X-API-Key": "k"}).status_code == 200
        # the merchant's console rides on the same app, behind the same keys
        assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/admin/signin")


def test_serve_with_dp_epsilon_publishes_noisy_lists_from_a_budget(cli, home, trained_shop, monkeypatch, tmp_path):
    import shutil

    import uvicorn

    shutil.copy(trained_shop.db, tmp_path / "dp.db")  # the ledger writes to the store: use a copy
    monkeypatch.setenv("SHOPMIND_STORE", f"sqlite:///{tmp_path / 'dp.db'}")
    monkeypatch.setenv("SHOPMIND_DP_EPSILON", "1")
    monkeypatch.setenv("SHOPMIND_DP_BUDGET", "1")
    trained_shop.model.save(home / "models" / "itemknn")
    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.update(app=app))
    assert runner.invoke(cli, ["serve"]).exit_code == 0
    with TestClient(calls["app"]) as client:
        assert client.get("/trending", params={"window": "7d"}).status_code == 200
        assert client.get("/trending", params={"window": "7d", "n": 3}).status_code == 200  # the same release
        budget = client.get("/dp/budget").json()
        assert (budget["enabled"], budget["spent"], budget["queries"]) == (True, 1.0, 1)
        item = trained_shop.items.item_id.iloc[0]
        assert client.get(f"/items/{item}/bought-together").status_code == 429


# ---------------------------------------------------------------------------------------------- safe by default
@pytest.fixture()
def fake_uvicorn(monkeypatch) -> dict:
    calls: dict = {}

    def fake_run(app, **kwargs):
        calls.update(kwargs, app=app)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def test_without_keys_it_serves_loopback_only_and_says_so(cli, home, trained_shop, fake_uvicorn):
    trained_shop.model.save(home / "models" / "itemknn")
    res = runner.invoke(cli, ["serve", "--search-encoder", "none"])
    assert res.exit_code == 0, res.output
    assert fake_uvicorn["host"] == "127.0.0.1" and "loopback only" in res.output


def test_without_keys_another_address_is_refused_unless_insecure(cli, home, trained_shop, fake_uvicorn):
    trained_shop.model.save(home / "models" / "itemknn")
    res = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--search-encoder", "none"])
    assert res.exit_code == 2 and "refusing to serve without API keys" in res.output
    assert "shopmind keys create" in res.output and "app" not in fake_uvicorn
    res = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--insecure", "--search-encoder", "none"])
    assert res.exit_code == 0 and fake_uvicorn["host"] == "0.0.0.0" and "WITHOUT authentication" in res.output


def test_with_a_stored_key_any_address_is_allowed(cli, home, trained_shop, fake_uvicorn, tmp_path, monkeypatch):
    import shutil  # lazy: only this test copies the store

    from shopmind.cli.keys import keys_app  # lazy: the sibling command group that makes the key

    shutil.copy(trained_shop.db, tmp_path / "own.db")  # the shared store must not get a key
    monkeypatch.setenv("SHOPMIND_STORE", f"sqlite:///{tmp_path / 'own.db'}")
    trained_shop.model.save(home / "models" / "itemknn")
    made = runner.invoke(keys_app, ["create", "--scope", "read", "--json"])
    assert made.exit_code == 0, made.output
    res = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--search-encoder", "none"])
    assert res.exit_code == 0, res.output
    with TestClient(fake_uvicorn["app"]) as client:
        assert client.get("/trending").status_code == 401
        key = json.loads(made.output)["key"]
        assert client.get("/trending", headers={"X-API-Key": key}).status_code == 200


@pytest.mark.parametrize(("check", "expected"), [
    (("127.0.0.1", False, False), "loopback only"), (("::1", False, False), "loopback only"),
    (("localhost", False, False), "loopback only"), (("0.0.0.0", True, False), None),
    (("10.1.2.3", False, True), "WITHOUT authentication"),
])
def test_check_bind(check, expected):
    note = serve_module.check_bind(*check)
    assert (note is None) if expected is None else (expected in note)
    with pytest.raises(ShopmindError, match="--insecure"):
        serve_module.check_bind("192.168.1.5", False, False)


# ---------------------------------------------------------------------------------------------- damaged artifacts
def test_a_damaged_best_artifact_is_skipped_naming_the_file_and_reason(cli, home, trained_shop, fake_uvicorn):
    models = home / "models"
    trained_shop.model.save(models / "good")
    trained_shop.model.save(models / "broken")
    meta = json.loads((models / "broken" / "meta.json").read_text())
    meta["metrics"] = {"ndcg@10": 0.9}  # the one serve would pick ...
    (models / "broken" / "meta.json").write_text(json.dumps(meta))
    state = models / "broken" / "state.pkl"
    state.write_bytes(state.read_bytes()[:200])  # ... is truncated
    res = runner.invoke(cli, ["serve", "--search-encoder", "none"])
    assert res.exit_code == 0, res.output
    assert "skipping" in res.output and "truncated" in res.output and "broken" in res.output
    with TestClient(fake_uvicorn["app"]) as client:
        assert client.get("/ready").json()["model"]["source"].endswith("good")
    res = runner.invoke(cli, ["serve", "--model", "broken", "--search-encoder", "none"])
    assert res.exit_code == 2 and "state.pkl refused: truncated" in res.output.replace("\n", "")


def test_the_last_activated_artifact_is_served_after_a_restart(home, trained_shop):
    from shopmind.models.base import mark_active  # lazy: only this test records an activation

    models = home / "models"
    for name in ("a", "b"):
        trained_shop.model.save(models / name)
    meta = json.loads((models / "a" / "meta.json").read_text())
    meta["metrics"] = {"ndcg@10": 0.3}
    (models / "a" / "meta.json").write_text(json.dumps(meta))
    settings = Settings.load()
    assert serve_module.resolve_model_path(settings, None).name == "a"
    mark_active(models, models / "b")
    assert serve_module.resolve_model_path(settings, None).name == "b"


class _Renderer:
    """A translator's interface (``translate(texts)``) without the LLM; remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def translate(self, texts):
        self.asked += list(texts)
        return ["How much is shipping?" if "运费" in t else "Free over 99." for t in texts]


def test_served_faq_answers_use_the_evaluated_matcher(cli, home, trained_shop, fake_uvicorn, monkeypatch):
    """/assist/answer scores with e5 + the English paraphrase encoder and the Chinese encoder (when installed),
    as `faq evaluate` does."""
    from shopmind.assist.faq import FaqEntry, FaqMatcher
    from shopmind.assist.service import AssistService
    from shopmind.storage import open_store
    from shopmind.text.encoders import HashingEncoder, get_encoder

    trained_shop.model.save(home / "models" / "itemknn")
    para = HashingEncoder(seed=1)  # stands in for MiniLM: no torch model in a unit test
    monkeypatch.setattr(serve_module, "default_paraphrase_encoder", lambda: para)
    chinese = HashingEncoder(seed=2)  # stands in for USE multilingual
    monkeypatch.setattr(serve_module, "default_chinese_encoder", lambda: chinese)
    translator = _Renderer()  # stands in for the local LLM's renderings
    monkeypatch.setattr(serve_module, "default_translator", lambda: translator)
    monkeypatch.setenv("SHOPMIND_ASSIST_TRANSLATOR", "true")  # the suite turns it off (tests/conftest.py)
    faq = [FaqEntry("ship.en", "en", "How much does shipping cost?", "Free over 99, else 10."),
           FaqEntry("ret.en", "en", "What is your return policy?", "7-day returns."),
           FaqEntry("ship.zh", "zh", "运费是多少？", "满99元包邮。")]
    with open_store(f"sqlite:///{trained_shop.db}") as st:
        AssistService(st).import_faq(faq, replace=True)
    try:
        res = runner.invoke(cli, ["serve", "--search-encoder", "hashing"])
        assert res.exit_code == 0, res.output
        with TestClient(fake_uvicorn["app"]) as client:
            served = client.post("/assist/answer", json={"question": "is shipping free?"}).json()
            served_zh = client.post("/assist/answer", json={"question": "运费多少钱"}).json()
    finally:  # the trained shop is shared by other tests: leave its FAQ empty
        with open_store(f"sqlite:///{trained_shop.db}") as st:
            st.delete_documents("faq")
    evaluated = FaqMatcher(faq, get_encoder("hashing"), paraphrase_encoder=para).answer("is shipping free?")
    e5_only = FaqMatcher(faq, get_encoder("hashing")).answer("is shipping free?")
    assert served["confidence"] == pytest.approx(evaluated.confidence, abs=1e-3)
    assert served["confidence"] != pytest.approx(e5_only.confidence, abs=1e-3)
    evaluated_zh = FaqMatcher(faq, get_encoder("hashing"), paraphrase_encoder=para,
                              chinese_encoder=chinese, translator=translator).answer("运费多少钱")
    assert served_zh["confidence"] == pytest.approx(evaluated_zh.confidence, abs=1e-3)
    assert "运费多少钱" in translator.asked  # the served matcher rendered the Chinese question
    assert served_zh["confidence"] != pytest.approx(FaqMatcher(
        faq, get_encoder("hashing"), paraphrase_encoder=para, chinese_encoder=chinese).answer("运费多少钱").confidence,
        abs=1e-4)
    assert served_zh["confidence"] != pytest.approx(FaqMatcher(faq, get_encoder("hashing")).answer(
        "运费多少钱").confidence, abs=1e-3)
    with open_store(f"sqlite:///{trained_shop.db}") as st:  # without an e5 encoder there is no paraphrase side
        bare = serve_module.assist_service(st, None, None)
        assert bare.paraphrase_encoder is None and bare.chinese_encoder is None and bare.translator is None
        # SHOPMIND_ASSIST_TRANSLATOR=false: the LLM is never loaded
        off = serve_module.assist_service(st, get_encoder("hashing"), None, AssistSettings(translator=False))
        assert off._translator_factory is None and off.matcher().translator is None

"""`shopmind content ...` through typer's runner, on a temporary SQLite store with a small demo shop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopmind.cli.content import content_app
from shopmind.content.slate import POSITIVE_EVENTS
from shopmind.data.synth import generate_demo_shop
from shopmind.ingest import import_records
from shopmind.settings import Settings
from shopmind.storage import open_store

runner = CliRunner()


@pytest.fixture(scope="module")
def shop_home(tmp_path_factory) -> tuple[Path, object]:
    home = tmp_path_factory.mktemp("home")
    shop = generate_demo_shop(n_users=80, n_items=60, days=30, seed=5)
    store = open_store(Settings.load(home=home).store)
    try:
        import_records(store, shop.items.to_dict("records"), "item")
        import_records(store, shop.users.to_dict("records"), "user")
        import_records(store, shop.events.to_dict("records"), "event")
    finally:
        store.close()
    return home, shop


@pytest.fixture()
def env(shop_home, monkeypatch):
    home, shop = shop_home
    monkeypatch.setenv("SHOPMIND_HOME", str(home))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return shop


def _active_users(shop, n: int = 2) -> list[str]:
    ev = shop.events[shop.events["type"].isin(POSITIVE_EVENTS) & shop.events["item_id"].notna()]
    counts = ev.groupby("user_id")["item_id"].nunique().sort_values(ascending=False)
    return counts.index[:n].tolist()


def test_describe_both_languages(env):
    item = env.items.iloc[0]
    res = runner.invoke(content_app, ["describe", item["item_id"], "--lang", "zh", "--length", "long"])
    assert res.exit_code == 0, res.output
    assert item["attributes"]["brand_zh"] in res.output and "0 unsupported" in res.output
    res = runner.invoke(content_app, ["describe", item["item_id"], "--json", "--tone", "premium"])
    assert res.exit_code == 0, res.output
    docs = json.loads(res.output)
    assert [d["content_type"] for d in docs] == ["product_description", "selling_points"]
    assert all(d["check"]["claims"] and all(c["supported"] for c in d["check"]["claims"]) for d in docs)


def test_headline_differs_between_users(env):
    a, b = _active_users(env)
    out_a = json.loads(runner.invoke(content_app, ["headline", a, "--json"]).output)[0]
    out_b = json.loads(runner.invoke(content_app, ["headline", b, "--json"]).output)[0]
    assert out_a["text"] != out_b["text"] and out_a["user_id"] == a
    assert out_a["parts"]["theme"] != "generic" and len(out_a["parts"]["reasons"]) == 5
    res = runner.invoke(content_app, ["headline", a, "--lang", "zh"])
    assert res.exit_code == 0 and "history:" in res.output


def test_ad_email_push(env):
    item = env.items.iloc[3]["item_id"]
    res = runner.invoke(content_app, ["ad", item, "--variants", "3", "--json"])
    assert res.exit_code == 0, res.output
    assert len({d["text"] for d in json.loads(res.output)}) == 3
    user = _active_users(env, 1)[0]
    res = runner.invoke(content_app, ["email", user, "--lang", "zh"])
    assert res.exit_code == 0 and "主题" in res.output, res.output
    res = runner.invoke(content_app, ["email", user, "--push", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)[0]["content_type"] == "push"


def test_ad_for_a_segment_gives_the_rest_json(env):
    from shopmind.cli.main import app

    members = _active_users(env, 12)
    with open_store(Settings.load().store) as store:
        store.put_segments([{"segment_id": "kmeans:4", "kind": "kmeans", "name": "Cluster 4", "size": 12}])
        store.put_memberships({u: ["kmeans:4"] for u in members})
    res = runner.invoke(content_app, ["ad", "--segment", "kmeans:4", "--variants", "2", "--lang", "zh", "--json"])
    assert res.exit_code == 0, res.output
    docs = json.loads(res.output)
    assert len(docs) == 2 and all(d["segment"] == "kmeans:4" for d in docs)
    assert all(c["supported"] for d in docs for c in d["check"]["claims"])
    assert docs[0]["parts"]["audience"]["members"] == 12 and docs[0]["parts"]["featured_item"]
    res = runner.invoke(content_app, ["ad", "--segment", "Cluster 4", "-n", "1"])
    assert res.exit_code == 0 and "segment kmeans:4 (12 members read)" in res.output, res.output
    for args, expected in [(["ad", "--segment", "nope"], "'segment' parameter"),
                           (["ad"], "'ITEM_ID' parameter"),
                           (["ad", str(env.items.iloc[0]["item_id"]), "--segment", "kmeans:4"], "'--segment'")]:
        res = runner.invoke(app, ["content", *args])
        assert res.exit_code == 2, (args, res.output)
        assert expected in res.output.replace("\n", "") and "Traceback" not in res.output, (args, res.output)


def test_check_prints_claims_and_fails_on_unsupported(env):
    item = env.items.iloc[0]
    res = runner.invoke(content_app, ["check", "--item", item["item_id"], "--text",
                                      f"{item['brand']}, only ¥{item['price'] + 100:.0f}."])
    assert res.exit_code == 1 and "CONTRADICTED" in res.output and "supported" in res.output
    res = runner.invoke(content_app, ["check", "--item", item["item_id"], "--text",
                                      f"{item['brand']}, ¥{item['price']:.0f}.", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["ok"] is True and doc["item_ids"] == [item["item_id"]]
    assert doc["claims"] and all(c["verdict"] == "supported" for c in doc["claims"])
    res = runner.invoke(content_app, ["check", "--item", item["item_id"], "--text",
                                      f"only ¥{item['price'] + 100:.0f}.", "--json"])
    assert res.exit_code == 1
    (claim,) = json.loads(res.output)["claims"]
    assert set(claim) == {"text", "attribute", "verdict", "fact", "reason"}
    assert (claim["attribute"], claim["verdict"], claim["fact"]) == ("price", "contradicted",
                                                                  f"Price: ¥{item['price']:,.0f}")


def test_reviews_from_a_file(env, tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("5\tLove it, very comfortable.\n2\tBroke after a week.\nNice colour.\n", encoding="utf-8")
    res = runner.invoke(content_app, ["reviews", env.items.iloc[0]["item_id"], "--file", str(path)])
    assert res.exit_code == 0 and "3 reviews" in res.output, res.output


def test_batch_resumes(env, tmp_path):
    out = tmp_path / "copy.jsonl"
    res = runner.invoke(content_app, ["batch", "--out", str(out), "--limit", "4", "--types",
                                      "product_description,ad_copy"])
    assert res.exit_code == 0 and "wrote 16" in res.output, res.output
    res = runner.invoke(content_app, ["batch", "--out", str(out), "--limit", "5", "--types",
                                      "product_description,ad_copy"])
    assert "wrote 4, skipped 16" in res.output and len(out.read_text(encoding="utf-8").splitlines()) == 20


def test_user_mistakes_are_one_line_errors(env):
    """Through the main `shopmind` CLI: exit status 2, the message names the value, no traceback."""
    from shopmind.cli.main import app

    cases = [(["describe", "NOPE"], "SKU"), (["headline", "ghost-user"], "ghost-user"),
             (["describe", env.items.iloc[0]["item_id"], "--lang", "fr"], "'en' or 'zh'"),
             (["batch", "--out", "x.jsonl", "--types", "email"], "email")]
    for args, expected in cases:
        res = runner.invoke(app, ["content", *args])
        assert res.exit_code == 2, (args, res.output)
        assert expected in res.output.replace("\n", "") and "Traceback" not in res.output, (args, res.output)


def test_describe_with_an_openai_compatible_server(env, llm_server, monkeypatch):
    monkeypatch.delenv("SHOPMIND_LLM_URL", raising=False)
    monkeypatch.setenv("SHOPMIND_LLM_MODEL", "env-model")
    item = env.items.iloc[0]
    llm_server.reply(f"Here is the description:\n{item['brand']}, ¥{item['price']:.0f}.")
    res = runner.invoke(content_app, ["describe", item["item_id"], "--no-points", "--json", "--backend", "openai",
                                      "--llm-url", llm_server.url])
    assert res.exit_code == 0, res.output
    (doc,) = json.loads(res.output)
    assert (doc["backend"], doc["model"], doc["prompt_version"]) == ("openai", "env-model", "llm-en@2")
    assert doc["text"] == f"{item['brand']}, ¥{item['price']:.0f}." and not doc["fallback"]
    assert llm_server.requests[0]["model"] == "env-model"
    # the footer names the model; a server error falls back to templates and says why
    llm_server.reply(llm_server.raw(503, "overloaded"))
    res = runner.invoke(content_app, ["describe", item["item_id"], "--no-points", "--backend", "openai",
                                      "--llm-url", llm_server.url, "--llm-model", "m2", "--lang", "zh"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "template template-zh@1" in out and "fell back to templates after openai: error" in out
    assert "HTTP 503" in out and llm_server.requests[-1]["model"] == "m2"


def test_the_default_backend_stays_template(env, monkeypatch):
    monkeypatch.setenv("SHOPMIND_LLM_URL", "http://127.0.0.1:9/v1")  # ignored unless --backend openai
    res = runner.invoke(content_app, ["ad", env.items.iloc[2]["item_id"], "--variants", "1", "--json"])
    assert res.exit_code == 0, res.output
    (doc,) = json.loads(res.output)
    assert doc["backend"] == "template" and doc["model"] is None and doc["trace"][0]["outcome"] == "ok"


def test_backend_mistakes_are_one_line_errors(env, monkeypatch):
    from shopmind.cli.main import app

    monkeypatch.delenv("SHOPMIND_LLM_URL", raising=False)
    item = env.items.iloc[0]["item_id"]
    for args, expected in [(["describe", item, "--backend", "gpt"], "one of template, llama-cpp, openai"),
                           (["describe", item, "--backend", "openai", "--llm-model", "m"], "SHOPMIND_LLM_URL")]:
        res = runner.invoke(app, ["content", *args])
        assert res.exit_code == 2, (args, res.output)
        assert expected in res.output.replace("\n", "") and "Traceback" not in res.output, (args, res.output)


def test_audit_writes_one_verdict_line_per_input_line_in_order(env, tmp_path):
    item = env.items.iloc[0]
    inline = {"item_id": "x1", "title": "Nordhaus Kettle 1.5 L", "brand": "Nordhaus", "category": "Home > Kettles",
              "price": 159.0, "currency": "CNY", "attributes": {"capacity": "1.5 L", "warranty": "2 years"}}
    lines = [json.dumps({"item_id": item["item_id"], "text": f"{item['brand']}, ¥{item['price']:.0f}."}),
             "not json",
             json.dumps({"item": inline, "text": "Nordhaus kettle, 2 L, 3-year warranty.", "lang": "en"}),
             "",
             json.dumps({"item_ids": [item["item_id"], "missing-id"], "text": "x"}),
             json.dumps({"item": inline, "text": "北屋电水壶，1500毫升，两年保修。", "lang": "zh"}, ensure_ascii=False)]
    src = tmp_path / "copy.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    res = runner.invoke(content_app, ["audit", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r["ok"] for r in rows] == [True, False, False, False, False, True]
    assert [("error" in r) for r in rows] == [False, True, False, True, True, False]
    assert "missing-id" in rows[4]["error"]
    verdicts = {c["text"]: (c["attribute"], c["verdict"], c["fact"]) for c in rows[2]["claims"]}
    assert verdicts["2 L"] == ("volume", "contradicted", "Capacity: 1.5 L")
    assert verdicts["3-year warranty"] == ("warranty", "contradicted", "Warranty: 2 years")
    assert "contradicted" in res.output and "warranty" in res.output and "6 lines: 2 ok, 1 flagged, 3 errors" \
        in res.output
    res = runner.invoke(content_app, ["audit", str(src), "--strict", "--out", str(out)])
    assert res.exit_code == 1


def test_audit_of_inline_items_needs_no_store(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPMIND_STORE", "sqlite:///" + str(tmp_path / "never" / "created.db"))
    src = tmp_path / "copy.jsonl"
    src.write_text(json.dumps({"item": {"item_id": "a", "title": "Acme Mug 500 ml", "brand": "Acme"},
                               "text": "Acme mug, 0.5 L."}) + "\n", encoding="utf-8")
    res = runner.invoke(content_app, ["audit", str(src)])
    assert res.exit_code == 0, res.output
    first = json.loads(res.stdout.splitlines()[0])
    assert first["ok"] and first["claims"][-1]["verdict"] == "supported"
    assert not (tmp_path / "never").exists()
    res = runner.invoke(content_app, ["audit", str(tmp_path / "nope.jsonl")])
    assert res.exit_code != 0


def test_personalisation_measures_and_writes_json(env, tmp_path):
    out = tmp_path / "p.json"
    res = runner.invoke(content_app, ["personalisation", "--users", "10", "--items", "120", "--shop-users", "150",
                                      "--days", "60", "--lang", "en", "--encoder", "hashing", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["config"]["users"] == 10 and doc["results"]["en"]["users"] == 10
    assert "paired" in res.output and "matching" in res.output
    bad = runner.invoke(content_app, ["personalisation", "--users", "1"])
    assert bad.exit_code != 0

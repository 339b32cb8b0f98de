"""The service pipeline: cache, compliance, checking, retries and fallback, batch with resume."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from shopmind.content import (
    ContentRequest,
    ContentService,
    GeneratedText,
    GenerationError,
    GroundingChecker,
    MemoryCache,
    Review,
    TemplateGenerator,
)
from shopmind.errors import ParameterError, ShopmindError


class InventingBackend:
    """A stand-in for an LLM that invents a price (and an absolute claim) until asked to be strict."""

    name = "fake-llm"

    def __init__(self, behave_when_strict: bool) -> None:
        self.behave_when_strict = behave_when_strict
        self.calls: list[bool] = []

    def prompt_version(self, lang: str) -> str:
        return f"fake-{lang}@1"

    def generate(self, request: ContentRequest) -> GeneratedText:
        self.calls.append(request.strict)
        f = request.item
        if request.strict and self.behave_when_strict:
            text = f"The best {f.brand.en} pick."
        else:
            text = f"The best {f.brand.en} pick, only ¥1."
        return GeneratedText(content_type=request.content_type, lang=request.lang, tone=request.tone,
                             length=request.length, text=text, backend=self.name,
                             prompt_version=self.prompt_version(request.lang), item_ids=[f.item_id])


class BrokenBackend(InventingBackend):
    name = "broken"

    def generate(self, request: ContentRequest) -> GeneratedText:
        raise GenerationError("model file not found")


def test_cache_hit(service, demo_facts):
    first = service.describe(demo_facts[0], lang="zh")
    second = service.describe(demo_facts[0], lang="zh")
    assert not first.cache_hit and second.cache_hit
    assert first.text == second.text and first.cache_key == second.cache_key
    other = service.describe(demo_facts[0], lang="zh", tone="premium")
    assert not other.cache_hit and other.cache_key != first.cache_key
    assert isinstance(service.cache, MemoryCache) and service.cache.hits == 1


def test_cache_key_follows_item_data(service, demo_items):
    row = demo_items.iloc[1].to_dict()
    first = service.describe(row)
    changed = dict(row, price=row["price"] + 10)
    assert not service.describe(changed).cache_hit
    assert service.describe(row).cache_hit and first.cache_key


def test_retry_with_a_strict_prompt_then_accept(checker, demo_facts):
    backend = InventingBackend(behave_when_strict=True)
    svc = ContentService(backend, checker=checker)
    out = svc.describe(demo_facts[2])
    assert backend.calls == [False, True]
    assert out.backend == "fake-llm" and out.attempts == 2 and not out.fallback
    assert out.check.ok and "best" not in out.text.lower()  # compliance removed the absolute term
    assert [v.kind for v in out.compliance] == ["absolute"]


def test_fall_back_to_templates_after_unsupported_claims(checker, demo_facts):
    backend = InventingBackend(behave_when_strict=False)
    svc = ContentService(backend, checker=checker, max_attempts=3)
    out = svc.describe(demo_facts[3], lang="zh")
    assert backend.calls == [False, True, True]
    assert out.fallback and out.backend == "template" and out.attempts == 4 and out.check.ok


class GuidedBackend(InventingBackend):
    """A stand-in for an LLM that writes a wrong price and an invented warranty until the strict prompt tells it
    which claims were rejected and what the item's price is; it keeps every request it got."""

    name = "guided-llm"
    drafts: ClassVar[dict[str, str]] = {"en": "Only ¥1, with a 2-year warranty.", "zh": "仅售¥1。保修两年。"}

    def __init__(self) -> None:
        super().__init__(behave_when_strict=True)
        self.requests: list[ContentRequest] = []

    def generate(self, request: ContentRequest) -> GeneratedText:
        self.requests.append(request)
        f = request.item
        text = self.drafts[request.lang]
        if request.strict and "¥1" in request.rejected_claims:  # the retry fixes what it was told about
            text = f"{f.brand.get(request.lang)}: " + ", ".join(c.split(": ", 1)[1] for c in request.corrections)
        return GeneratedText(content_type=request.content_type, lang=request.lang, tone=request.tone,
                             length=request.length, text=text, backend=self.name,
                             prompt_version=self.prompt_version(request.lang), item_ids=[f.item_id])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_retry_is_told_which_claims_were_wrong_and_what_the_facts_say(checker, demo_facts, lang):
    backend = GuidedBackend()
    item = demo_facts[3]
    out = ContentService(backend, checker=checker).describe(item, lang=lang)
    first, retry = backend.requests
    assert not first.strict and first.rejected_claims == () and first.corrections == ()
    warranty = "2-year warranty" if lang == "en" else "保修两年"
    assert retry.strict and set(retry.rejected_claims) == {"¥1", warranty}
    price = dict(item.lines("en"))["Price"]
    assert retry.corrections == (f"Price: {price}",)  # the contradicted claim gets the fact; the invented one none
    assert [a.contradicted for a in out.trace] == [["¥1"], []]
    assert out.trace[0].unsupported == ["¥1", warranty] and out.trace[0].outcome == "unsupported"
    assert out.backend == "guided-llm" and not out.fallback and out.check.ok and price in out.text


def test_the_strict_prompt_names_rejected_claims_and_corrections(demo_facts):
    from shopmind.content.prompt_book import PromptBook

    req = ContentRequest(content_type="product_description", items=(demo_facts[3],), strict=True,
                         rejected_claims=("¥1",), corrections=("Price: ¥2,999",))
    en = PromptBook.load("en").messages(req)[1]["content"]
    assert "Your previous draft stated '¥1'" in en and "The item's facts say: Price: ¥2,999." in en
    zh = PromptBook.load("zh").messages(req.model_copy(update={"lang": "zh"}))[1]["content"]
    assert "上一稿写了“'¥1'”" in zh and "商品的事实是：Price: ¥2,999。" in zh
    plain = PromptBook.load("en").messages(req.model_copy(update={"corrections": ()}))[1]["content"]
    assert "The item's facts say" not in plain


def test_fall_back_when_the_backend_fails(checker, demo_facts):
    out = ContentService(BrokenBackend(True), checker=checker).describe(demo_facts[4])
    assert out.fallback and out.backend == "template" and out.check.ok


def test_ad_variants_differ(service, demo_facts):
    for tone in ("friendly", "concise"):
        ads = service.ad_copy(demo_facts[5], variants=3, tone=tone, lang="zh")
        assert len({a.text for a in ads}) == len(ads) >= 2
        assert all(a.check.ok for a in ads)


def test_review_summary(service, demo_facts):
    reviews = [Review(text="Love it. The leather feels soft and looks great.", rating=5),
               Review(text="Too small for my laptop, disappointed.", rating=2),
               Review(text="Great quality, soft leather. Best purchase ever!", rating=5)]
    out = service.summarise_reviews(demo_facts[0], reviews)
    assert out.check.ok, out.check.summary()
    assert "3 reviews" in out.text and "4.0/5" in out.text
    assert "disappointed" in out.parts["negative"] and "ever" not in out.text  # no absolute quote
    zh = service.summarise_reviews(demo_facts[0], ["质量很好，很喜欢。", {"text": "有点偏小，不太满意。", "rating": 2}],
                                   lang="zh")
    assert zh.check.ok and "偏小" in zh.text and "共2条评价" in zh.text
    with pytest.raises(ShopmindError):
        service.summarise_reviews(demo_facts[0], [])


def test_bad_options_are_one_clear_error(service, demo_facts):
    with pytest.raises(ParameterError, match="'tone' parameter of ContentService must be one of"):
        service.describe(demo_facts[0], tone="angry")
    with pytest.raises(ParameterError, match="lang"):
        service.describe(demo_facts[0], lang="fr")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="max_attempts"):
        ContentService(max_attempts=0)


def test_batch_writes_jsonl_and_resumes(service, demo_items, tmp_path):
    out = tmp_path / "copy.jsonl"
    first = service.batch(demo_items, out, content_types=["product_description", "selling_points"], limit=5)
    assert (first.written, first.skipped, first.unsupported) == (20, 0, 0)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 20 and {r["lang"] for r in records} == {"en", "zh"}
    assert all(r["backend"] == "template" and r["check"]["claims"] is not None for r in records)
    # an interrupted run leaves half a line; a new run skips what is done and writes the rest
    with out.open("a", encoding="utf-8") as fh:
        fh.write('{"cache_key": "product_descr')
    fresh = ContentService(checker=service.checker, now=service.now, cache=MemoryCache())
    again = fresh.batch(demo_items, out, content_types=["product_description", "selling_points"], limit=8)
    assert (again.written, again.skipped) == (12, 20)
    good = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.endswith("}")]
    assert len(good) == 32 and len({r["cache_key"] for r in good}) == 32


def test_batch_rejects_personal_content_types(service, demo_items, tmp_path):
    with pytest.raises(ParameterError, match="content_types"):
        service.batch(demo_items, tmp_path / "x.jsonl", content_types=["email"])


def test_template_generator_is_the_default(service):
    assert isinstance(service.generator, TemplateGenerator) and service.generator is service.fallback


def test_an_item_without_facts_is_an_error_but_does_not_stop_a_batch(service, demo_items, tmp_path):
    with pytest.raises(GenerationError, match="no title"):
        service.describe({"item_id": "empty"})
    items = [{"item_id": "empty"}, *demo_items.head(2).to_dict("records")]
    summary = service.batch(items, tmp_path / "b.jsonl", langs=["en"])
    assert (summary.written, summary.failed) == (2, 1)


def test_english_only_catalog_in_chinese_is_grounded(checker, demo_items):
    """Chinese copy for items without Chinese fields uses the vocabulary's translations, still grounded."""
    en_only = demo_items.head(40).assign(
        attributes=demo_items.head(40)["attributes"].map(lambda a: {k: v for k, v in a.items() if "_zh" not in k}))
    svc = ContentService(checker=GroundingChecker.from_items(en_only))
    for row in en_only.to_dict("records"):
        for ctype in ("product_description", "ad_copy"):
            out = svc.generate(svc.request(ctype, [row], lang="zh", length="long"))
            assert out.check.ok, (out.text, out.check.summary())

"""The LLM prompt files: every content type renders in both languages, with only the request's facts."""

from __future__ import annotations

import re

import pytest

from shopmind.content import ContentRequest, ContentType, Length, PromptBook, Review, Tone, UserContext
from shopmind.content.prompt_book import SLATE_TYPES
from shopmind.errors import DataError

REVIEWS = (Review(text="Lovely, I wear them every day.", rating=5), Review(text="A bit small for me.", rating=2),
           Review(text="Nice colour."))


def _request(ctype: ContentType, lang: str, facts, i: int, **kw) -> ContentRequest:
    item = facts[i]
    if ctype is ContentType.REVIEW_SUMMARY:
        item = item.with_reviews([r.rating for r in REVIEWS], len(REVIEWS))
    slate = (item, facts[i + 1], facts[i + 2]) if ctype in SLATE_TYPES else (item,)
    user = UserContext.from_history([(facts[i + 7], "purchase"), (facts[i + 9], "view")], user_id="u1")
    return ContentRequest(content_type=ctype, lang=lang, items=slate, user=user, reviews=REVIEWS, **kw)


def _text(messages) -> str:
    return "\n".join(m["content"] for m in messages)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("ctype", list(ContentType))
def test_d_prompts_render_with_only_the_facts_of_the_request(checker, demo_facts, ctype, lang):
    book = PromptBook.load(lang)
    for i in range(0, 60, 6):
        for strict in (False, True):
            req = _request(ctype, lang, demo_facts, i, strict=strict, length="long", tone="premium")
            messages = book.messages(req)
            text = _text(messages)
            assert [m["role"] for m in messages] == ["system", "user"]
            assert not re.search(r"\{\w*\}", text), text  # every placeholder filled
            # every claim the prompt makes (facts and instructions alike) is backed by the request's items
            report = checker.check(text, req.context_facts(), extra_evidence=[r.text for r in req.reviews])
            assert report.ok, (ctype, lang, strict, report.summary())
            # every listed fact is there, and the slate's items are all there
            shown = book.facts(req)
            assert shown and all(v in text for v in shown.values())
            assert all(f.brand.get(lang) in text for f in req.items)
            # nothing of an item that is not in the request
            outsider = demo_facts[i + 30]
            if outsider.brand.get(lang) not in {f.brand.get(lang) for f in req.context_facts()}:
                assert outsider.brand.get(lang) not in text and outsider.title.get(lang) not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_d_tone_length_and_strict_variants_change_the_prompt(demo_facts, lang):
    book = PromptBook.load(lang)
    base = _request(ContentType.PRODUCT_DESCRIPTION, lang, demo_facts, 0)
    texts = {(t, n): _text(book.messages(base.model_copy(update={"tone": t, "length": n})))
             for t in Tone for n in Length}
    assert len(set(texts.values())) == 12
    for (tone, length), text in texts.items():
        assert book.doc["tone"][tone.value] in text and book.doc["length"][length.value] in text
    budgets = [book.max_tokens(base.model_copy(update={"length": n})) for n in Length]
    assert budgets == sorted(budgets) and len(set(budgets)) == 3
    normal = book.messages(base)
    strict = book.messages(base.model_copy(update={"strict": True, "rejected_claims": ("¥1", "silk")}))
    assert strict[0]["content"].startswith(normal[0]["content"]) and len(strict[0]["content"]) > len(
        normal[0]["content"])
    assert strict[1]["content"].startswith(normal[1]["content"])
    allowed = strict[1]["content"][len(normal[1]["content"]):]
    for value in book.facts(base).values():  # the strict prompt repeats every allowed value, exactly
        assert f"- {value}\n" in allowed + "\n"
    assert "'¥1'" in allowed and "'silk'" in allowed


def test_d_selling_point_count_history_and_reviews_are_rendered(demo_facts):
    book = PromptBook.load("en")
    points = book.messages(_request(ContentType.SELLING_POINTS, "en", demo_facts, 0, length="short"))[1]["content"]
    assert "Write 3 selling points" in points
    headline = book.messages(_request(ContentType.RECO_HEADLINE, "en", demo_facts, 0))[1]["content"]
    assert "- bought " in headline and "- viewed " in headline and "Item 3:" in headline
    summary = book.messages(_request(ContentType.REVIEW_SUMMARY, "en", demo_facts, 0))[1]["content"]
    assert "- (rating 5) Lovely, I wear them every day." in summary and "- Nice colour." in summary
    assert "- Reviews: 3" in summary and "- Average rating: 3.5/5" in summary
    zh = PromptBook.load("zh").messages(_request(ContentType.PUSH, "zh", demo_facts, 0, length="short"))
    assert "不超过30个字" in zh[1]["content"] and "购买过" in zh[1]["content"]


def test_a_custom_prompt_file_must_cover_every_content_type(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('version = "7"\nlanguage = "en"\n[product_description]\nuser = "Describe {facts}"\n',
                    encoding="utf-8")
    with pytest.raises(DataError, match="no user prompt for 'selling_points'"):
        PromptBook.from_file(path)
    full = "".join(f'[{c.value}]\nuser = "Write about:\\n{{facts}}"\n' for c in ContentType)
    path.write_text(f'version = "7"\nlanguage = "en"\n{full}', encoding="utf-8")
    assert PromptBook.from_file(path).version == "llm-en@7"

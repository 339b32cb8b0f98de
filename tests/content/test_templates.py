"""The template backend never states anything the data does not hold, in either language."""

from __future__ import annotations

import random

import pytest

from shopmind.content import ContentService, GroundingChecker, Length, TemplateBook, Tone, extract_facts
from shopmind.content.slate import similar_slate, user_history
from shopmind.content.slots import anchor_name, item_slots
from shopmind.content.templates import slots_of, stable_rng
from shopmind.data.synth import generate_demo_shop


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_files_only_use_known_slots(lang):
    known = {"title", "brand", "product", "product_brand", "category", "material", "material_label", "ingredient",
             "ingredient_label", "colour", "colour_label", "variant", "variant_label", "size", "size_label",
             "feature", "feature1", "feature2", "features", "origin", "origin_label", "price", "discount",
             "anchor", "interests", "categories", "brands", "headline", "reason", "n", "n_reviews", "avg", "pos", "neg"}
    book = TemplateBook.load(lang)
    for ctype, table in book.doc.items():
        if not isinstance(table, dict):
            continue
        for part, pools in table.items():
            phrases = pools.values() if isinstance(pools, dict) else [pools]
            for pool in phrases:
                for phrase in pool if isinstance(pool, list) else [pool]:
                    if isinstance(phrase, str):
                        assert set(slots_of(phrase)) <= known, (ctype, part, phrase)


# ---------------------------------------------------------------------------------------------- own text is clean
@pytest.fixture(scope="module")
def demo_shop():
    return generate_demo_shop(n_users=60, n_items=100, days=20, seed=11)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_checker_never_flags_our_own_templates(demo_shop, lang):
    """Every content type, tone and length over the demo shop's items and users: the checker passes every text
    the templates write (issue 25: it read the template's own "你喜欢" as a brand)."""
    items, events = demo_shop.items, demo_shop.events
    now = events["timestamp"].max().to_pydatetime()
    svc = ContentService(checker=GroundingChecker.from_items(items), now=now)
    records = items.to_dict("records")
    by_id = {r["item_id"]: r for r in records}
    flagged: list[tuple[str, str, str]] = []

    def keep(out):
        for text in out if isinstance(out, list) else [out]:
            if not text.check.ok:
                flagged.append((text.content_type.value, text.text, text.check.summary()))

    tones, lengths = list(Tone), list(Length)
    for n, item in enumerate(records):
        tone, length = tones[n % len(tones)], lengths[(n // len(tones)) % len(lengths)]
        keep(svc.describe(item, lang=lang, tone=tone, length=length, seed=n))
        keep(svc.selling_points(item, lang=lang, tone=tone, length=length, seed=n))
        keep(svc.ad_copy(item, variants=2, lang=lang, tone=tone, length=length, seed=n))
        keep(svc.summarise_reviews(item, ["Great quality, love it.", "Too small for me."], lang=lang))
    rng = random.Random(0)
    users = sorted(events["user_id"].unique())
    for n, uid in enumerate(users):
        history = [(by_id[i], kind) for i, kind in user_history(events, uid) if i in by_id]
        if not history:
            continue
        tone = tones[n % len(tones)]
        user = svc.user(history, user_id=uid)
        related = [by_id[i] for i in similar_slate(items, events, [h[0]["item_id"] for h in history], k=4)]
        unrelated = rng.sample(records, 4)  # what a collaborative model may pick: the interest headline
        for slate in (related, unrelated):
            keep(svc.headline(user, slate, lang=lang, tone=tone, seed=n))
            keep(svc.email(user, slate, lang=lang, tone=tone, seed=n))
            keep(svc.push(user, slate, lang=lang, tone=tone, seed=n))
            req = svc.request("reco_headline", slate, lang=lang, tone=tone, user=user, seed=n)
            because = {slate[0]["item_id"]: history[0][0]["item_id"]}
            keep(svc.generate(req.model_copy(update={"because": because})))
    assert not flagged, flagged[:10]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_phrase_of_every_pool_passes_the_checker(demo_shop, lang):
    """Each phrase of each pool, filled from demo items (the history item as the anchor), checked against the
    facts of the two items: no phrase of ours reads as a claim the data does not back."""
    items = demo_shop.items.to_dict("records")
    now = demo_shop.events["timestamp"].max().to_pydatetime()
    checker = GroundingChecker.from_items(demo_shop.items)
    book = TemplateBook.load(lang)
    flagged: list[tuple[str, str, str, str]] = []
    for n in range(0, len(items), 7):
        item, anchor = extract_facts(items[n], now=now), extract_facts(items[(n + 1) % len(items)], now=now)
        slots = {**item_slots(item, lang), "anchor": anchor_name(anchor, lang)}
        for ctype, table in book.doc.items():
            if not isinstance(table, dict) or ctype == "review_summary":
                continue
            for part, pools in table.items():
                if not isinstance(pools, dict) or (part == "new_in" and not item.is_new):  # used for new items only
                    continue
                for tone, phrases in pools.items():
                    if not isinstance(phrases, list):  # a setting such as push.max_chars
                        continue
                    size = len(phrases)
                    for offset in range(size):
                        got = book.render(ctype, part, tone, slots, stable_rng(0, "sweep"), offset=offset)
                        if got is None:
                            continue
                        report = checker.check(got[0], [item, anchor])
                        if not report.ok:
                            flagged.append((ctype, part, got[0], report.summary()))
    assert not flagged, flagged[:10]

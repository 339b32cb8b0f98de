"""Personalised headlines, reasons, e-mail and push: tied to each user's own history, and grounded."""

from __future__ import annotations

import pytest

from shopmind.content import ContentService, FactSheet, UserContext


def _by_leaf(facts: list[FactSheet]) -> dict[str, list[FactSheet]]:
    out: dict[str, list[FactSheet]] = {}
    for f in facts:
        out.setdefault(f.leaf("en") or "", []).append(f)
    return {k: v for k, v in out.items() if len(v) >= 3}


def _mentions(text: str, f: FactSheet, lang: str) -> bool:
    names = [f.brand.get(lang), f.leaf(lang), f.product_type.get(lang) if f.product_type else None]
    return any(n and n.lower() in text.lower() for n in names)


@pytest.fixture(scope="module")
def two_users(demo_facts):
    groups = list(_by_leaf(demo_facts).values())
    a, b = groups[0], groups[1]
    user_a = UserContext.from_history([(a[0], "view"), (demo_facts[-1], "view")], user_id="alice")
    user_b = UserContext.from_history([(b[0], "purchase")], user_id="bob")
    slate = [a[1], b[1], a[2], b[2], demo_facts[-2]]
    return user_a, user_b, slate, a[0], b[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_different_histories_give_different_headlines_tied_to_them(service, two_users, lang):
    user_a, user_b, slate, anchor_a, anchor_b = two_users
    ha = service.headline(user_a, slate, lang=lang)
    hb = service.headline(user_b, slate, lang=lang)
    assert ha.text != hb.text
    assert _mentions(ha.text, anchor_a, lang), ha.text
    assert _mentions(hb.text, anchor_b, lang), hb.text
    assert ha.check.ok and hb.check.ok, (ha.check.summary(), hb.check.summary())
    assert ha.segment != hb.segment
    assert ha.parts["anchor_item"] == anchor_a.item_id and hb.parts["anchor_item"] == anchor_b.item_id


def test_reasons_explain_each_item(service, two_users):
    user_a, _, slate, anchor_a, _ = two_users
    out = service.reasons(user_a, slate)
    reasons = out.parts["reasons"]
    assert set(reasons) == {f.item_id for f in slate}
    assert "because you" in reasons[slate[0].item_id].lower()
    assert out.check.ok, out.check.summary()


def test_email_and_push(service, two_users):
    user_a, user_b, slate, _, anchor_b = two_users
    for lang in ("en", "zh"):
        mail = service.email(user_a, slate, lang=lang)
        assert mail.parts["subject"] and all(
            (f.title.get(lang) or "") in mail.text for f in slate)
        assert mail.check.ok, mail.check.summary()
        push = service.push(user_b, slate, lang=lang, length="long")
        assert push.check.ok and len(push.text) <= (120 if lang == "en" else 60)
        assert _mentions(push.text, anchor_b, lang)


def test_anonymous_user_gets_a_generic_headline(service, two_users):
    _, _, slate, _, _ = two_users
    out = service.headline(None, slate)
    assert out.parts["theme"] == "generic" and out.text in ("Picked for you", "Recommended for you",
                                                           "Ideas for you")
    assert out.check.ok


def test_history_can_be_plain_items_or_pairs(service, two_users, demo_facts):
    _, _, slate, anchor_a, _ = two_users
    as_pairs = service.headline([(anchor_a, "view")], slate)
    as_items = service.headline([anchor_a], slate)
    assert as_pairs.text == as_items.text


def test_headlines_are_deterministic_per_seed(checker, now, two_users):
    user_a, _, slate, _, _ = two_users
    first = ContentService(checker=checker, now=now.to_pydatetime()).headline(user_a, slate, seed=3)
    again = ContentService(checker=checker, now=now.to_pydatetime()).headline(user_a, slate, seed=3)
    assert first.text == again.text and first.parts == again.parts


def test_copy_names_what_the_user_did(service, two_users):
    """Regression: an add-to-cart was described as "viewed" (event types were not mapped to actions)."""
    _, _, slate, anchor_a, _ = two_users
    out = service.headline([(anchor_a, "add_to_cart")], slate)
    assert "cart" in out.text and "viewed" not in out.text, out.text
    assert all("viewed" not in line for line in out.parts["reasons"].values())
    zh = service.headline([(anchor_a, "purchase")], slate, lang="zh")
    assert ("购买" in zh.text or "买过" in zh.text) and "浏览" not in zh.text, zh.text

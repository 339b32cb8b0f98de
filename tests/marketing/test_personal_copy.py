"""Personal copy over the live pipeline's slate: the pipeline's items, a reason from the user's own history,
the profile's price range, and the fallback slate without a recommender."""

from __future__ import annotations

import pytest

from shopmind.content import ContentService, GroundingChecker
from shopmind.content.slate import similar_slate
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.marketing.personal_copy import PersonalCopy


@pytest.fixture()
def copy(service, trained_shop) -> PersonalCopy:
    content = ContentService(checker=GroundingChecker.from_items(trained_shop.items))
    return PersonalCopy(service.store, content, recommender=service)


def test_the_slate_is_the_pipelines_and_the_headline_is_personal(copy, service, trained_shop) -> None:
    user = trained_shop.heavy_user()
    rec = service.recommend(user, n=5)
    out = copy.headline(user, k=5)
    assert out.item_ids == [i.item_id for i in rec.items]
    assert out.parts["slate_source"] == "pipeline" and out.parts["recommendation_id"]
    assert out.parts["theme"] != "generic" and out.check is not None and out.check.ok, out.check
    history_ids = {item["item_id"] for item, _ in copy.history(user)}
    assert out.parts["anchor_item"] in history_ids  # the reason names an item of this user's history


def test_every_user_with_a_history_gets_a_personal_headline(copy, trained_shop) -> None:
    users = trained_shop.data.users.raws(range(0, 300, 10))
    generic = []
    for user in users:
        if not copy.history(user):
            continue
        for lang in ("en", "zh"):
            out = copy.headline(user, k=4, lang=lang)
            assert out.check.ok, (out.text, out.check.summary())
            if out.parts["theme"] == "generic":
                generic.append((user, lang, out.text))
    assert not generic


def test_the_price_band_comes_from_the_profile_else_the_history(copy, trained_shop) -> None:
    user = trained_shop.heavy_user()
    history = copy.history(user)
    prices = sorted(float(i["price"]) for i, _ in history if i.get("price"))
    low, high = copy.price_band(user, history)
    assert prices[0] <= low <= high <= prices[-1]
    copy.store.put_profiles({user: {"user_id": user, "price_range": {"low": 10.0, "high": 99.0, "currency": "CNY"}}})
    assert copy.price_band(user, history) == (10.0, 99.0)
    assert copy.user(user).price_band == (10.0, 99.0)


def test_the_reason_names_the_price_band_when_nothing_else_links(copy, trained_shop) -> None:
    user = trained_shop.heavy_user()
    ctx = copy.user(user)
    seen = {e.item.item_id for e in ctx.history}
    cats = {e.item.category[-1].en for e in ctx.history if e.item.category}
    brands = {e.item.brand.en for e in ctx.history}
    other = [r for r in trained_shop.items.to_dict("records") if r["item_id"] not in seen
             and r["category"].split(" > ")[-1] not in cats and r["brand"] not in brands][:3]
    band = (min(float(r["price"]) for r in other), max(float(r["price"]) for r in other))
    out = copy.content.reasons(ctx.model_copy(update={"price_band": band}), other)
    assert all("usual price range" in line for line in out.parts["reasons"].values()), out.parts["reasons"]


def test_without_a_recommender_the_fallback_slate_is_used(service, trained_shop) -> None:
    items, events = trained_shop.items, service.store.events_frame()
    copy = PersonalCopy(service.store, ContentService(),
                        fallback_slate=lambda history, k: similar_slate(items, events, history, k=k))
    out = copy.email(trained_shop.heavy_user(), k=3)
    assert out.parts["slate_source"] == "similar" and len(out.item_ids) == 3
    with pytest.raises(UnknownIdError):
        copy.headline("no-such-user")
    with pytest.raises(ShopmindError):
        PersonalCopy(service.store, ContentService())
    with pytest.raises(ShopmindError, match="not a personal"):
        copy.write("ad_copy", trained_shop.heavy_user())

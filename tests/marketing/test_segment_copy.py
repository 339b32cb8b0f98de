"""Ad copy for a customer segment: the audience is computed from the members' events, the ads feature what
they buy, open with what they shop, and pass the claim checker; an unknown segment names the field."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shopmind.content import ContentService, GroundingChecker
from shopmind.errors import ParameterError, ShopmindError
from shopmind.marketing.segment_copy import SegmentCopy


def _leaf(category: object) -> str:
    return str(category).split(">")[-1].strip()


@pytest.fixture()
def seg(service, trained_shop) -> SimpleNamespace:
    store = service.store
    events = store.events_frame()
    items = trained_shop.items.set_index("item_id")
    # a taste segment: the users whose events are mostly in the shop's most common top category
    top = events["item_id"].map(items["category"]).str.split(">").str[0].str.strip()
    fav = top.value_counts().index[0]
    share = (top == fav).groupby(events["user_id"]).mean()
    fans = sorted(share[share >= 0.5].index.astype(str))
    others = sorted(share[share < 0.2].index.astype(str))
    assert len(fans) >= 5 and others
    store.put_segments([
        {"segment_id": "topic:9", "kind": "topic", "name": "Fans", "name_zh": "爱好者", "size": len(fans)},
        {"segment_id": "rfm:empty", "kind": "rfm", "name": "Empty", "size": 0}])
    store.put_memberships({u: ["topic:9"] for u in fans})
    content = ContentService(checker=GroundingChecker.from_items(trained_shop.items))
    return SimpleNamespace(copy=SegmentCopy(store, content), fav=fav, fans=fans)


@pytest.fixture()
def copy(seg) -> SegmentCopy:
    return seg.copy


def test_the_audience_comes_from_the_members_events(seg, trained_shop) -> None:
    copy = seg.copy
    audience = copy.audience("topic:9")
    assert audience.members == len(seg.fans)
    items = trained_shop.items.set_index("item_id")
    events = copy.store.events_frame(user_ids=seg.fans)
    touched = set(events["item_id"])
    assert audience.featured and set(audience.featured) <= touched  # what the members interact with
    assert len({_leaf(items.loc[i, "category"]) for i in audience.featured}) == len(audience.featured)
    assert all(str(items.loc[i, "category"]).startswith(seg.fav) for _, _, i in audience.categories[:1])
    shares = [s for _, s, _ in audience.categories]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1
    low, high = audience.price_band
    assert 0 < low <= high
    summary = audience.summary()
    assert summary["segment_id"] == "topic:9" and summary["categories"][0]["name"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_segment_ads_speak_to_the_segment_and_pass_the_checker(copy, lang) -> None:
    outs = copy.ads("topic:9", variants=4, lang=lang)
    assert len(outs) == 4 and len({o.text for o in outs}) == 4
    audience = outs[0].parts["audience"]
    featured = audience["featured_items"]
    assert [o.parts["featured_item"] for o in outs[:len(featured)]] == featured[:4]  # rotate over the items
    names = [c["name_zh" if lang == "zh" else "name"] or c["name"] for c in audience["categories"][:2]]
    names += [b["name_zh" if lang == "zh" else "name"] or b["name"] for b in audience["brands"][:2]]
    for out in outs:
        assert out.content_type == "ad_copy" and out.segment == "topic:9"
        assert out.check is not None and out.check.ok, (out.text, out.check.summary())
        # the opening names what the segment shops (its categories or brands), not only the item
        assert any(n.lower() in out.text.lower() for n in names), (out.text, names)


def test_a_segment_is_found_by_name_and_an_unknown_one_names_the_field(copy) -> None:
    assert copy.find("fans")["segment_id"] == "topic:9"
    assert copy.find("爱好者")["segment_id"] == "topic:9"
    with pytest.raises(ParameterError) as err:
        copy.find("nope")
    assert err.value.name == "segment" and "topic:9" in str(err.value)
    with pytest.raises(ShopmindError, match="no members"):
        copy.audience("rfm:empty")


def test_item_ads_without_an_audience_are_unchanged(copy, trained_shop) -> None:
    item = trained_shop.items.iloc[0].to_dict()
    plain = copy.content.ad_copy(item, variants=2)
    assert all(o.segment is None for o in plain)
    assert not any(o.text.startswith(("For everyone", "For fans")) for o in plain)


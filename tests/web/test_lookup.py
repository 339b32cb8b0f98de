"""Finding users and items as one types, and shoppers alike, over the service's live state."""

from __future__ import annotations

from shopmind.web.lookup import Lookup


def test_users_and_items_by_prefix_and_title_words(service, trained_shop):
    lookup = Lookup(service)
    user = trained_shop.heavy_user()
    assert user in lookup.users(user[:-1], limit=50) and lookup.users("") == []
    item = service.state.catalog.raw(0)
    assert lookup.items(item)[0][0] == item
    title = service.state.catalog.label(0)
    word = max(title.split(), key=len)
    assert item in [i for i, _ in lookup.items(word.lower(), limit=200)]


def test_similar_users_share_items(service, trained_shop):
    user = trained_shop.heavy_user()
    alike = Lookup(service).similar_users(user, n=5)
    assert alike and all(common > 0 for _, _, common in alike) and user not in [u for u, _, _ in alike]
    scores = [s for _, s, _ in alike]
    assert scores == sorted(scores, reverse=True)
    assert Lookup(service).similar_users("nobody") == []

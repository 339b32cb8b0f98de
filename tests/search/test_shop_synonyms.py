"""The shop's own synonyms: stored groups join the packaged ones, two-way or one-way, on this service at once and
on another service over the same store within a second; bad groups are refused naming the field."""

from __future__ import annotations

import time

import pytest

from shopmind.errors import DataError, StoreError, UnknownIdError
from shopmind.search import service as service_module
from shopmind.search.request import SearchRequest
from shopmind.search.service import SearchService
from shopmind.search.shop_synonyms import MAX_WORDS, ShopSynonyms
from shopmind.storage import open_store

ITEMS = [{"item_id": "sofa", "title": "Leather sofa, three seats", "category": "Home > Sofas"},
         {"item_id": "boot", "title": "Hiking boots", "category": "Shoes > Boots"},
         {"item_id": "lamp", "title": "Brass floor lamp", "category": "Home > Lighting"}]


def _ids(service: SearchService, q: str) -> list[str]:
    return service.search(SearchRequest(q=q, limit=10)).item_ids


@pytest.fixture()
def store(tmp_path):
    with open_store(f"sqlite:///{tmp_path}/s.db") as st:
        st.upsert_items(ITEMS)
        yield st


def test_a_group_finds_what_the_catalog_calls_otherwise(store) -> None:
    search = SearchService.open(store, log_events=False)
    assert _ids(search, "chesterfield") == [] and _ids(search, "tramping shoes") == []
    one_way = search.add_synonyms(["chesterfield"], to=["sofa"])
    assert _ids(search, "chesterfield") == ["sofa"]
    assert one_way.line() == "chesterfield => sofa" and not one_way.as_dict()["two_way"]
    two_way = search.add_synonyms(["tramping shoes", "hiking boots"])
    assert _ids(search, "tramping shoes") == ["boot"] and two_way.to == ()
    assert [g.group_id for g in search.shop_synonyms.groups()] == [one_way.group_id, two_way.group_id]
    search.delete_synonyms(one_way.group_id)
    assert _ids(search, "chesterfield") == []
    with pytest.raises(UnknownIdError, match="unknown group id"):
        search.delete_synonyms(one_way.group_id)


def test_another_service_on_the_store_applies_a_change_within_a_second(store, monkeypatch) -> None:
    a, b = SearchService.open(store, log_events=False), SearchService.open(store, log_events=False)
    group = a.add_synonyms(["chesterfield"], to=["sofa"])
    monkeypatch.setattr(service_module, "CHECK_SECONDS", 0.05)
    time.sleep(0.1)
    assert _ids(b, "chesterfield") == ["sofa"]
    a.delete_synonyms(group.group_id)
    time.sleep(0.1)
    assert _ids(b, "chesterfield") == []
    # a service opened later starts with the stored groups
    a.add_synonyms(["luminaire"], to=["lamp"])
    assert _ids(SearchService.open(store, log_events=False), "luminaire") == ["lamp"]


def test_bad_groups_are_refused_and_nothing_is_stored(store) -> None:
    shop = ShopSynonyms(store)
    cases = [(([],), "'words': needs at least one word"),
             ((["solo"],), "two-way group needs at least two words"),
             ((["ok", "  "],), "'words[1]': must be a non-empty word"),
             ((["ok", "!!!"],), "'words[1]': holds no searchable word"),
             ((["ok"], ["x" * 101]), "'to[0]': is 101 characters long"),
             ((["w" + str(i) for i in range(MAX_WORDS + 1)],), f"at most {MAX_WORDS}"),
             (("sofa, couch",), "must be a list of words")]
    for args, message in cases:
        with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
            shop.add(*args)
    with pytest.raises(DataError, match="'group_id'"):
        shop.add(["pouf", "ottoman"], group_id="has space")
    assert shop.groups() == [] and shop.version() is None


def test_a_file_in_the_packaged_syntax_is_checked_whole_before_anything_is_stored(store) -> None:
    shop = ShopSynonyms(store)
    assert shop.import_text("# the shop's words\nsofa, couch, settee\ntrainers, kicks => sneakers\n") == 2
    lines = [g.line() for g in shop.groups()]
    assert lines == ["sofa, couch, settee", "trainers, kicks => sneakers"]
    with pytest.raises(DataError, match=r"bad.txt, row 3: field 'words'.*two-way group"):
        shop.import_text("lamp, luminaire\n# a comment\nlonely\n", source="bad.txt")
    with pytest.raises(DataError, match=r"bad.txt, row 2: .*both sides"):
        shop.import_text("lamp, luminaire\nlamp =>\n", source="bad.txt")
    assert [g.line() for g in shop.groups()] == lines
    assert shop.import_text("lamp, luminaire", replace=True) == 1
    assert [g.line() for g in shop.groups()] == ["lamp, luminaire"]
    # repeated words are kept once, case-insensitively
    assert shop.add(["Sofa", "sofa", "couch"]).words == ("Sofa", "couch")


def test_the_group_limit_holds_and_a_refused_replace_keeps_the_groups(store, monkeypatch) -> None:
    from shopmind.search import shop_synonyms

    monkeypatch.setattr(shop_synonyms, "MAX_GROUPS", 2)
    shop = ShopSynonyms(store)
    shop.add(["sofa", "couch"])
    shop.add(["lamp", "luminaire"], group_id="lights")
    with pytest.raises(DataError, match="holds 2 synonym groups, the most it keeps"):
        shop.add(["boot", "wellie"], group_id="new-id")  # a new id counts like no id
    assert shop.add(["lamp", "light"], group_id="lights").words == ("lamp", "light")  # replacing does not
    before = [g.line() for g in shop.groups()]
    with pytest.raises(DataError, match="would hold 3"):
        shop.import_text("a1, b1\na2, b2\na3, b3\n", replace=True)
    assert [g.line() for g in shop.groups()] == before


def test_search_goes_on_when_the_synonyms_cannot_be_read(store, monkeypatch) -> None:
    search = SearchService.open(store, log_events=False)
    search.add_synonyms(["chesterfield"], to=["sofa"])

    def down() -> None:
        raise StoreError("the store is unavailable")

    monkeypatch.setattr(search.shop_synonyms, "version", down)
    monkeypatch.setattr(service_module, "CHECK_SECONDS", 0.0)
    assert _ids(search, "chesterfield") == ["sofa"]  # the groups applied before still apply

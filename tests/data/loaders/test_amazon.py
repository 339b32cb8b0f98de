"""Amazon review data: 2014 (JSON reviews, Python-literal metadata) and 2023 (JSONL, ms timestamps)."""

from __future__ import annotations

import json

import pytest

from shopmind.data.loaders import read

REVIEWS_2014 = [
    {"reviewerID": "A1", "asin": "B001", "reviewerName": "Ann", "helpful": [1, 2], "reviewText": "Lovely.",
     "overall": 5.0, "summary": "Great", "unixReviewTime": 1252800000, "reviewTime": "09 13, 2009"},
    {"reviewerID": "A2", "asin": "B002", "overall": 2.0, "summary": "Meh", "unixReviewTime": 1300000000},
]


META_2014 = [
    "{'asin': 'B001', 'title': 'Rose &amp; Oud Cream', 'price': 12.5, 'imUrl': 'http://img/1.jpg', "
    "'salesRank': {'Beauty': 123}, 'categories': [['Beauty', 'Skin Care', 'Face'], ['Gifts']], "
    "'brand': 'Acme', "
    "'description': 'A cream.'}",
    "{'asin': 'B002', 'categories': [['Beauty']], 'related': {'also_bought': ['B001']}, 'price': None}",
    "{'asin': 'B003', __import__('os').system('echo pwned')}",
]


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_2014_reviews_with_sibling_python_literal_metadata(write):
    path = write("reviews_Beauty_5.json.gz", _jsonl(REVIEWS_2014), gz=True)
    write("meta_Beauty.json.gz", "\n".join(META_2014) + "\n", gz=True)
    res = read(path)
    assert res.format == "amazon-2014"
    ev = res.events
    assert ev[["user_id", "item_id", "type", "value", "timestamp"]].values.tolist() == [
        ["A1", "B001", "rating", 5.0, 1252800000], ["A2", "B002", "rating", 2.0, 1300000000]]
    assert ev.loc[0, "context"] == {"summary": "Great", "helpful": [1, 2], "text": "Lovely."}
    items = res.items.set_index("item_id")
    assert items.loc["B001", "title"] == "Rose & Oud Cream"
    assert items.loc["B001", "category"] == "Beauty > Skin Care > Face"
    assert items.loc["B001", "price"] == 12.5 and items.loc["B001", "brand"] == "Acme"
    assert items.loc["B001", "image"] == "http://img/1.jpg"
    assert items.loc["B001", "attributes"] == {"sales_rank": {"Beauty": 123},
                                               "categories": ["Beauty > Skin Care > Face", "Gifts"]}
    assert items.loc["B002", "category"] == "Beauty"
    # the line with code in it is not evaluated, just rejected
    assert [(r.row, r.kind) for r in res.rejects] == [(3, "item")]
    assert "not a Python literal" in res.rejects[0].reason


def test_2014_reviews_without_text(write):
    res = read(write("Beauty_5.json", _jsonl(REVIEWS_2014)), with_text=False)
    assert "text" not in res.events.loc[0, "context"] and res.items is None


def test_2023_reviews_and_meta_in_a_directory(write):
    write("amz/All_Beauty.jsonl", _jsonl([
        {"rating": 4.0, "title": "Nice", "text": "Works", "images": [], "asin": "B0V1", "parent_asin": "B0P",
         "user_id": "AG1", "timestamp": 1588687728923, "helpful_vote": 2, "verified_purchase": True},
    ]) + '{"rating": 5.0, "user_id": \n')
    path = write("amz/meta_All_Beauty.jsonl", _jsonl([
        {"main_category": "All Beauty", "title": "Serum", "average_rating": 4.5, "rating_number": 10,
         "features": ["vegan"], "description": ["Line one.", "Line two."], "price": None,
         "images": [{"thumb": "t.jpg", "large": "l.jpg"}], "store": "GlowCo", "categories": [],
         "details": {"Item Form": "Liquid"}, "parent_asin": "B0P"},
    ]))
    res = read(path.parent)
    assert res.format == "amazon-2023"
    ev = res.events
    assert ev.loc[0, "item_id"] == "B0P" and ev.loc[0, "timestamp"] == pytest.approx(1588687728.923)
    assert ev.loc[0, "context"] == {"summary": "Nice", "verified": True, "helpful_votes": 2, "asin": "B0V1",
                                    "text": "Works"}
    assert [(r.row, r.kind) for r in res.rejects] == [(2, "event")]
    item = res.items.iloc[0]
    got = (item["item_id"], item["brand"], item["category"], item["image"])
    assert got == ("B0P", "GlowCo", "All Beauty", "l.jpg")
    assert item["description"] == "Line one.\nLine two."
    assert item["attributes"]["Item Form"] == "Liquid" and item["attributes"]["features"] == ["vegan"]


def test_2018_meta_price_text_is_parsed_or_kept_aside(write):
    res = read(write("meta_X.json", _jsonl([
        {"asin": "C1", "title": "A", "price": "$1,299.00", "category": ["Tools", "Saws"]},
        {"asin": "C2", "title": "B", "price": "$5.99 - $9.99", "imageURLHighRes": ["h.jpg"]},
    ])))
    assert res.items["price"].tolist()[0] == 1299.0 and res.items.loc[0, "category"] == "Tools > Saws"
    assert res.items.loc[1, "attributes"] == {"price_text": "$5.99 - $9.99"}
    assert res.items.loc[1, "image"] == "h.jpg"

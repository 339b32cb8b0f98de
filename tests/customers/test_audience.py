"""The audience language: what it selects, and the expressions it rejects (naming the token)."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.customers.audience import AudienceError, audience_frame, parse, select, tokenize

PROFILES = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "profile": [
    {"stage": "at_risk", "rfm": {"group": "at_risk", "r": 2}, "value": {"clv_12m": 150.0},
     "interests": {"category": {"Beauty > Skin Care > Serums": 0.7}, "brand": {"Dewy Lab": 1.0}},
     "segments": ["rfm:at_risk", "kmeans:1"], "attributes": {"city": "Shanghai", "age_band": "25-34"},
     "churn": {"risk": 0.8}, "purchases": {"orders": 3, "recency_days": 80.0}},
    {"stage": "active", "rfm": {"group": "cannot_lose"}, "value": {"clv_12m": 90.0},
     "interests": {"category": {"Beauty > Skin Care > Creams": 1.0}}, "segments": ["kmeans:2"],
     "attributes": {"city": "Beijing"}, "purchases": {"orders": 9, "recency_days": 3.0}},
    {"stage": "prospect", "segments": [], "attributes": {}},
    {"stage": "lapsed", "rfm": {"group": "lost"}, "value": {"clv_12m": None}, "segments": ["kmeans:1"]},
]})


@pytest.fixture(scope="module")
def frame():
    return audience_frame(PROFILES)


def ids(frame, where):
    return frame.loc[parse(where).mask(frame), "user_id"].tolist()


def test_the_issue_example(frame):
    where = "rfm in (at_risk, cannot_lose) and clv_12m > 100 and interest.category ~ 'Skin Care'"
    assert ids(frame, where) == ["a"]
    assert select(PROFILES, where) == ["a"]


@pytest.mark.parametrize(("where", "expected"), [
    ("clv_12m >= 90", ["a", "b"]),
    ("clv_12m < 100", ["b"]),  # a missing value never matches
    ("not clv_12m < 100", ["a", "c", "d"]),
    ("rfm = 'At risk'", ["a"]),  # labels work for rfm and stage
    ("rfm != at_risk", ["b", "d"]),  # c has no RFM group: a missing value never matches
    ("segment = kmeans:1", ["a", "d"]),
    ("segment != kmeans:1", ["b", "c"]),
    ("segment in (kmeans:2, rfm:at_risk)", ["a", "b"]),
    ("interest.category ~ creams or interest.brand = 'dewy lab'", ["a", "b"]),
    ("interest.category !~ 'skin care'", ["c", "d"]),
    ("attr.city = shanghai and attr.age_band = '25-34'", ["a"]),
    ("attr.unknown_attribute = x", []),
    ("stage not in (prospect, lapsed)", ["a", "b"]),
    ("(stage = active or stage = at_risk) and orders > 5", ["b"]),
    ("churn_risk > 0.5 AND recency_days > 30", ["a"]),
    ("orders in (3, 9)", ["a", "b"]),
])
def test_selections(frame, where, expected):
    assert ids(frame, where) == expected


@pytest.mark.parametrize(("where", "token", "message"), [
    ("", None, "empty"),
    ("foo = 1", "foo", "unknown field 'foo'"),
    ("clv_12m > abc", "clv_12m", "'abc' is not"),
    ("rfm < 3", "rfm", "compares numbers"),
    ("clv_12m ~ 3", "clv_12m", "needs a text field"),
    ("rfm in at_risk", "at_risk", "expected '('"),
    ("rfm in (at_risk", None, "expected ',' or ')'"),
    ("rfm = at_risk and", None, "expected a field name"),
    ("(rfm = at_risk", None, "expected ')'"),
    ("rfm = at_risk stage = new", "stage", "unexpected 'stage'"),
    ("rfm = $", "$", "unexpected character '$'"),
    ("rfm at_risk", "at_risk", "expected an operator"),
    ("rfm not = x", "=", "expected 'in'"),
    ("__import__('os') = 1", "__import__", "unknown field '__import__'"),
    ("not " * 50 + "rfm = x", "not", "nests deeper"),
    ("x" * 2001, None, "longer than 2000"),
])
def test_rejected_expressions_name_the_token(where, token, message):
    with pytest.raises(AudienceError, match="invalid audience expression") as info:
        parse(where)
    assert message in str(info.value)
    assert info.value.token == token and info.value.position >= 1


def test_tokens_and_positions():
    toks = tokenize("clv_12m>=100 and interest.category ~ \"Skin \\\"Care\\\"\"")
    assert [t.kind for t in toks] == ["word", "op", "number", "keyword", "word", "op", "string", "end"]
    assert toks[2].value == 100.0 and toks[6].value == 'Skin "Care"' and toks[3].position == 14


def test_empty_store_selects_nobody():
    assert select(pd.DataFrame({"user_id": [], "profile": []}), "rfm = lost") == []

"""Checking copy: one text (check_text) and a batch (one result per input line, in order, malformed lines in
their place), with the checker's verdicts and the facts they were checked against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shopmind.content import GroundingChecker
from shopmind.content.audit import AuditLine, audit_lines, audit_one, check_text, parse_line, summarise
from shopmind.errors import ShopmindError

KETTLE: dict[str, Any] = {"item_id": "kt1", "title": "Nordhaus Kettle 1.5 L", "brand": "Nordhaus",
                          "category": "Home & Kitchen > Kitchen > Kettles", "price": 159.0, "currency": "CNY",
                          "attributes": {"capacity": "1.5 L", "warranty": "2 years", "brand_zh": "北屋"}}
MUG: dict[str, Any] = {"item_id": "mg1", "title": "Brewmaster Travel Mug 500 ml", "brand": "Brewmaster",
                       "category": "Home & Kitchen > Kitchen > Mugs", "price": 89.0, "currency": "CNY",
                       "attributes": {"capacity": "500 ml"}}
STORE = {"kt1": KETTLE, "mg1": MUG}


def _line(**rec: Any) -> str:
    return json.dumps(rec, ensure_ascii=False)


def test_verdicts_with_facts_by_id_and_inline() -> None:
    lines = [
        _line(item_id="kt1", text="北屋电水壶，1500毫升，两年保修。", lang="zh"),
        _line(item=MUG, text="Brewmaster mug, 750 ml, free shipping.", lang="en"),
        _line(item_ids=["kt1", "mg1"], text="Nordhaus kettle and Brewmaster mug."),
    ]
    out = list(audit_lines(lines, STORE.get))
    assert [r.line for r in out] == [1, 2, 3] and [r.ok for r in out] == [True, False, True]
    assert {(c.text, c.verdict) for c in out[0].claims} >= {("1500毫升", "supported"), ("两年保修", "supported")}
    bad = {c.text: c for c in out[1].claims}
    assert bad["750 ml"].verdict == "contradicted" and bad["750 ml"].fact == "Capacity: 500 ml"
    assert bad["free shipping"].verdict == "unsupported" and bad["free shipping"].fact == ""
    assert out[2].item_ids == ["kt1", "mg1"]


@pytest.mark.parametrize(("raw", "message"), [
    ("", "empty line"),
    ("{not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    (_line(item_id="kt1"), "'text'"),
    (_line(item_id="kt1", text="x", lang="fr"), "'lang'"),
    (_line(item_id="kt1", item=KETTLE, text="x"), "exactly one of"),
    (_line(text="x"), "exactly one of"),
    (_line(item_ids=[], text="x"), "'item_ids'"),
    (_line(item="kt1", text="x"), "'item'"),
])
def test_malformed_lines_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ShopmindError, match=message):
        parse_line(raw)


def test_no_line_is_lost_or_reordered() -> None:
    good = _line(item_id="kt1", text="Nordhaus kettle, 1.5 L.")
    lines = [good, "", "garbage", _line(item_id="nope", text="x"), _line(item={"title": "no id"}, text="x"), good]
    seen: list[AuditLine] = []
    out = list(audit_lines(lines, STORE.get, on_line=seen.append))
    assert [r.line for r in out] == list(range(1, 7)) and seen == out
    assert [r.error is None for r in out] == [True, False, False, False, False, True]
    assert "unknown item id(s): 'nope'" in (out[3].error or "") and "item_id" in (out[4].error or "")
    assert out[0].ok and out[-1].ok and not any(r.ok for r in out[1:5])


def test_summary_counts_by_attribute() -> None:
    lines = [_line(item=MUG, text="Brewmaster mug, 750 ml, free shipping."),
             _line(item=MUG, text="Brewmaster mug, 0.5 L."), "oops"]
    s = summarise(audit_lines(lines, STORE.get))
    assert (s.lines, s.ok, s.flagged, s.errors) == (3, 1, 1, 1)
    assert s.by_attribute["volume"] == {"checked": 2, "supported": 1, "contradicted": 1, "unsupported": 0}
    assert s.by_attribute["shipping"]["unsupported"] == 1 and s.by_attribute["brand"]["supported"] == 2
    assert s.claims == s.supported + s.contradicted + s.unsupported


def test_a_catalog_brand_swapped_in_is_a_contradiction() -> None:
    """The checker knows the brands of the inline items: naming another item's brand contradicts."""
    lines = [_line(item=KETTLE, text="Nordhaus kettle."), _line(item=MUG, text="A Nordhaus mug.")]
    out = list(audit_lines(lines, STORE.get))
    assert out[0].ok and [(c.text, c.verdict) for c in out[1].claims if c.attribute == "brand"] == [
        ("Nordhaus", "contradicted")]


@pytest.mark.parametrize("name", ["heldout", "handwritten"])
def test_committed_held_out_sets_meet_the_targets(name: str) -> None:
    """The held-out evaluation sets (committed; see docs/content.md#checker): at least 95% of planted false facts
    caught and at most 5% of faithful texts flagged, in each language."""
    path = Path(__file__).parents[2] / "benchmarks" / "content" / f"checker-{name}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    cases = [json.loads(x) for x in lines]
    assert len(cases) >= (300 if name == "heldout" else 100)
    results = list(audit_lines(lines, lambda _: None))
    assert [r.line for r in results] == list(range(1, len(lines) + 1)) and not any(r.error for r in results)
    for lang in ("en", "zh"):
        planted = [r.ok for c, r in zip(cases, results, strict=True) if c["lang"] == lang and c["label"] == "planted"]
        faithful = [r.ok for c, r in zip(cases, results, strict=True) if c["lang"] == lang and c["label"] != "planted"]
        assert planted and faithful
        assert 1 - sum(planted) / len(planted) >= 0.95, f"{name} {lang}: caught {len(planted) - sum(planted)}"
        assert sum(faithful) / len(faithful) >= 0.95, f"{name} {lang}: flagged {len(faithful) - sum(faithful)}"


def test_parsed_records_are_audited_like_lines() -> None:
    """The REST route passes the request's records, not JSON text."""
    recs = [{"item": MUG, "text": "Brewmaster mug, 750 ml."}, {"text": "no item"}]
    out = list(audit_lines(recs, STORE.get))
    assert [r.ok for r in out] == [False, False] and out[1].error and out[0].claims[-1].verdict == "contradicted"


BOTTLE: dict[str, Any] = {"item_id": "b1", "title": "Acme Steel Bottle - 750 ml", "brand": "Acme", "price": 20.0,
                          "currency": "CNY",
                          "attributes": {"material": "Stainless Steel", "capacity": "750 ml", "colour": "Blue"}}


def test_one_text_gets_the_checkers_verdicts_with_facts() -> None:
    checker = GroundingChecker(brands={"Acme": "Acme", "Zenith": "Zenith"})
    out = check_text("Acme blue bottle, 750 ml, made of glass, ¥25.", [BOTTLE], checker)
    verdicts = {c.attribute: (c.verdict, c.fact) for c in out.claims}
    assert verdicts["brand"] == ("supported", "Brand: Acme")
    assert verdicts["material"] == ("contradicted", "Material: Stainless Steel; Material: 不锈钢")
    assert verdicts["price"] == ("contradicted", "Price: ¥20")
    assert verdicts["volume"] == ("supported", "Capacity: 750 ml")
    assert out.ok is False and out.item_ids == ["b1"]
    no_origin = check_text("Made in Italy.", [BOTTLE], checker)
    assert [(c.attribute, c.verdict, c.fact) for c in no_origin.claims] == [("origin", "unsupported", "")]
    assert check_text("Acme, ¥20.", [BOTTLE], checker).ok


def test_a_line_is_checked_as_its_text_alone() -> None:
    """The audit of a line and the check of its text are one implementation: the same claims and verdict."""
    checker = GroundingChecker.from_items([BOTTLE])
    text = "Zenith-free Acme bottle in red, 500 ml."
    line = audit_one(7, {"item_id": "b1", "text": text}, {"b1": BOTTLE}.get, checker)
    alone = check_text(text, [BOTTLE], checker)
    assert (line.line, line.ok, line.claims, line.item_ids) == (7, alone.ok, alone.claims, alone.item_ids)
    assert not alone.ok and [(c.text, c.verdict) for c in alone.claims] == [
        ("Acme", "supported"), ("red", "contradicted"), ("500 ml", "contradicted")]

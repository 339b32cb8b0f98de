"""Bulk checks: verdicts with the fact checked against, one result per line in order, summaries."""

from __future__ import annotations

import pytest

from shopmind.content import GroundingChecker
from shopmind.content.batch import check_lines, check_text, summarise

BOTTLE = {"item_id": "b1", "title": "Acme Steel Bottle - 750 ml", "brand": "Acme", "price": 20.0, "currency": "CNY",
          "attributes": {"material": "Stainless Steel", "capacity": "750 ml", "colour": "Blue"}}


@pytest.fixture()
def checker() -> GroundingChecker:
    return GroundingChecker(brands={"Acme": "Acme", "Zenith": "Zenith"})


def test_verdicts_say_supported_contradicted_or_unsupported(checker) -> None:
    out = check_text("Acme blue bottle, 750 ml, made of glass, ¥25.", [BOTTLE], checker)
    verdicts = {c["attribute"]: (c["verdict"], c["fact"]) for c in out["claims"]}
    assert verdicts["brand"] == ("supported", "Acme")
    assert verdicts["material"] == ("contradicted", "Stainless Steel")
    assert verdicts["price"] == ("contradicted", "¥20")
    assert verdicts["quantity"][0] == "supported" and "750 ml" in verdicts["quantity"][1]
    assert out["ok"] is False
    no_origin = check_text("Made in Italy.", [BOTTLE], checker)
    assert [(c["attribute"], c["verdict"], c["fact"]) for c in no_origin["claims"]] == [
        ("origin", "unsupported", None)]


def test_lines_keep_their_place_and_bad_lines_get_an_error(checker) -> None:
    lines = [{"item_id": "b1", "text": "Acme, ¥20."}, "not an object", {"item_id": "zz", "text": "x"},
             {"item": BOTTLE, "text": "¥99 only"}, {"item_ids": ["b1", "b1"], "text": "Blue."},
             {"item_id": "b1", "text": ""}]
    seen = []
    out = check_lines(lines, checker, lookup={"b1": BOTTLE}.get, on_line=lambda: seen.append(1))
    assert [r["line"] for r in out] == [1, 2, 3, 4, 5, 6] and len(seen) == 6
    assert [r["ok"] for r in out] == [True, False, False, False, True, False]
    assert "JSON object" in out[1]["error"] and "unknown item 'zz'" in out[2]["error"] and "text" in out[5]["error"]
    s = summarise(out)
    assert (s["lines"], s["ok"], s["errors"], s["contradicted"]) == (6, 2, 3, 1)
    assert s["by_attribute"]["price"] == {"claims": 2, "contradicted": 1, "unsupported": 0}


def test_ids_without_a_catalog_are_an_error_not_a_crash(checker) -> None:
    out = check_lines([{"item_id": "b1", "text": "Acme."}], checker)
    assert out[0]["ok"] is False and "inline" in out[0]["error"]

"""Numbers and units checked against reference implementations: Chinese numerals against cn2an, unit factors
and imperial conversions against pint (both test-only dependencies; the runtime tables stay small and fast:
pint's registry takes over a second to build)."""

from __future__ import annotations

import random

import cn2an
import pint
import pytest

from shopmind.content import GroundingChecker, extract_facts
from shopmind.content.units import UNITS, parse_number, unit_of


def test_chinese_numerals_agree_with_cn2an() -> None:
    rng = random.Random(25)
    numbers = list(range(0, 1000)) + [rng.randrange(0, 10**12) for _ in range(3000)]
    wrong = [(n, cn2an.an2cn(n)) for n in numbers if parse_number(cn2an.an2cn(n)) != n]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("spoken", ["两千五", "一万二", "三万五千", "十万八千", "两亿三千万", "一千零五", "一百一"])
def test_colloquial_numerals_agree_with_cn2an_smart_mode(spoken: str) -> None:
    assert parse_number(spoken) == cn2an.cn2an(spoken, "smart")


#: Our unit surface -> pint's name for it; the factor to the dimension's base unit must agree.
PINT_NAMES = {"ml": "milliliter", "cl": "centiliter", "l": "liter", "升": "liter", "mg": "milligram", "g": "gram",
              "kg": "kilogram", "公斤": "kilogram", "斤": "0.5 kilogram", "mm": "millimeter", "cm": "centimeter",
              "厘米": "centimeter", "m": "meter", "inch": "inch", "mb": "megabyte", "gb": "gigabyte", "tb": "terabyte",
              "w": "watt", "kw": "kilowatt", "v": "volt", "h": "hour", "min": "minute", "hz": "hertz",
              "ghz": "gigahertz"}
BASES = {"ml": "milliliter", "g": "gram", "mm": "millimeter", "inch": "inch", "GB": "gigabyte", "W": "watt",
         "V": "volt", "h": "hour", "min": "minute", "Hz": "hertz"}


@pytest.fixture(scope="module")
def ureg() -> pint.UnitRegistry:
    return pint.UnitRegistry()


@pytest.mark.parametrize("surface", sorted(PINT_NAMES))
def test_unit_factors_agree_with_pint(ureg: pint.UnitRegistry, surface: str) -> None:
    dim, factor = UNITS[surface]
    expected = ureg.Quantity(ureg(PINT_NAMES[surface])).to(BASES[dim]).magnitude
    assert factor == pytest.approx(expected, rel=1e-9)
    assert unit_of(surface.upper()) == unit_of(surface)


@pytest.mark.parametrize(("stated", "unit", "imperial"), [
    ("500 ml", "milliliter", "fluid_ounce"), ("50 ml", "milliliter", "fluid_ounce"),
    ("1 kg", "kilogram", "pound"), ("250 g", "gram", "ounce"), ("6.1 inch", "inch", "centimeter"),
    ("30 cm", "centimeter", "inch"),
])
def test_a_value_converted_by_pint_and_rounded_is_supported(ureg: pint.UnitRegistry, stated: str, unit: str,
                                                            imperial: str) -> None:
    value = float(stated.split()[0])
    converted = round(ureg.Quantity(value, unit).to(imperial).magnitude, 1)
    word = {"fluid_ounce": "fl oz", "pound": "lb", "ounce": "oz", "centimeter": "cm", "inch": "inch"}[imperial]
    facts = extract_facts({"item_id": "x", "title": f"Acme thing, {stated}", "brand": "Acme"})
    report = GroundingChecker().check(f"Acme thing, {converted:g} {word}.", facts)
    assert report.ok, report.summary()
    off = GroundingChecker().check(f"Acme thing, {converted * 1.5:g} {word}.", facts)
    assert not off.ok and off.claims[-1].verdict == "contradicted"


def test_the_full_width_comma_separates_clauses_not_thousands() -> None:
    """"仅售¥1，5000毫安电池" is a price of ¥1 and a 5000 mAh battery (the full-width comma is kept by
    normalise_text); an ASCII comma between digit groups is still a thousands separator."""
    from shopmind.content.claims import ClaimExtractor
    from shopmind.content.units import normalise_text

    assert normalise_text("１，５００ｍｌ") == "1，500ml"
    claims = {c.kind: c.value for c in ClaimExtractor().extract("仅售¥1，5000毫安电池")}
    assert claims["price"]["amount"] == 1.0
    assert claims["quantity"] == {"dim": "mAh", "values": [5000.0]}
    assert {c.kind: c.value for c in ClaimExtractor().extract("售价2,499元")}["price"]["amount"] == 2499.0

"""Versions, generations, resolutions, named sizes and service terms found in copy, normalised."""

from __future__ import annotations

import pytest

from shopmind.content.specs import find_services, find_specs, number, same_spec


@pytest.mark.parametrize(("text", "expected"), [
    ("Bluetooth 5.3 earbuds", [("bluetooth", "5.3")]),
    ("支持蓝牙5.0。", [("bluetooth", "5.0")]),
    ("USB 3.2 Gen 2 port", [("usb", "3.2")]),
    ("USB-C and Lightning cable", [("connector", "usb-c"), ("connector", "lightning")]),
    ("Type-C接口", [("connector", "usb-c")]),
    ("Wi-Fi 6E router, 802.11ac", [("wifi", "6e"), ("wifi", "5")]),
    ("5G手机，支持4G", [("network", "5g"), ("network", "4g")]),
    ("1080p, 4K and 3840 x 2160", [("resolution", 1080), ("resolution", 2160), ("resolution", 2160)]),
    ("全高清屏幕", [("resolution", 1080)]),
    ("queen size sheet, king bed", [("bed_size", "queen"), ("bed_size", "king")]),
    ("双人床", [("bed_size", "full")]),
    ("one size fits all, 均码", [("size", "one size"), ("size", "one size")]),
    ("150 x 200 cm duvet, 500G内存", []),
    ("双频WiFi 2.4G/5G，5G双频路由", []),  # a Wi-Fi band, not a mobile network
    ("a full set of tools, double the fun, single use", []),  # not bed sizes
    ("twin sheets, full size bed, queen set", [("bed_size", "twin"), ("bed_size", "full"), ("bed_size", "queen")]),
])
def test_find_specs(text: str, expected: list[tuple[str, object]]) -> None:
    assert [(a, v) for _, _, a, v in find_specs(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2-year warranty", [("warranty", 24.0)]),
    ("twelve-month limited warranty", [("warranty", 12.0)]),
    ("Warranty: 18 months", [("warranty", 18.0)]),
    ("保修两年", [("warranty", 24.0)]),
    ("三年质保", [("warranty", 36.0)]),
    ("lifetime warranty; 终身保修", [("warranty", "lifetime"), ("warranty", "lifetime")]),
    ("30-day returns", [("returns", 30.0)]),
    ("returns within thirty days", [("returns", 30.0)]),
    ("7天无理由退货", [("returns", 7.0)]),
    ("free shipping, 包邮", [("shipping", "free"), ("shipping", "free")]),
    ("free installation / 送装一体", [("installation", "free"), ("installation", "free")]),
    ("365-day warranty", [("warranty", 12)]),
    ("money-back guarantee", [("returns", "yes")]),
    ("satisfaction guarantee", []),
])
def test_find_services(text: str, expected: list[tuple[str, object]]) -> None:
    assert [(a, v) for _, _, a, v in find_services(text)] == expected


def test_numbers_in_words_and_versions() -> None:
    assert (number("two"), number("两"), number("十二"), number("1,500")) == (2.0, 2.0, 12.0, 1500.0)
    assert same_spec("bluetooth", "5", "5.3") and not same_spec("bluetooth", "5.0", "5.3")
    assert same_spec("usb", "3", "3.0") and not same_spec("network", "4g", "5g")

"""Technical specifications and service terms in copy: versions, generations, resolutions, named sizes,
connectors, warranty and return periods, shipping and installation.

Each finder returns ``(start, end, attribute, value)`` tuples over a normalised text (see
:func:`shopmind.content.units.normalise_text`); the claim extractor turns them into claims and masks what
they consumed. Values are normalised so that different wordings compare equal: "Wi-Fi 6" and "802.11ax" are
``"6"``, "4K" and "2160p" are ``2160``, "两年保修" and "2-year warranty" are 24 months.

>>> [(a, v) for _, _, a, v in find_specs("Bluetooth 5.3, USB-C, Wi-Fi 6 and a 4K screen")]
[('bluetooth', '5.3'), ('connector', 'usb-c'), ('wifi', '6'), ('resolution', 2160)]
>>> [(a, v) for _, _, a, v in find_services("两年保修，7天无理由退货，全国包邮")]
[('warranty', 24.0), ('returns', 7.0), ('shipping', 'free')]
>>> [(a, v) for _, _, a, v in find_services("a two-year warranty and free installation")]
[('warranty', 24.0), ('installation', 'free')]
"""

from __future__ import annotations

import re

from shopmind.content.units import NUM, parse_number

#: English number words, as copy writes small numbers ("two-year warranty", "thirty days").
NUM_EN = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty|"
          r"twenty-four|thirty|forty-five|forty|fifty|sixty|ninety|hundred)")
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20,
               "twenty-four": 24, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60,
               "ninety": 90, "hundred": 100}
#: A number in digits, Chinese numerals or English words.
ANY_NUM = rf"(?:{NUM}|(?i:{NUM_EN}))"


def number(text: str) -> float | None:
    """A number in digits, Chinese numerals or English words.

    >>> number("两"), number("Twelve"), number("1.5")
    (2.0, 12.0, 1.5)
    """
    t = text.strip().lower()
    if t in _EN_NUMBERS:
        return float(_EN_NUMBERS[t])
    return parse_number(text)


# ------------------------------------------------------------------------------------------------ specs
_BLUETOOTH = re.compile(r"(?i:\bBluetooth|蓝牙|\bBT)\s?(?:v|V|版本)?\s?(?P<v>\d(?:\.\d)?)(?!\d|\.\d)", re.ASCII)
_USB = re.compile(r"(?<![A-Za-z])USB\s?(?P<v>[1-4](?:\.\d)?)(?!\d|\.\d)(?:\s?Gen\s?\d(?:x\d)?)?", re.ASCII)
_CONNECTOR = re.compile(r"(?P<c>(?i:\bUSB[- ]?Type[- ]?C\b|\bUSB[- ]?C\b|\bType[- ]?C\b|\bLightning\b(?=[- ]?"
                        r"(?:port|connector|cable|charging|接口|数据线))|\bmicro[- ]?USB\b|\bUSB[- ]?A\b)|"
                        r"Lightning接口|安卓接口)", re.ASCII)
_CONNECTORS = {"usb type c": "usb-c", "usb type-c": "usb-c", "usb-type-c": "usb-c", "usb c": "usb-c",
               "usb-c": "usb-c", "usbc": "usb-c", "type c": "usb-c", "type-c": "usb-c", "typec": "usb-c",
               "usbtype-c": "usb-c", "usbtypec": "usb-c", "lightning": "lightning", "lightning接口": "lightning",
               "micro usb": "micro-usb", "micro-usb": "micro-usb", "microusb": "micro-usb",
               "安卓接口": "micro-usb", "usb-a": "usb-a", "usb a": "usb-a", "usba": "usb-a"}
_WIFI = re.compile(r"(?i:\bWi-?Fi|无线网络|WLAN)\s?(?P<v>[4-7])(?P<e>E)?(?!\d|\.\d|[A-Za-z])|"
                   r"\b802\.11\s?(?P<std>ax|ac|be|n)\b", re.ASCII)
_WIFI_STD = {"n": "4", "ac": "5", "ax": "6", "be": "7"}
#: "5G" is a mobile network unless it is a Wi-Fi band ("2.4G/5G双频") or memory ("5G内存").
_NETWORK = re.compile(r"(?<![A-Za-z0-9./])(?P<v>[2-5])G(?![A-Za-z0-9])"
                      r"(?!\s?(?:/\s?2\.4|内存|存储|RAM|ROM|流量|双频|频段|Wi-?Fi|WLAN|wifi|频))", re.ASCII)
_RESOLUTION = re.compile(r"(?<![A-Za-z0-9.])(?P<p>480|720|1080|1440|2160|4320)[pP](?![A-Za-z0-9])|"
                         r"(?<![A-Za-z0-9.$¥€£])(?P<k>[248])K(?![A-Za-z0-9])|"
                         r"(?P<name>\bFull HD\b|\bFHD\b|\bQHD\b|\bWQHD\b|\bUHD\b|全高清|超高清|\bHD Ready\b)|"
                         r"(?<![\d.])(?P<w>\d{3,4})\s?[x×*]\s?(?P<h>\d{3,4})(?![\d.])(?!\s?(?:mm|cm|m\b|毫米|厘米|米|"
                         r"in|英寸|\"|px\s?\*))", re.ASCII)
_RES_NAMES = {"full hd": 1080, "fhd": 1080, "全高清": 1080, "qhd": 1440, "wqhd": 1440, "uhd": 2160, "超高清": 2160,
              "hd ready": 720}
_RES_K = {"2": 1440, "4": 2160, "8": 4320}
_BED_NOUN = r"(?:bed|sheet|duvet|mattress|quilt|comforter|bedding|topper|bedspread|coverlet|pillowcase)s?"
_BED = re.compile(rf"(?i:\b(?P<en>california king|cal king|super king|queen|king)"
                  rf"(?=[- ]?(?:size\b|{_BED_NOUN}\b|set\b))|"
                  rf"\b(?P<en3>twin xl|twin|full|double|single)(?=[- ]?(?:size[d]?\s?{_BED_NOUN}\b|{_BED_NOUN}\b))|"
                  r"\bsize[:\s]+(?P<en2>california king|super king|twin xl|twin|full|queen|king|double|single)\b)|"
                  r"(?P<zh>特大|单人|双人|大)(?=床)", re.ASCII)
_BEDS = {"california king": "california king", "cal king": "california king", "super king": "king",
         "twin xl": "twin xl", "twin": "twin", "single": "twin", "full": "full", "double": "full",
         "queen": "queen", "king": "king", "单人": "twin", "双人": "full", "大": "queen", "特大": "king"}
_ONE_SIZE = re.compile(r"(?i:\bone[- ]size(?: fits (?:all|most))?\b|\bfree size\b)|均码", re.ASCII)


def find_specs(work: str) -> list[tuple[int, int, str, str | int]]:
    """Versions, generations, connectors, resolutions and named sizes in ``work``."""
    out: list[tuple[int, int, str, str | int]] = []
    taken: list[tuple[int, int]] = []

    def add(s: int, e: int, attr: str, value: str | int) -> None:
        if any(s < te and ts < e for ts, te in taken):
            return
        taken.append((s, e))
        out.append((s, e, attr, value))

    for m in _CONNECTOR.finditer(work):
        raw = re.sub(r"\s+", " ", m.group("c").lower())
        add(*m.span(), "connector", _CONNECTORS.get(raw, _CONNECTORS.get(raw.replace(" ", ""), raw)))
    for m in _BLUETOOTH.finditer(work):
        add(*m.span(), "bluetooth", _version(m.group("v")))
    for m in _USB.finditer(work):
        add(*m.span(), "usb", _version(m.group("v")))
    for m in _WIFI.finditer(work):
        v = _WIFI_STD[m.group("std").lower()] if m.group("std") else m.group("v") + ("e" if m.group("e") else "")
        add(*m.span(), "wifi", v)
    for m in _NETWORK.finditer(work):
        add(*m.span(), "network", m.group("v") + "g")
    for m in _RESOLUTION.finditer(work):
        if m.group("p"):
            lines = int(m.group("p"))
        elif m.group("k"):
            lines = _RES_K[m.group("k")]
        elif m.group("name"):
            lines = _RES_NAMES[m.group("name").lower()]
        else:
            w, h = int(m.group("w")), int(m.group("h"))
            if min(w, h) < 480:
                continue
            lines = min(w, h)
        add(*m.span(), "resolution", lines)
    for m in _BED.finditer(work):
        group = next(g for g in ("en", "en2", "en3", "zh") if m.group(g))
        word = m.group(group).lower()
        span = m.span(group)
        add(*span, "bed_size", _BEDS[word])
    for m in _ONE_SIZE.finditer(work):
        add(*m.span(), "size", "one size")
    return sorted(out)


def _version(v: str) -> str:
    """A version as written ("5" means any 5.x, see :func:`same_spec`)."""
    return v


def same_spec(attribute: str, claimed: str | int | float, stated: str | int | float) -> bool:
    """Whether a claimed spec value is the stated one: versions "5" and "5.0" match any "5.x" the other way.

    >>> same_spec("bluetooth", "5", "5.3"), same_spec("bluetooth", "5.0", "5.3"), same_spec("wifi", "6", "6")
    (True, False, True)
    """
    a, b = str(claimed).lower(), str(stated).lower()
    if a == b:
        return True
    if attribute in ("bluetooth", "usb"):
        return ("." not in a and b.split(".")[0] == a) or ("." not in b and a.split(".")[0] == b)
    return False


# ------------------------------------------------------------------------------------------------ services
_PERIOD_UNIT = r"(?:years?|yrs?|months?|mos?|days?|年|个月|月|天|日)"
_WARRANTY_WORD = r"(?:warranty|guarantee)"
_WARRANTY = re.compile(
    rf"(?i:(?P<n>{ANY_NUM})[\s-]?(?P<u>{_PERIOD_UNIT})[\s-]+(?:(?:limited|manufacturer'?s?|full|extended|"
    rf"official|free)\s)?{_WARRANTY_WORD}\b|"
    rf"\b{_WARRANTY_WORD}(?:\speriod)?(?:\sof|\sfor|:|\s-)?\s?(?P<n2>{ANY_NUM})[\s-]?(?P<u2>{_PERIOD_UNIT})\b|"
    rf"\b(?P<life>lifetime)\s{_WARRANTY_WORD}\b)|"
    rf"(?:整机|官方|全国联保|免费)?(?:保修|质保|保固|联保)(?:期)?[:：]?\s?(?P<n3>{NUM})\s?(?P<u3>年|个月|月|天)|"
    rf"(?P<n4>{NUM})\s?(?P<u4>年|个月|月|天)(?:整机|官方|全国)?(?:免费)?(?:保修|质保|保固|联保)|"
    rf"(?P<life2>终身)(?:保修|质保)|"
    rf"(?P<bare>(?i:\bwarranty\b)|保修|(?<!品)质保|联保)", re.ASCII)
_RETURNS = re.compile(
    rf"(?i:(?P<n>{ANY_NUM})[\s-]?(?P<u>days?|天)[\s-]+(?:(?:free|easy|hassle-free|no-questions-asked|money-back)"
    rf"[\s-])?(?:returns?|return policy|money[- ]back(?: guarantee)?)\b|"
    rf"\breturns?\s(?:within|in|up to)\s(?P<n2>{ANY_NUM})\s(?P<u2>days?)\b|"
    rf"\breturns?(?:\swindow|\speriod|\spolicy)?:\s?(?P<n4>{ANY_NUM})[\s-]?(?P<u4>days?|天)(?![A-Za-z]))|"
    rf"(?P<n3>{NUM})\s?(?P<u3>天|日)(?:无理由)?(?:退换货|退货|退换)|"
    rf"(?P<bare>(?i:\bfree returns?\b|\bmoney[- ]back(?: guarantee)?\b)|无理由退(?:换)?货|退换无忧|运费险)", re.ASCII)
_SHIPPING = re.compile(r"(?i:\bfree (?:shipping|delivery|standard shipping|postage)\b|\bships? free\b)|"
                       r"(?:顺丰)?包邮|免运费|免邮", re.ASCII)
_INSTALL = re.compile(r"(?i:\bfree (?:installation|install|setup|fitting)\b|\binstallation included\b)|"
                      r"免费安装|包安装|送装一体|上门安装", re.ASCII)
_GIFT = re.compile(r"(?i:\bfree gifts?\b|\bgift included\b|\bfree gift wrapping\b)|赠品|送礼品|附赠", re.ASCII)


def find_services(work: str) -> list[tuple[int, int, str, float | str]]:
    """Warranty and return periods (months and days), free shipping, installation and gifts in ``work``."""
    out: list[tuple[int, int, str, float | str]] = []
    taken: list[tuple[int, int]] = []

    def add(s: int, e: int, attr: str, value: float | str) -> None:
        if any(s < te and ts < e for ts, te in taken):
            return
        taken.append((s, e))
        out.append((s, e, attr, value))

    for m in _WARRANTY.finditer(work):
        if m.group("life") or m.group("life2"):
            add(*m.span(), "warranty", "lifetime")
            continue
        if m.group("bare"):
            add(*m.span(), "warranty", "yes")
            continue
        g = next(i for i in ("", "2", "3", "4") if m.group("n" + i))
        months = _months(m.group("n" + g), m.group("u" + g))
        if months is not None:
            add(*m.span(), "warranty", months)
    for m in _RETURNS.finditer(work):
        if m.group("bare"):
            add(*m.span(), "returns", "yes")
            continue
        g = next(i for i in ("", "2", "3", "4") if m.group("n" + i))
        days = number(m.group("n" + g))
        if days is not None:
            add(*m.span(), "returns", days)
    for m in _SHIPPING.finditer(work):
        add(*m.span(), "shipping", "free")
    for m in _INSTALL.finditer(work):
        add(*m.span(), "installation", "free")
    for m in _GIFT.finditer(work):
        add(*m.span(), "gift", "yes")
    return sorted(out)


def _months(n: str, unit: str) -> float | None:
    """A period in months (a year is 12 months, a day 1/30 of one; rounded so 365 days is 12 months)."""
    value = number(n)
    if value is None:
        return None
    u = unit.lower()
    if u.startswith(("y", "年")):
        return value * 12
    if u.startswith(("mo", "个月", "月")):
        return value
    months = value / 30.4375
    return round(months) if abs(months - round(months)) < 0.05 else round(months, 2)

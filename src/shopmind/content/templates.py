"""Template files: phrase pools per content type, part, tone and language, filled from fact slots.

A template file (``prompts/template_en.toml``) has a ``version``, and one table per content type with
``lengths`` (which parts a short / medium / long text has) and one table per part holding phrase pools per
tone (``default`` is the fallback). A phrase such as ``"Made of {material!l}."`` is used only when every
slot it names has a value, so missing facts never leave holes. ``!l`` puts a value in sentence case
("Cowhide Leather" -> "cowhide leather"), ``!c`` also capitalises its first letter.

>>> book = TemplateBook.load("en")
>>> book.version.startswith("template-en@")
True
>>> rng = stable_rng(0, "demo")
>>> book.render("product_description", "material", "concise",
...             {"material": "Cowhide Leather", "material_label": "Material"}, rng)
('Material: cowhide leather.', {'material_label': 'Material', 'material': 'Cowhide Leather'})
"""

from __future__ import annotations

import random
import re
import string
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shopmind.content.lexicon import Lang
from shopmind.content.packaged import load_toml, read_toml_file
from shopmind.errors import DataError

#: Capitalised words that stay capitalised inside a sentence.
PROPER_WORDS = frozenset({"Pu'er", "Chelsea", "Oxford", "Derby", "Polo", "Egyptian", "Arabica", "Eau", "Parfum",
                          "Toilette", "Northeast", "Bluetooth", "Jasmine", "Japonica", "Pima", "Tritan", "Merino"})


def sentence_case(text: str) -> str:
    """Lower-case plain capitalised words for use inside a sentence (acronyms and names stay).

    >>> sentence_case("Non-Stick Aluminium PU Leather 100% Arabica")
    'non-stick aluminium PU leather 100% Arabica'
    """
    def part(w: str) -> str:
        plain = len(w) > 1 and w[0].isupper() and w[1:].islower() and w not in PROPER_WORDS
        return w.lower() if plain else w

    return " ".join("-".join(part(p) for p in word.split("-")) for word in text.split(" "))


def stable_rng(seed: int, *keys: object) -> random.Random:
    """A random generator seeded by ``seed`` and the keys (stable across runs, unlike ``hash``)."""
    blob = "|".join(str(k) for k in (seed, *keys)).encode("utf-8")
    return random.Random(zlib.crc32(blob))


_JOIN = re.compile(r"(?<=[A-Za-z0-9])\x01(?=[A-Za-z0-9])")


class _SlotFormatter(string.Formatter):
    def __init__(self) -> None:
        self.used: dict[str, str] = {}

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        value = kwargs[str(key)]
        self.used[str(key)] = str(value)
        return value

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "l":
            return sentence_case(str(value))
        if conversion == "c":
            s = sentence_case(str(value))
            return s[:1].upper() + s[1:]
        return super().convert_field(value, conversion)


def slots_of(phrase: str) -> list[str]:
    """The slot names a phrase uses."""
    return [f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(phrase) if f]


class TemplateBook:
    """The phrase pools of one language (see the module docstring)."""

    def __init__(self, doc: Mapping[str, Any], source: str) -> None:
        self.doc = doc
        self.source = source
        lang = doc.get("language")
        if lang not in ("en", "zh"):
            raise DataError("a template file needs language = 'en' or 'zh'", source=source)
        self.lang: Lang = lang
        self.version = f"template-{lang}@{doc.get('version', '0')}"
        self.joiner: str = doc.get("joiner", " " if lang == "en" else "")

    @classmethod
    def load(cls, lang: Lang) -> TemplateBook:
        """The packaged templates of ``lang``."""
        return cls(load_toml(f"prompts/template_{lang}.toml"), source=f"prompts/template_{lang}.toml")

    @classmethod
    def from_file(cls, path: str | Path) -> TemplateBook:
        """Templates from a TOML file shaped like the packaged ones."""
        return cls(read_toml_file(path), source=str(path))

    def section(self, content_type: str) -> Mapping[str, Any]:
        sec = self.doc.get(content_type)
        if not isinstance(sec, Mapping):
            raise DataError(f"no templates for {content_type!r}", source=self.source)
        return sec

    def setting(self, content_type: str, name: str, default: Any = None) -> Any:
        """A plain setting of a content type's table (``lengths``, ``max_chars``, ...)."""
        return self.section(content_type).get(name, default)

    def pool(self, content_type: str, part: str, tone: str) -> list[str]:
        """The phrases of a part for a tone (falling back to ``default``)."""
        table = self.section(content_type).get(part)
        if table is None:
            return []
        if isinstance(table, list):
            return list(table)
        return list(table.get(tone) or table.get("default") or [])

    def render(self, content_type: str, part: str, tone: str, slots: Mapping[str, Any], rng: random.Random,
               offset: int = 0, max_chars: int | None = None) -> tuple[str, dict[str, str]] | None:
        """Fill one phrase of the pool whose slots all have values; ``offset`` rotates the choice (ad
        variants differ), ``max_chars`` skips phrases that come out too long. None when nothing fits."""
        pool = [p for p in self.pool(content_type, part, tone)
                if all(_present(slots.get(s)) for s in slots_of(p))]
        if not pool:
            return None
        start = rng.randrange(len(pool)) + offset
        for i in range(len(pool)):
            phrase = pool[(start + i) % len(pool)]
            fmt = _SlotFormatter()
            # adjacent slots ("{brand}{product}" in Chinese) get a space only between two Latin words
            text = fmt.format(phrase.replace("}{", "}\x01{"), **{k: v for k, v in slots.items() if _present(v)})
            text = _JOIN.sub(" ", text).replace("\x01", "")
            text = re.sub(r"(?<=\S)[ \t]{2,}", " ", text).strip()
            if max_chars is None or len(text) <= max_chars:
                return text, fmt.used
        return None


def _present(v: Any) -> bool:
    return v is not None and str(v).strip() != ""

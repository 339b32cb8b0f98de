"""Highlights: each title word folded once (cached) marks what folding it on every call marked."""

from __future__ import annotations

import re

from shopmind.search.analysis import normalise, stem
from shopmind.search.results import highlight


def _latin_reference(text: str, terms: set[str]) -> str:
    latin = {t for t in terms if t.isascii()}
    return re.sub(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?",
                  lambda m: f"<em>{m[0]}</em>" if stem(normalise(m[0])) in latin or normalise(m[0]) in latin else m[0],
                  text)


def test_cached_word_forms_mark_what_folding_each_time_marks() -> None:
    titles = ["Women's Running Shoes", "RUNNING shoe, Ｒｕｎｎｉｎｇ", "Dresses & dress 2024", "Nail Polish Remover",
              "polish polishes polished", "Running running RUNNING"]
    for terms in ({"run", "shoe"}, {"dress", "2024"}, {"polish"}, {"nail", "remov"}, {"running"}, set()):
        for _ in range(2):  # the second time every word is cached
            for title in titles:
                assert highlight(title, terms) == _latin_reference(title, terms), (title, terms)


def test_chinese_terms_are_still_marked_in_place() -> None:
    assert highlight("Women's Running Shoes 女士跑步鞋", {"run", "跑步鞋"}) == (
        "Women's <em>Running</em> Shoes 女士<em>跑步鞋</em>")

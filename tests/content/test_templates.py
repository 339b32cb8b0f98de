"""The template backend never states anything the data does not hold, in either language."""

from __future__ import annotations

import pytest

from shopmind.content import TemplateBook
from shopmind.content.templates import slots_of


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_files_only_use_known_slots(lang):
    known = {"title", "brand", "product", "product_brand", "category", "material", "material_label", "ingredient",
             "ingredient_label", "colour", "colour_label", "variant", "variant_label", "size", "size_label",
             "feature", "feature1", "feature2", "features", "origin", "origin_label", "price", "discount",
             "anchor", "headline", "reason", "n", "n_reviews", "avg", "pos", "neg"}
    book = TemplateBook.load(lang)
    for ctype, table in book.doc.items():
        if not isinstance(table, dict):
            continue
        for part, pools in table.items():
            phrases = pools.values() if isinstance(pools, dict) else [pools]
            for pool in phrases:
                for phrase in pool if isinstance(pool, list) else [pool]:
                    if isinstance(phrase, str):
                        assert set(slots_of(phrase)) <= known, (ctype, part, phrase)

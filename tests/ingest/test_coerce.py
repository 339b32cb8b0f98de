"""Column coercion: bad values are reported per row, never raised."""

from __future__ import annotations

import pandas as pd

from shopmind.ingest.coerce import BAD_BOOL, coerce_bool


def test_a_json_object_in_a_boolean_column_is_a_bad_value_not_a_crash():
    """Regression (found by `make fuzz`): `{"in_stock": {}}` in POST /items raised TypeError (a 500)."""
    out = coerce_bool(pd.Series([{}, [1], "yes", "no", None], dtype=object))
    assert out.values.tolist() == [True, True, True, False, True]
    [(mask, reason)] = out.problems
    assert mask.tolist() == [True, True, False, False, False] and reason == BAD_BOOL


def test_an_id_holding_a_nul_character_is_a_bad_row():
    """Regression (found by `make fuzz`): SQLite's length() stops at NUL, so "\\x00u1" broke the store's
    non-empty check and the whole batch was a 503."""
    from shopmind.ingest.coerce import NUL_CHARACTER, coerce_text  # lazy: only this test

    out = coerce_text(pd.Series(["\x00u1", "u2"], dtype=object), required=True)
    [(mask, reason)] = out.problems
    assert mask.tolist() == [True, False] and reason == NUL_CHARACTER

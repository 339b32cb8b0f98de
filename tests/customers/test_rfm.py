"""RFM scores, fixed edges and the named groups over the whole 5 x 5 grid."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from shopmind.customers.config import CustomerSettings
from shopmind.customers.rfm import rfm_edges, rfm_groups, rfm_scores

STANDARD = {"champions", "loyal", "potential_loyalist", "new", "promising", "need_attention", "about_to_sleep",
            "at_risk", "cannot_lose", "hibernating", "lost"}


def test_every_cell_of_the_grid_has_a_standard_group():
    cells = pd.DataFrame(list(itertools.product(range(1, 6), range(1, 6))), columns=["rfm_r", "rfm_fm"])
    groups = rfm_groups(cells, CustomerSettings())
    assert groups.notna().all() and set(groups) == STANDARD
    assert groups[(cells["rfm_r"] == 5) & (cells["rfm_fm"] == 5)].item() == "champions"
    assert groups[(cells["rfm_r"] == 1) & (cells["rfm_fm"] == 5)].item() == "cannot_lose"
    assert groups[(cells["rfm_r"] == 1) & (cells["rfm_fm"] == 1)].item() == "lost"


def test_ties_share_a_score_and_recency_runs_backwards():
    t = pd.DataFrame({"recency_days": [1.0, 5, 5, 50, 300], "frequency": [1.0, 1, 1, 1, 6],
                      "monetary": [10.0, 20, 30, 40, 50]})
    s = rfm_scores(t, rfm_edges(t, CustomerSettings()))
    assert s["rfm_f"].tolist()[:4] == [1, 1, 1, 1] and s["rfm_f"].iloc[4] == 5
    assert s["rfm_r"].iloc[1] == s["rfm_r"].iloc[2] and s["rfm_r"].iloc[0] > s["rfm_r"].iloc[4]


def test_thresholds_are_configurable():
    settings = CustomerSettings(rfm_edges={"recency_days": (7, 30, 90, 180), "frequency": (1, 2, 4, 8),
                                           "monetary": (50, 100, 500, 1000)})
    t = pd.DataFrame({"recency_days": [3.0, 400.0], "frequency": [10.0, 1.0], "monetary": [2000.0, 10.0]})
    s = rfm_scores(t, rfm_edges(t, settings))
    assert s[["rfm_r", "rfm_f", "rfm_m"]].values.tolist() == [[5, 5, 5], [1, 1, 1]]
    assert rfm_groups(s, settings).tolist() == ["champions", "lost"]
    with pytest.raises(ValueError, match="increasing"):
        CustomerSettings(rfm_edges={"frequency": (3, 2, 1, 0)})

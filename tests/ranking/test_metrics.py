"""CTR / conversion rankers: labels and causal features, learning a planted signal, persistence, errors,
the ranking stage of the live service, and the `shopmind ctr` commands."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.ranking.metrics import ctr_metrics, expected_calibration_error


def test_calibration_error_and_metrics_on_known_values():
    y = np.array([0, 0, 1, 1])
    assert expected_calibration_error(y, np.array([0.0, 0.0, 1.0, 1.0]), bins=2) == pytest.approx(0.0, abs=1e-9)
    assert expected_calibration_error(y, np.full(4, 0.5), bins=1) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(4, 0.9), bins=1) == pytest.approx(0.4)
    assert ctr_metrics(y, np.array([0.1, 0.2, 0.8, 0.9]))["auc"] == 1.0

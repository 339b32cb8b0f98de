"""Bootstrap intervals and paired significance tests."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.evaluation import stats
from shopmind.evaluation.protocol import EvalResult
from shopmind.evaluation.stats import bootstrap_ci, paired_test, paired_test_results


@pytest.fixture(scope="module")
def hits() -> np.ndarray:
    return np.random.default_rng(0).binomial(1, 0.3, size=800).astype(float)


def test_ci_contains_the_mean_and_is_seeded(hits: np.ndarray) -> None:
    ci = bootstrap_ci(hits, n_boot=500, seed=1)
    assert ci.low < ci.mean < ci.high
    assert ci.mean == pytest.approx(hits.mean())
    # a binomial mean with n=800, p~0.3 has a standard error ~0.016: the 95% CI is ~ +-0.032
    assert ci.high - ci.low == pytest.approx(2 * 1.96 * np.sqrt(0.3 * 0.7 / 800), rel=0.25)
    assert bootstrap_ci(hits, n_boot=500, seed=1) == ci
    assert bootstrap_ci(hits, n_boot=500, seed=2) != ci
    assert ci.to_dict()["n_boot"] == 500 and ci.confidence == 0.95


def test_wider_confidence_gives_wider_interval(hits: np.ndarray) -> None:
    narrow = bootstrap_ci(hits, n_boot=400, confidence=0.5)
    wide = bootstrap_ci(hits, n_boot=400, confidence=0.99)
    assert wide.low < narrow.low and narrow.high < wide.high


def test_constant_values_give_a_point_interval() -> None:
    ci = bootstrap_ci(np.full(20, 0.25), n_boot=50)
    assert (ci.low, ci.mean, ci.high) == (0.25, 0.25, 0.25)


def test_chunked_resampling_matches_in_distribution(hits: np.ndarray,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    whole = bootstrap_ci(hits, n_boot=400)
    monkeypatch.setattr(stats, "_CHUNK_ELEMENTS", 1000)  # forces one resample per chunk
    chunked = bootstrap_ci(hits, n_boot=400)
    assert chunked.low == pytest.approx(whole.low, abs=0.01)
    assert chunked.high == pytest.approx(whole.high, abs=0.01)


def test_bootstrap_input_validation() -> None:
    with pytest.raises(ParameterError, match="n_boot"):
        bootstrap_ci(np.ones(3), n_boot=5)
    with pytest.raises(ParameterError, match="confidence"):
        bootstrap_ci(np.ones(3), confidence=1.0)
    with pytest.raises(ParameterError, match="non-empty"):
        bootstrap_ci(np.array([]))
    with pytest.raises(ParameterError, match="finite"):
        bootstrap_ci(np.array([1.0, np.nan]))


def test_identical_models_p_one_difference_zero(hits: np.ndarray) -> None:
    t = paired_test(hits, hits.copy(), n_boot=300)
    assert t.mean_diff == 0.0 and (t.ci_low, t.ci_high) == (0.0, 0.0)
    assert t.p_bootstrap == 1.0 and t.p_ttest == 1.0 and t.p_wilcoxon == 1.0
    assert t.n_users == len(hits)


def test_clearly_better_model_has_small_p() -> None:
    rng = np.random.default_rng(5)
    base = rng.binomial(1, 0.2, size=600).astype(float)
    # model A finds everything B finds plus ~40% of B's misses
    better = np.maximum(base, rng.binomial(1, 0.4, size=600))
    t = paired_test(better, base, n_boot=1000, seed=3)
    assert t.mean_diff == pytest.approx(better.mean() - base.mean())
    assert t.mean_diff > 0.25 and t.ci_low > 0.2
    assert t.p_bootstrap < 0.01 and t.p_ttest < 1e-10 and t.p_wilcoxon < 1e-10
    assert t.mean_a == pytest.approx(better.mean()) and t.mean_b == pytest.approx(base.mean())
    flipped = paired_test(base, better, n_boot=1000, seed=3)
    assert flipped.mean_diff == pytest.approx(-t.mean_diff) and flipped.ci_high < 0


def test_no_real_difference_is_not_significant() -> None:
    rng = np.random.default_rng(11)
    a = rng.binomial(1, 0.3, size=400).astype(float)
    b = rng.permutation(a)  # same distribution, pairing broken
    t = paired_test(a, b, n_boot=500)
    assert t.mean_diff == 0.0
    assert t.p_bootstrap > 0.5 and t.p_ttest > 0.5 and t.p_wilcoxon > 0.5
    assert t.ci_low < 0 < t.ci_high


def test_constant_nonzero_difference() -> None:
    t = paired_test(np.ones(30), np.zeros(30), n_boot=100)
    assert t.mean_diff == 1.0 and t.p_ttest == 0.0 and t.p_bootstrap < 0.02 and t.p_wilcoxon < 1e-6


def test_paired_test_needs_same_length() -> None:
    with pytest.raises(ParameterError, match="same users"):
        paired_test(np.ones(3), np.ones(4))


def test_paired_test_results_aligns_users() -> None:
    a = EvalResult(np.array([1, 2, 3]), np.zeros((3, 1), int), [], {"hr@1": np.array([1.0, 0.0, 1.0])}, {})
    # same users in another order, plus one user only b evaluated
    b = EvalResult(np.array([3, 9, 1, 2]), np.zeros((4, 1), int), [],
                   {"hr@1": np.array([1.0, 0.0, 1.0, 0.0])}, {})
    t = paired_test_results(a, b, "hr@1", n_boot=50)
    assert t.n_users == 3 and t.mean_diff == 0.0 and t.p_bootstrap == 1.0
    with pytest.raises(ParameterError, match="per-user metric"):
        paired_test_results(a, b, "ndcg@10")
    c = EvalResult(np.array([7]), np.zeros((1, 1), int), [], {"hr@1": np.array([1.0])}, {})
    with pytest.raises(ParameterError, match="same test users"):
        paired_test_results(a, c, "hr@1")

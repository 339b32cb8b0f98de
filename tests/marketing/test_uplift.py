"""Uplift: the Qini curve by hand, uplift@k, the learners recover a known effect, and targeting by uplift beats
targeting by propensity on the simulated shop."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import DataError
from shopmind.marketing.uplift import (
    ClassTransformation,
    TwoModel,
    XLearner,
    compare_targeting,
    qini_coefficient,
    qini_curve,
    simulate_shop,
    uplift_at_k,
)


def test_qini_curve_by_hand() -> None:
    # scores sorted: users 0..5; treated 1,1,0,1,0,0; bought 1,0,0,1,1,0
    y = [1, 0, 0, 1, 1, 0]
    t = [1, 1, 0, 1, 0, 0]
    score = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    n, q = qini_curve(y, score, t)
    # n=1: 1 treated buyer, no control yet -> 1; n=2: 1; n=3: 1 - 0*2/1 = 1; n=4: 2 - 0 = 2;
    # n=5: 2 - 1*3/2 = 0.5; n=6: 2 - 1*3/3 = 1
    np.testing.assert_allclose(n, [0, 1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(q, [0, 1, 1, 1, 2, 0.5, 1])
    area = (0.5 + 1 + 1 + 1.5 + 1.25 + 0.75) - 1 * 6 / 2
    assert qini_coefficient(y, score, t) == pytest.approx(area / 36)
    # ties are one step: equal scores give one point
    n2, q2 = qini_curve(y, [1, 1, 0, 0, 0, 0], t)
    np.testing.assert_allclose(n2, [0, 2, 6])
    assert uplift_at_k(y, score, t, k=0.5) == pytest.approx(0.5 - 0.0)  # top 3: treated 1/2 bought, control 0/1


def test_learners_recover_a_known_effect() -> None:
    rng = np.random.default_rng(0)
    n = 6000
    x = rng.normal(size=(n, 2))
    tau = np.where(x[:, 0] > 0, 0.2, -0.1)
    t = (rng.random(n) < 0.5).astype(float)
    y = (rng.random(n) < 0.3 + t * tau).astype(float)
    for model in (TwoModel(0, 40), ClassTransformation(0, 40), XLearner(0, 40)):
        pred = model.fit(x, y, t).predict(x)
        assert pred[x[:, 0] > 0.5].mean() == pytest.approx(0.2, abs=0.06), type(model).__name__
        assert pred[x[:, 0] < -0.5].mean() == pytest.approx(-0.1, abs=0.06), type(model).__name__
    with pytest.raises(DataError, match="0/1"):
        TwoModel().fit(x, y, t * 2)


def test_uplift_targeting_beats_propensity_on_the_simulated_shop() -> None:
    res = compare_targeting(simulate_shop(5000, seed=1), simulate_shop(5000, seed=2), share=0.2,
                            learners=("two_model", "x_learner"), max_iter=40)
    assert res["true_effect"]["negative_share"] > 0.05  # some users are hurt by a coupon
    best = res["targeting"][res["best"]]["incremental_per_coupon"]
    assert best >= 1.5 * res["targeting"]["propensity"]["incremental_per_coupon"]
    assert best > res["targeting"]["random"]["incremental_per_coupon"]
    assert res["oracle"]["incremental_per_coupon"] >= best

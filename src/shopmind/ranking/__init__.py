"""The ranking stage: click-through / conversion models over (user, item, context) features.

- :mod:`.features`: the features, computed the same way offline and in the live service;
- :mod:`.dataset`: training rows replayed from an event log (impression -> click, view -> purchase);
- :mod:`.models`: logistic regression, factorization machine and gradient-boosted trees, calibrated;
- :mod:`.metrics`: AUC / log-loss / calibration, and ``fit_for_serving`` (train + calibrate for serving).

The benchmark against baselines (``shopmind ctr bench``) is :mod:`shopmind.evaluation.ctr`; the glue that
puts a ranker into the online engine is :mod:`shopmind.pipeline.ranker`.
"""

from shopmind.ranking.dataset import CTRDataset, build_dataset
from shopmind.ranking.features import Context, UserProfile, dense_features, sparse_fields
from shopmind.ranking.models import RANKERS, Ranker, create_ranker

__all__ = ["RANKERS", "CTRDataset", "Context", "Ranker", "UserProfile", "build_dataset", "create_ranker",
           "dense_features", "sparse_fields"]

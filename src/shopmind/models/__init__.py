"""Recommender models: one contract (:class:`Recommender`), models registered by name.

Modules are imported on first use (:func:`create`, :func:`available`, :meth:`Recommender.load`) so that
importing ``shopmind.models`` stays cheap (torch loads only when a model needs it).

- :mod:`.base`: the contract (``fit``, ``score``, ``recommend``, ``similar_items``, ``explain``, ``save``/``load``);
- :mod:`.registry`: models by name, ``NAME[:PARAM=VALUE...]`` specs;
- :mod:`.baselines` (random, popular), :mod:`.knn` (item-, user- and sequence-aware kNN), :mod:`.ease`,
  :mod:`.factorization` (ALS, BPR, biased MF), :mod:`.content` (TF-IDF or pretrained text embeddings),
  :mod:`.fusion` (text + attributes + image, a package), :mod:`.coldstart` and :mod:`.newuser` (cold start),
  :mod:`.sasrec` and :mod:`.gru4rec` (sequence models, on the shared machinery of :mod:`.sequential`),
  :mod:`.hybrid` (a validated blend), :mod:`.lmtext` (a fine-tuned MiniLM next-item model and
  retrieve-then-rerank). The torch models train on :mod:`shopmind.training.loop`; :mod:`.base` documents
  the hyperparameters they share (``seed``, ``epochs``, ``threads``).
"""

from shopmind.models.base import Recommender
from shopmind.models.registry import MODEL_REGISTRY, available, create, parse_spec, parse_value, register

__all__ = ["MODEL_REGISTRY", "Recommender", "available", "create", "parse_spec", "parse_value", "register"]

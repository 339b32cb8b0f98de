"""The shared machinery of the torch next-item models (``sasrec``, ``gru4rec``), one module per concern:

- :mod:`~shopmind.models.sequential.windows`: histories as left-padded windows, training windows, batches;
- :mod:`~shopmind.models.sequential.items`: the item table (id embeddings + side-feature tokens);
- :mod:`~shopmind.models.sequential.networks`: the network base class and the CPU-fast dropout;
- :mod:`~shopmind.models.sequential.losses`: full / sampled softmax and BCE / gBCE next-item losses;
- :mod:`~shopmind.models.sequential.recommender`: :class:`SequentialRecommender`, the model base (data
  preparation, training on :mod:`shopmind.training.loop`, ensembles, scoring, persistence).

The networks themselves are in :mod:`shopmind.models.sasrec` and :mod:`shopmind.models.gru4rec`.
"""

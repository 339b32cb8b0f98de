"""Evaluation: the full-ranking protocol, segments, statistics, reports, hyperparameter search and the
benchmarks of the whole engine (offline models, CTR rankers, generated content, text encoders, serving).

Splits and ranking metrics live one layer down, in :mod:`shopmind.training`, because the models use them
to choose their own settings on held-out data; this package measures and reports.

- :mod:`.protocol`: ``evaluate`` (full ranking, history excluded) -> ``EvalResult``;
- :mod:`.segments`: per user-activity and head/tail breakdowns; :mod:`.stats`: bootstrap intervals, paired
  tests; :mod:`.report` and :mod:`.plots`: JSON, Markdown and PNG reports; :mod:`.resources`: wall time and
  peak memory of a block;
- :mod:`.tuning`: hyperparameter search on the validation split (Optuna's TPE; on Ray Tune through
  :mod:`.tune_ray` with a Ray executor);
- :mod:`.batch_scoring`: every user's top-n into Parquet, in shards (``shopmind recommend --all-users``);
- :mod:`.bench` (``shopmind bench``), :mod:`.ctr` (``shopmind ctr bench``), :mod:`.content`
  (``shopmind content bench``), :mod:`.text` (``shopmind text bench`` / ``cold-bench``), :mod:`.serving`
  (``shopmind bench-serve``); :mod:`.provenance`: the commit and machine every result records.
"""

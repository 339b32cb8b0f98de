"""Evaluation: splits, metrics, the full-ranking protocol, segments, statistics and reports.

Modules (imported on use, so ``import shopmind.evaluation`` stays light):

- :mod:`~shopmind.evaluation.splits`: ``leave_one_out``, ``temporal_split``, ``random_split`` -> ``Split``;
- :mod:`~shopmind.evaluation.metrics`: per-user HR, NDCG, MRR, recall, precision, AP; coverage, Gini,
  novelty, intra-list diversity;
- :mod:`~shopmind.evaluation.protocol`: ``evaluate`` (full ranking, history excluded) -> ``EvalResult``;
- :mod:`~shopmind.evaluation.segments`: per user-activity and head/tail breakdowns;
- :mod:`~shopmind.evaluation.stats`: bootstrap intervals and paired tests;
- :mod:`~shopmind.evaluation.report`: ``write_report`` (JSON, Markdown, PNG charts), ``format_table``;
- :mod:`~shopmind.evaluation.resources`: ``peak_rss_mb``, ``measure`` (wall time and peak RSS of a block).
"""

"""Evaluation: splits, metrics, the full-ranking protocol, statistics and reports."""

"""A/B experiments: deterministic assignment, the exposure log, analysis and off-policy evaluation."""

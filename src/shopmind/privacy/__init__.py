"""Privacy: differentially private published aggregates with an epsilon budget ledger
(:mod:`shopmind.privacy.dp`, :mod:`shopmind.privacy.published`) and federated matrix factorisation with
secure aggregation (:mod:`shopmind.privacy.federated`)."""

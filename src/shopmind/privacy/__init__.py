"""Privacy: erasure and export of one user's data, pseudonymised user ids (:mod:`shopmind.privacy.erasure`,
:mod:`shopmind.privacy.pseudonym`), differentially private published aggregates with an epsilon budget ledger
(:mod:`shopmind.privacy.dp`, :mod:`shopmind.privacy.published`) and federated matrix factorisation with secure
aggregation (:mod:`shopmind.privacy.federated`); see docs/privacy.md."""

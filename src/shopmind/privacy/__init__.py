"""Privacy: erasure and export of one user's data, pseudonymised user ids (docs/privacy.md)."""

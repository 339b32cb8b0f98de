"""The `shopmind` command line."""

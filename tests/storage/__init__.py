"""Store contract and backend tests."""

"""Importer and validation tests."""

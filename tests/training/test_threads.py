"""The one meaning of ``threads``: 0 = every core this process may use, n >= 1 = n."""

from __future__ import annotations

import os

import pytest

from shopmind.errors import ParameterError
from shopmind.training.threads import available_cores, check_threads, resolve_threads


def test_zero_means_every_core_this_process_may_use():
    assert resolve_threads(0) == available_cores() == len(os.sched_getaffinity(0))
    assert resolve_threads(1) == 1 and resolve_threads(7) == 7


@pytest.mark.parametrize("bad", [-1, None, 1.5, True, "2"])
def test_threads_must_be_an_int_of_zero_or_more(bad):
    with pytest.raises(ParameterError, match=r"The 'threads' parameter of M must be an int >= 0 \(0 = every core"):
        check_threads("M", bad)
    check_threads("M", 0)

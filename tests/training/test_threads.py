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


def test_limit_threads_caps_every_count_and_the_blas_pools_then_restores_them():
    import torch
    from threadpoolctl import threadpool_info

    from shopmind.training.threads import limit_threads

    before = torch.get_num_threads()
    with limit_threads(1):
        assert resolve_threads(0) == resolve_threads(7) == available_cores() == 1
        assert torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        with limit_threads(3):  # an inner cap never raises the outer one
            assert resolve_threads(0) == 1
    assert resolve_threads(7) == 7 and torch.get_num_threads() == before
    with pytest.raises(ParameterError, match="'n' parameter of limit_threads"), limit_threads(0):
        pass

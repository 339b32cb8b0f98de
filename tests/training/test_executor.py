"""Executors: serial in this process, or Ray tasks on bounded threads; same results in the same order."""

from __future__ import annotations

import operator
import os
import subprocess
import sys

import pytest

from shopmind.errors import ParameterError, ShopmindError
from shopmind.training.executor import RayExecutor, SerialExecutor, _check_reachable, make_executor
from shopmind.training.threads import resolve_threads


def test_serial_executor_keeps_input_order_and_reports_each_result():
    seen: list[tuple[int, int]] = []
    with make_executor("serial") as ex:
        assert isinstance(ex, SerialExecutor)
        assert ex.map(pow, [3, 1, 2], common=2, on_result=lambda i, r: seen.append((i, r))) == [8, 2, 4]
        assert ex.map(pow, [1], common=2, collect=False) == []
    assert seen == [(0, 8), (1, 2), (2, 4)]
    assert ex.describe()["name"] == "serial" and ex.describe()["workers"] == 1


def test_make_executor_names_the_bad_option():
    with pytest.raises(ParameterError, match=r"'executor' parameter of make_executor must be one of \['serial'"):
        make_executor("dask")
    with pytest.raises(ParameterError, match=r"'ray_address'.*only with --executor ray"):
        make_executor("serial", address="auto")
    with pytest.raises(ParameterError, match="'cpus_per_task'"), RayExecutor(cpus_per_task=0):
        pass


def test_the_default_path_does_not_import_ray():
    code = ("import sys, shopmind.cli.main, shopmind.evaluation.bench, shopmind.evaluation.batch_scoring, "
            "shopmind.evaluation.tuning; sys.exit(1 if 'ray' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], env=os.environ.copy()).returncode == 0


def test_ray_tasks_match_serial_and_run_on_bounded_threads(ray_cluster):
    import ray

    seen: list[int] = []
    with RayExecutor(warm=("shopmind.evaluation.bench",)) as ex:  # joins the running cluster, leaves it running
        assert ex.workers == 2 and ex.describe()["threads_per_task"] == 1
        assert len(ex._warming) == 2 and all(isinstance(pid, int) for pid in ray.get(ex._warming))
        assert ex.map(pow, [3, 1, 2], common=2, on_result=lambda i, r: seen.append(i)) == [8, 2, 4]
        # inside a task every thread count resolves to the task's one CPU, and the worker is not niced
        assert ex.map(operator.call, [0, 4], common=resolve_threads) == [1, 1]
        assert ex.map(operator.call, [0], common=os.nice) == [0]
    assert sorted(seen) == [0, 1, 2]
    assert ray.is_initialized()


def test_an_unreachable_cluster_address_fails_at_once_naming_it():
    import socket
    import time

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(ShopmindError, match=rf"--ray-address '{address}': nothing answers at 127.0.0.1:{port}"):
            _check_reachable(address, timeout=2.0)
    assert time.perf_counter() - t0 < 5
    _check_reachable("auto")  # Ray finds a local cluster itself

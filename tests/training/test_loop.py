"""The shared torch training loop: schedule, time budget, early stopping on held-out items, seeding, threads."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from rich.progress import Progress
from torch import nn

from shopmind.data import Interactions
from shopmind.training import loop
from shopmind.training.loop import (
    HeldOutItems,
    Schedule,
    TrainingLoop,
    early_stopping_split,
    seeded,
    torch_threads,
)


def test_schedule_warms_up_then_decays_to_zero_and_can_end_early():
    s = Schedule(epochs=10, steps_per_epoch=10, warmup=0.1)
    assert s.total == 100 and s.warm == 10
    assert s.factor(0) == pytest.approx(0.1) and s.factor(9) == pytest.approx(1.0)
    assert s.factor(10) == pytest.approx(1.0) and s.factor(100) == pytest.approx(0.0)
    assert s.factor(55) == pytest.approx(0.5)  # half-way through the cosine
    s.shorten(4)
    assert s.total == 40 and s.factor(40) == pytest.approx(0.0)
    linear = Schedule(epochs=1, steps_per_epoch=4, decay="linear")
    assert [linear.factor(i) for i in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.0]


def _toy(seed: int = 0) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    net = nn.Linear(3, 1)
    return net, torch.optim.SGD(net.parameters(), lr=0.1)


def _batches(epoch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    x = torch.arange(12, dtype=torch.float32).view(4, 3) / 10
    return [(x, x.sum(1, keepdim=True))]


def _mse(batch: tuple[torch.Tensor, torch.Tensor], net: nn.Module) -> tuple[torch.Tensor, int]:
    x, y = batch
    return ((net(x) - y) ** 2).mean(), len(x)


def test_loop_trains_records_every_epoch_and_leaves_the_net_in_eval_mode():
    net, opt = _toy()
    result = TrainingLoop(net, opt, Schedule(5, 1), name="toy").run(_batches, lambda b: _mse(b, net))
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4, 5]
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    assert result.epochs == result.kept_epoch == 5 and not result.validated and math.isnan(result.best_ndcg)
    assert not net.training and result.history[-1]["lr"] == pytest.approx(0.0)


class _Scripted:
    """Validation scores that follow a script: epoch e ranks the target first iff script[e] is True."""

    def __init__(self, script: list[bool]) -> None:
        self.script, self.calls = script, 0

    def __call__(self, users: np.ndarray) -> np.ndarray:
        good = self.script[self.calls]
        self.calls += 1
        s = np.zeros((len(users), 4), dtype=np.float32)
        s[:, 1] = 1.0 if good else -1.0
        return s


def _held_out(n: int = 3) -> HeldOutItems:
    return HeldOutItems(np.arange(n), np.ones(n, dtype=np.int64), sp.csr_matrix((n, 4), dtype=np.float32))


def test_early_stopping_restores_the_best_epoch_and_stops_after_patience():
    net, opt = _toy()
    snapshots = []
    score = _Scripted([False, True, False, False, True])
    result = TrainingLoop(net, opt, Schedule(8, 1), name="toy", held_out=_held_out(), patience=2).run(
        _batches, lambda b: _mse(b, net), score=score,
        after_epoch=lambda rec: snapshots.append(net.weight.detach().clone()))
    assert result.epochs == 4 and result.best_epoch == 2 and result.validated  # epochs 3, 4 did not improve
    assert result.best_ndcg == pytest.approx(1.0) and result.history[0]["valid_ndcg@10"] < 0.5
    torch.testing.assert_close(net.weight.detach(), snapshots[1])  # the weights of epoch 2


def test_evaluation_every_few_epochs_and_at_the_last():
    net, opt = _toy()
    score = _Scripted([True] * 10)
    result = TrainingLoop(net, opt, Schedule(5, 1), name="toy", held_out=_held_out(), eval_every=2).run(
        _batches, lambda b: _mse(b, net), score=score)
    assert [r["epoch"] for r in result.history if "valid_ndcg@10" in r] == [2, 4, 5]


def test_time_budget_shortens_the_schedule_to_the_epochs_that_fit(monkeypatch):
    clock = {"t": 0.0}

    def fake_clock() -> float:
        clock["t"] += 1.0
        return clock["t"]

    monkeypatch.setattr(loop.time, "perf_counter", fake_clock)
    net, opt = _toy()
    plan = Schedule(50, 1)
    result = TrainingLoop(net, opt, plan, name="toy", time_budget=9.0).run(_batches, lambda b: _mse(b, net))
    assert 1 <= result.epochs < 10 and plan.epochs == result.epochs
    assert result.history[-1]["lr"] == pytest.approx(0.0)  # the decay ended within the budget


def test_held_out_items_rank_the_target_among_unseen_items_ties_against_it():
    valid = Interactions.from_sequences({"a": ["x"], "b": ["y"], "c": []})
    seen = sp.csr_matrix(np.array([[0, 0, 1], [0, 0, 0], [0, 0, 0]], dtype=np.float32))
    held = HeldOutItems.of(valid, seen, max_users=0, rng=np.random.default_rng(0))
    assert held is not None and held.users.tolist() == [0, 1] and held.targets.tolist() == [0, 1]
    # user a: target 0 below item 2, which a has seen (masked) -> rank 0; user b: target tied with item 0
    ndcg, hr = held.metrics(lambda users: np.array([[0.5, 0.1, 0.9], [0.5, 0.5, 0.1]], dtype=np.float32)[users])
    assert (ndcg, hr) == (pytest.approx(0.5 * (1.0 + 1.0 / math.log2(3))), 1.0)
    assert HeldOutItems.of(None, seen, 0, np.random.default_rng(0)) is None
    sample = HeldOutItems.of(valid, seen, max_users=1, rng=np.random.default_rng(0))
    assert sample is not None and len(sample) == 1


def test_early_stopping_split_carves_only_without_validation_data():
    data = Interactions.from_sequences({f"u{i}": list("abcd") for i in range(12)})
    rest, held = early_stopping_split(data, None, auto_valid=20, patience=2, seed=0, name="m")
    assert held is not None and len(held) == 12 and len(rest) == len(data) - 12
    assert early_stopping_split(data, None, auto_valid=20, patience=0, seed=0, name="m") == (data, None)
    assert early_stopping_split(data, held, auto_valid=20, patience=2, seed=0, name="m") == (data, held)
    few = Interactions.from_sequences({"a": list("abc")})
    assert early_stopping_split(few, None, auto_valid=20, patience=2, seed=0, name="m") == (few, None)


def test_seeded_seeds_torch_and_numpy_alike():
    a = seeded(3)
    x = torch.rand(2)
    b = seeded(3)
    assert torch.equal(torch.rand(2), x) and a.integers(1000) == b.integers(1000)


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(0):
        assert torch.get_num_threads() >= 1
    assert torch.get_num_threads() == before


def test_a_progress_bar_counts_the_steps_on_a_terminal_only(monkeypatch):
    advanced = []
    real = Progress.advance

    def spy(self, task, steps=1):
        advanced.append(steps)
        return real(self, task, steps)

    monkeypatch.setattr(Progress, "advance", spy)
    net, opt = _toy()
    TrainingLoop(net, opt, Schedule(3, 1), name="toy").run(_batches, lambda b: _mse(b, net))
    assert advanced == []  # not a terminal (pytest captures stderr)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats the console as a terminal
    TrainingLoop(net, opt, Schedule(3, 1), name="toy").run(_batches, lambda b: _mse(b, net))
    assert advanced == [1, 1, 1]
    advanced.clear()
    TrainingLoop(net, opt, Schedule(3, 1), name="toy", progress=False).run(_batches, lambda b: _mse(b, net))
    assert advanced == []

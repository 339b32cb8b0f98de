"""The one torch training loop of the models that learn by gradient descent (SASRec, GRU4Rec, the fusion
attention, the MiniLM fine-tune).

A model brings its network, its optimiser, how an epoch is cut into batches and the loss of a batch; the
loop brings what every one of them needs, done the same way:

- **seed**: :func:`seeded` seeds torch and returns the numpy generator for data order and sampling;
- **threads**: :func:`torch_threads` runs torch on ``threads`` threads (:mod:`shopmind.training.threads`
  says what 0 means) and restores the previous setting;
- **schedule**: :class:`Schedule`, linear warmup then cosine (or linear) decay over the planned steps;
- **time budget**: after each epoch the measured pace (evaluations included) decides how many of the
  planned epochs fit in ``time_budget`` seconds, and the schedule is shortened to end there;
- **early stopping**: NDCG@10 of each validation user's held-out item (:class:`HeldOutItems`, the one
  validation metric) every ``eval_every`` epochs; training stops after ``patience`` evaluations without
  improvement and the best weights are restored;
- gradient clipping, optional bfloat16 autocast, a per-epoch history, a progress bar on a terminal.

>>> loop = TrainingLoop(net, optimizer, Schedule(epochs=20, steps_per_epoch=32), name="SASRec")  # doctest: +SKIP
>>> result = loop.run(batches=lambda epoch: windows(rng), loss=batch_loss)                       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn

from shopmind.data.interactions import Interactions
from shopmind.training.metrics import held_out_ndcg
from shopmind.training.splits import carve_validation
from shopmind.training.threads import resolve_threads

logger = logging.getLogger(__name__)

B = TypeVar("B")
#: The cut-off of the validation metric.
EVAL_K = 10
#: With fewer users to hold out than this, a fit without validation data trains without early stopping.
MIN_VALID_USERS = 10


# ---------------------------------------------------------------------------------------------- seed, threads
def seeded(seed: int) -> np.random.Generator:
    """Seed torch's global generator (weight initialisation, dropout, sampled negatives) and return a numpy
    generator from the same seed (data order, sampling): a fit is reproducible on the same machine and
    thread count."""
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run torch on ``threads`` intra-op threads (0: every core this process may use), restoring the
    previous setting afterwards."""
    prev = torch.get_num_threads()
    want = resolve_threads(threads)
    if want != prev:
        torch.set_num_threads(want)
    try:
        yield
    finally:
        if want != prev:
            torch.set_num_threads(prev)


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 mixed precision for a training step when ``enabled`` (a model's ``amp``); else nothing."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


# ---------------------------------------------------------------------------------------------- schedule
class Schedule:
    """The learning-rate factor of each step: linear warmup over ``warmup`` (a share of all steps), then
    ``decay`` (``"cosine"`` to 0, or ``"linear"`` to 0) over the rest of the planned ``epochs``.

    >>> s = Schedule(epochs=2, steps_per_epoch=5, warmup=0.2)
    >>> [round(s.factor(i), 3) for i in (0, 1, 2, 9)]
    [0.5, 1.0, 1.0, 0.038]
    """

    def __init__(self, epochs: int, steps_per_epoch: int, warmup: float = 0.0, decay: str = "cosine") -> None:
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.warmup = warmup
        self.decay = decay
        self.total = max(1, steps_per_epoch * epochs)
        self.warm = int(warmup * self.total)

    def factor(self, step: int) -> float:
        """Multiplier of the base learning rate at optimiser step ``step`` (0-based)."""
        if step < self.warm:
            return (step + 1) / self.warm
        done = (step - self.warm) / max(1, self.total - self.warm)
        if self.decay == "linear":
            return max(0.0, 1.0 - done)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, done)))

    def shorten(self, epochs: int) -> None:
        """End the schedule after ``epochs`` epochs instead (a time budget): the decay completes there."""
        self.epochs = epochs
        self.total = max(1, self.steps_per_epoch * epochs)
        self.warm = min(self.warm, int(self.warmup * self.total))


# ---------------------------------------------------------------------------------------------- validation
def early_stopping_split(train: Interactions, valid: Interactions | None, *, auto_valid: int, patience: int,
                         seed: int, name: str) -> tuple[Interactions, Interactions | None]:
    """What a model trains on and what it stops early on: ``(train, valid)`` when ``valid`` is given;
    else, with ``patience`` and ``auto_valid`` > 0, the newest interaction of up to ``auto_valid`` training
    users held out (:func:`~shopmind.training.splits.carve_validation`; at least :data:`MIN_VALID_USERS`
    of them, else no validation): ``(the rest, the held-out interactions)``."""
    if (valid is None or len(valid) == 0) and patience and auto_valid:
        carved = carve_validation(train, auto_valid, seed)
        if len(carved.users) >= min(MIN_VALID_USERS, auto_valid):
            logger.info("%s: early stopping on the last interaction of %d training users held out", name,
                        len(carved.users))
            return carved.rest, carved.held
    return train, valid


@dataclass
class HeldOutItems:
    """Validation users, each one's held-out item and what each has already seen (masked when ranking):
    the data of the one early-stopping metric, NDCG@10 of the held-out item over the full catalog
    (:func:`~shopmind.training.metrics.held_out_ndcg`)."""

    users: np.ndarray
    targets: np.ndarray
    seen: sp.csr_matrix  # row r: the items users[r] has seen

    @classmethod
    def of(cls, valid: Interactions | None, seen: sp.csr_matrix, max_users: int,
           rng: np.random.Generator) -> HeldOutItems | None:
        """Each user's first interaction in ``valid`` (for at most ``max_users`` users drawn with ``rng``;
        0 = all); ``seen`` is the training history matrix. None when ``valid`` is None or empty."""
        if valid is None or len(valid) == 0:
            return None
        p = valid.indptr
        users = np.flatnonzero(np.diff(p) > 0)
        targets = valid.item[p[users]].astype(np.int64)
        if max_users and len(users) > max_users:
            pick = np.sort(rng.choice(len(users), max_users, replace=False))
            users, targets = users[pick], targets[pick]
        return cls(users, targets, sp.csr_matrix(seen[users]))

    def __len__(self) -> int:
        return len(self.users)

    def metrics(self, score: Callable[[np.ndarray], Any], batch: int = 1024) -> tuple[float, float]:
        """Mean NDCG@10 and HR@10 of the held-out items under ``score(users) -> [len(users), n_items]``
        (a fresh numpy array or CPU tensor: seen items are masked in it, in place), ``batch`` users at a
        time."""
        ndcg_sum, hit_sum = 0.0, 0.0
        for s in range(0, len(self.users), batch):
            scores = score(self.users[s:s + batch])
            scores = scores.numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
            sub = self.seen[s:s + batch]
            rows = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
            scores[rows, sub.indices] = -np.inf
            gain, hit = held_out_ndcg(scores, self.targets[s:s + batch], EVAL_K)
            ndcg_sum += float(gain.sum())
            hit_sum += float(hit.sum())
        n = max(1, len(self.users))
        return ndcg_sum / n, hit_sum / n


# ---------------------------------------------------------------------------------------------- loop
@dataclass
class LoopResult:
    """What a run did: one record per epoch (``epoch``, ``loss``, ``seconds``, ``lr``, and
    ``valid_ndcg@10`` / ``valid_hr@10`` where validated), the epochs trained, and the best validated epoch
    with its NDCG@10 (``validated`` False: no validation ran; the last weights are kept)."""

    history: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0
    best_epoch: int = 0
    best_ndcg: float = float("nan")
    validated: bool = False

    @property
    def kept_epoch(self) -> int:
        """The epoch whose weights the network holds after the run."""
        return self.best_epoch if self.validated else self.epochs


class TrainingLoop:
    """Trains ``net`` with ``optimizer`` on ``schedule`` (see the module docstring).

    Parameters
    ----------
    net, optimizer : the network (its ``train()`` / ``eval()`` modes are set here) and its optimiser; the
        schedule multiplies the optimiser's learning rate.
    schedule : planned epochs and the learning-rate shape; shortened by ``time_budget``.
    name : what log lines and the progress bar call the run.
    clip : maximum gradient norm (None = no clipping).
    amp : bfloat16 autocast around the loss.
    time_budget : seconds for the epochs of this run (evaluations included), or None.
    held_out, eval_every, patience : validation data; evaluate every ``eval_every`` epochs and at the last
        one; stop after ``patience`` evaluations without a better NDCG@10 (0 = never stop early).
    progress : show a progress bar when stderr is a terminal.
    """

    def __init__(self, net: nn.Module, optimizer: torch.optim.Optimizer, schedule: Schedule, *, name: str,
                 clip: float | None = 5.0, amp: bool = False, time_budget: float | None = None,
                 held_out: HeldOutItems | None = None, eval_every: int = 1, patience: int = 0,
                 progress: bool = True) -> None:
        self.net = net
        self.optimizer = optimizer
        self.schedule = schedule
        self.name = name
        self.clip = clip
        self.amp = amp
        self.time_budget = time_budget
        self.held_out = held_out
        self.eval_every = eval_every
        self.patience = patience
        self.progress = progress

    def run(self, batches: Callable[[int], Iterable[B]], loss: Callable[[B], tuple[torch.Tensor, int]],
            score: Callable[[np.ndarray], Any] | None = None,
            after_epoch: Callable[[dict[str, Any]], None] | None = None) -> LoopResult:
        """Train. ``batches(epoch)`` yields the batches of an epoch (1-based); ``loss(batch)`` gives the mean
        loss of a batch and how many targets it averages (the epoch's loss is their weighted mean);
        ``score(users)`` scores the full catalog for validation users (needed with ``held_out``);
        ``after_epoch(record)`` may add to an epoch's record before validation (e.g. statistics the
        scores depend on)."""
        net, opt, plan = self.net, self.optimizer, self.schedule
        sched = torch.optim.lr_scheduler.LambdaLR(opt, plan.factor)
        device = next(net.parameters()).device
        out = LoopResult()
        best_state: dict[str, Any] | None = None
        best, bad = -1.0, 0
        started = time.perf_counter()
        with _progress_bar(self.name, plan.total, self.progress) as bar:
            epoch = 0
            while epoch < plan.epochs:
                epoch += 1
                net.train()
                t0 = time.perf_counter()
                loss_sum, n_sum = 0.0, 0
                for batch in batches(epoch):
                    with autocast(device, self.amp):
                        value, n = loss(batch)
                    opt.zero_grad(set_to_none=True)
                    value.backward()
                    if self.clip is not None:
                        nn.utils.clip_grad_norm_(net.parameters(), self.clip)
                    opt.step()
                    sched.step()
                    loss_sum += float(value.detach()) * n
                    n_sum += n
                    bar.advance(1)
                rec: dict[str, Any] = {"epoch": epoch, "loss": loss_sum / max(1, n_sum),
                                       "seconds": time.perf_counter() - t0, "lr": float(opt.param_groups[0]["lr"])}
                out.history.append(rec)
                out.epochs = epoch
                self._apply_budget(epoch, started, bar)
                if after_epoch is not None:
                    after_epoch(rec)
                due = epoch % self.eval_every == 0 or epoch == plan.epochs
                if self.held_out is None or not due:
                    self._log(rec, plan.epochs)
                    continue
                if score is None:
                    raise ValueError("TrainingLoop.run: held-out validation needs a score function")
                rec["valid_ndcg@10"], rec["valid_hr@10"] = self.held_out.metrics(score)
                if rec["valid_ndcg@10"] > best:
                    best, bad = rec["valid_ndcg@10"], 0
                    out.best_epoch, out.best_ndcg = epoch, best
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    bad += 1
                self._log(rec, plan.epochs)
                if self.patience and bad >= self.patience:
                    logger.info("%s: early stop at epoch %d (best %d, ndcg@10 %.4f)", self.name, epoch,
                                out.best_epoch, best)
                    break
        out.validated = best_state is not None
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        return out

    def _apply_budget(self, epoch: int, started: float, bar: _Bar) -> None:
        """After ``epoch``: if the pace so far says fewer of the planned epochs fit in the budget, end the
        schedule there (never before the current epoch)."""
        plan = self.schedule
        if self.time_budget is None or epoch >= plan.epochs:
            return
        per_epoch = (time.perf_counter() - started) / epoch
        fits = max(epoch, min(plan.epochs, int(self.time_budget / per_epoch)))
        if fits < plan.epochs:
            logger.info("%s: %.0f s per epoch, the time budget of %.0f s fits %d epochs (of %d)", self.name,
                        per_epoch, self.time_budget, fits, plan.epochs)
            plan.shorten(fits)
            bar.total(plan.total)

    def _log(self, rec: dict[str, Any], planned: int) -> None:
        valid = (f" valid ndcg@10 {rec['valid_ndcg@10']:.4f} hr@10 {rec['valid_hr@10']:.4f}"
                 if "valid_ndcg@10" in rec else "")
        extra = "".join(f" {k} {v}" for k, v in rec.items()
                        if k not in ("epoch", "loss", "seconds", "lr", "valid_ndcg@10", "valid_hr@10"))
        logger.info("%s epoch %d/%d loss %.4f%s%s (%.1fs)", self.name, rec["epoch"], planned, rec["loss"], valid,
                    extra, rec["seconds"])


class _Bar:
    """A rich progress bar over optimiser steps, or nothing (not a terminal, or switched off)."""

    def __init__(self, progress: Progress | None, task: Any) -> None:
        self._progress, self._task = progress, task

    def advance(self, steps: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def total(self, steps: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=steps)


@contextlib.contextmanager
def _progress_bar(name: str, total: int, enabled: bool) -> Iterator[_Bar]:
    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        yield _Bar(None, None)
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        yield _Bar(progress, progress.add_task(f"training {name}", total=total))


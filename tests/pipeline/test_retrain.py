"""A retrain killed with SIGKILL at any point (writing the state, before meta.json, during the swap, before
the activation record) leaves the previous version active for the next start and the store consistent."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest

from shopmind.cli.serve import load_model
from shopmind.errors import ShopmindError
from shopmind.models import Recommender
from shopmind.models.base import active_artifact, mark_active
from shopmind.settings import Settings

#: Runs in a child process: serve version v1, write a batch of events, start a retrain and SIGKILL itself at
#: the point named by argv[3] (nothing is left to chance: the kill happens exactly there).
CHILD = r'''
import os, signal, sys, time
from pathlib import Path
import shopmind.models.base as base
import shopmind.pipeline.retrain as retrain
from shopmind.models import Recommender
from shopmind.pipeline import RecommendationService
from shopmind.storage import open_store

db, models, point = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

store = open_store(f"sqlite:///{db}")
service = RecommendationService.open(store, Recommender.load(models / "v1"), source=str(models / "v1"))
service.ingest_events([{"user_id": f"k{i}", "item_id": "i1", "type": "view", "event_id": f"kill-{i}"}
                       for i in range(50)])
if point == "state":  # half of the first block of the new state is on disk
    def write(self, data):
        self.f.write(data[: len(data) // 2]); self.f.flush(); die()
    base._HashingWriter.write = write
elif point == "meta":  # the state is complete, meta.json is not in place yet
    replace = Path.replace
    def guarded(self, target):
        if Path(target).name == "meta.json":
            die()
        return replace(self, target)
    Path.replace = guarded
elif point == "swap":  # the new artifact is complete; the swap-in never finishes
    service.swap_model = die
elif point == "record":  # swapped in memory; the activation record for the next start is not written
    retrain.mark_active = die
retrain.Retrainer(service, models).start("itemknn", {"k": 7})
time.sleep(300)
'''


@pytest.mark.parametrize("point", ["state", "meta", "swap", "record"])
def test_kill_9_during_a_retrain_keeps_the_previous_version_and_the_store(point, trained_shop, tmp_path,
                                                                          monkeypatch):
    db, models = tmp_path / "s.db", tmp_path / "home" / "models"
    shutil.copy(trained_shop.db, db)
    trained_shop.model.save(models / "v1")
    mark_active(models, models / "v1")
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM events").fetchone()[0]

    child = subprocess.run([sys.executable, "-c", CHILD, str(db), str(models), point], capture_output=True,
                           text=True, timeout=600)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]

    # the next start serves v1; whatever the killed retrain left is either no artifact or refused
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    assert active_artifact(models) == (models / "v1").resolve()
    model, path = load_model(Settings.load(), None)
    assert path.resolve() == (models / "v1").resolve() and model.get_params()["k"] != 7
    leftovers = [p for p in models.iterdir() if p.is_dir() and p.name != "v1"]
    assert len(leftovers) == 1
    if point in ("state", "meta"):
        with pytest.raises(ShopmindError):
            Recommender.load(leftovers[0])
    # the store: intact, and the batch written before the kill is there in full
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == before + 50

"""Artifacts written by an older shopmind still load: renamed and removed hyperparameters, moved classes."""

from __future__ import annotations

import json
import logging
import pickle

import numpy as np
import pytest

from fixtures.sequences import TINY
from shopmind.errors import ArtifactError
from shopmind.models import Recommender, create
from shopmind.models.base import ArtifactUnpickler
from shopmind.models.fusion.attributes import AttributeVocabulary
from shopmind.models.sequential.items import ItemTable
from shopmind.models.sequential.networks import FastDropout


def _age(path, add: dict, drop: tuple[str, ...]) -> None:
    """Make an artifact look as an older shopmind wrote it: hyperparameters ``add`` (in its meta.json and its
    pickled state) instead of ``drop``."""
    meta = json.loads((path / "meta.json").read_text())
    with open(path / "state.pkl", "rb") as f:
        state = pickle.load(f)
    for d in (meta["params"], state):
        d.update(add)
        for name in drop:
            del d[name]
    meta.pop("state")  # older artifacts recorded no size and checksum of their state
    (path / "meta.json").write_text(json.dumps(meta))
    with open(path / "state.pkl", "wb") as f:
        pickle.dump(state, f)


def test_removed_and_renamed_hyperparameters_of_an_old_artifact(cyclic, tmp_path, caplog):
    model = create("sasrec", **{**TINY, "epochs": 1}).fit(cyclic)
    path = model.save(tmp_path / "old")
    _age(path, {"ema": 0.999, "loss_fraction": 0.5, "future_window": 3, "num_threads": None, "amp": "auto"},
         drop=("threads",))
    with caplog.at_level(logging.INFO, logger="shopmind.models.base"):
        loaded = Recommender.load(path)
    assert not {"ema", "loss_fraction", "future_window", "num_threads"} & set(vars(loaded))
    assert loaded.threads == 0 and loaded.amp is False  # None meant all cores; "auto" is float32 now
    assert "dropped parameter ema=0.999" in caplog.text and "'num_threads' is now called 'threads'" in caplog.text
    np.testing.assert_array_equal(loaded.score(np.arange(4)), model.score(np.arange(4)))
    assert set(loaded.get_params()) == set(model.get_params())


def test_a_factor_model_keeps_its_renamed_seed_and_epochs(block_data, tmp_path):
    path = create("bpr", factors=4, epochs=2, seed=7).fit(block_data).save(tmp_path / "bpr")
    _age(path, {"random_state": 7, "iterations": 2}, drop=("seed", "epochs"))
    loaded = Recommender.load(path)
    assert loaded.get_params()["seed"] == 7 and loaded.get_params()["epochs"] == 2


@pytest.mark.parametrize(("module", "name", "klass"), [
    ("shopmind.models.sequential", "ItemTable", ItemTable),
    ("shopmind.models._seq", "FastDropout", FastDropout),
    ("shopmind.models.fusion", "AttributeVocabulary", AttributeVocabulary),
])
def test_classes_pickled_before_they_moved_are_found(module, name, klass, tmp_path):
    path = tmp_path / "x.pkl"
    path.write_bytes(b"")
    with open(path, "rb") as f:
        assert ArtifactUnpickler(f).find_class(module, name) is klass


# ---------------------------------------------------------------------------------------------- damaged artifacts
@pytest.fixture()
def artifact(block_data, tmp_path):
    return create("itemknn", k=5).fit(block_data).save(tmp_path / "knn")


def test_an_artifact_records_the_size_and_checksum_of_its_state(artifact):
    meta = json.loads((artifact / "meta.json").read_text())
    assert meta["state"]["bytes"] == (artifact / "state.pkl").stat().st_size
    assert len(meta["state"]["sha256"]) == 64
    assert not list(artifact.glob("*.tmp"))
    Recommender.load(artifact)


def test_a_truncated_state_is_refused_naming_the_file(artifact):
    state = artifact / "state.pkl"
    state.write_bytes(state.read_bytes()[:100])
    with pytest.raises(ArtifactError, match="truncated") as info:
        Recommender.load(artifact)
    assert str(state) in str(info.value) and info.value.path == str(state)


def test_a_corrupted_state_of_the_right_size_is_refused(artifact):
    state = artifact / "state.pkl"
    raw = bytearray(state.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    state.write_bytes(bytes(raw))
    with pytest.raises(ArtifactError, match="SHA-256 does not match"):
        Recommender.load(artifact)


def test_an_unreadable_state_without_a_checksum_is_refused(artifact):
    meta = json.loads((artifact / "meta.json").read_text())
    meta.pop("state")
    (artifact / "meta.json").write_text(json.dumps(meta))
    (artifact / "state.pkl").write_bytes(b"\x80\x05garbage")
    with pytest.raises(ArtifactError, match="cannot be read"):
        Recommender.load(artifact)


def test_a_missing_state_and_a_truncated_meta_are_refused(artifact):
    (artifact / "state.pkl").unlink()
    with pytest.raises(ArtifactError, match="missing"):
        Recommender.load(artifact)
    meta = artifact / "meta.json"
    meta.write_text(meta.read_text()[:50])
    with pytest.raises(ArtifactError, match="not valid JSON") as info:
        Recommender.load(artifact)
    assert str(meta) in str(info.value)


def test_an_artifact_of_an_incompatible_version_is_refused(artifact):
    meta = json.loads((artifact / "meta.json").read_text())
    meta.update(format=99, shopmind_version="9.0.0")
    (artifact / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match=r"incompatible version \(shopmind 9.0.0, artifact format 99\)"):
        Recommender.load(artifact)
    meta.update(format=1, model="no-such-model")
    (artifact / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="unknown model 'no-such-model'"):
        Recommender.load(artifact)

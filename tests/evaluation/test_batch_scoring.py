"""Batch scoring: every user's top-n into one Parquet file, in shards, the same on every executor."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.errors import ParameterError
from shopmind.evaluation.batch_scoring import score_all_users, shards
from shopmind.models import Recommender, create


@pytest.fixture(scope="module")
def artifact(block_split, tmp_path_factory):
    model = create("itemknn", k=20).fit(block_split.train_valid())
    return model.save(tmp_path_factory.mktemp("batch") / "itemknn")


def test_shards_cover_every_user_once():
    assert shards(0, 3) == [] and shards(3, 3) == [(0, 3)] and shards(7, 3) == [(0, 3), (3, 6), (6, 7)]


def test_every_user_gets_the_models_own_top_n(artifact, tmp_path):
    progress: list[tuple[int, int]] = []
    out = tmp_path / "recs.parquet"
    result = score_all_users(artifact, out, n=5, shard_size=7, on_shard=lambda d, t: progress.append((d, t)))
    recs = pd.read_parquet(out)
    model = Recommender.load(artifact)
    assert result.users == model.n_users_ == recs["user"].nunique() and result.rows == len(recs)
    assert result.shards == len(shards(model.n_users_, 7)) and progress[-1] == (model.n_users_, model.n_users_)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert result.users_per_second > 0 and result.as_dict()["executor"]["name"] == "serial"
    for u in (0, model.n_users_ - 1):  # the file holds exactly what recommend() says, in rank order
        ids, scores = model.recommend(u, N=5)
        rows = recs[recs["user"] == model.users_.raw(u)]
        assert rows["item"].tolist() == model.items_.raws(ids[ids >= 0])
        assert rows["rank"].tolist() == list(range(1, len(rows) + 1))
        assert rows["score"].tolist() == pytest.approx(scores[ids >= 0].tolist())
    with pytest.raises(ParameterError, match="'shard_size' parameter of score_all_users"):
        score_all_users(artifact, out, shard_size=0)


def test_ray_shards_write_the_same_file(artifact, tmp_path, ray_cluster):
    from shopmind.training.executor import RayExecutor

    score_all_users(artifact, tmp_path / "serial.parquet", n=5, shard_size=7)
    with RayExecutor() as ex:
        result = score_all_users(artifact, tmp_path / "ray.parquet", n=5, shard_size=7, executor=ex)
    assert result.executor["name"] == "ray"
    ray_file, serial_file = pd.read_parquet(tmp_path / "ray.parquet"), pd.read_parquet(tmp_path / "serial.parquet")
    pd.testing.assert_frame_equal(ray_file, serial_file)

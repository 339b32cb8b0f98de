"""The fusion recommender: concat vs learned attention, cold items, parameter errors, persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures.image_shop import FAST, N_GROUPS, image_map
from shopmind.data import Interactions
from shopmind.errors import DataError, ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.models import Recommender, create
from shopmind.models.fusion.recommender import FusionRecommender
from shopmind.training.splits import leave_one_out


@pytest.fixture(scope="module")
def attention_model(image_shop) -> FusionRecommender:
    data, images = image_shop
    return create("fusion", image_vectors=image_map(data, images), **FAST).fit(data)


# ---------------------------------------------------------------------------------------------- learning
def test_attention_learns_to_trust_the_informative_modality(attention_model):
    m = attention_model
    assert m.modalities_ == ("text", "attrs", "image")
    w = m.modality_weights_
    assert sum(w.values()) == pytest.approx(1.0, abs=1e-3)
    # the prior (weights text=1, attrs=0.5, image=0.5) gave image 0.25; the images carry all the signal
    assert w["image"] > 0.45, w
    assert w["image"] > w["text"] and w["image"] > w["attrs"], w
    assert m.best_epoch_ >= 1 and np.isfinite(m.best_valid_ndcg_)


def test_attention_beats_the_default_concat_and_concat_needs_the_image_weight(image_shop):
    data, images = image_shop
    split = leave_one_out(data)
    full = split.train_valid()
    imgs = image_map(data, images)

    def ndcg(**params: object) -> float:
        model = create("fusion", image_vectors=imgs, **{**FAST, **params}).fit(full)
        return evaluate(model, full, split.test).metrics["ndcg@10"]

    att = ndcg()
    concat_default = ndcg(fusion="concat")
    concat_text = ndcg(fusion="concat", weights="text=1,attrs=0.5")
    concat_image = ndcg(fusion="concat", weights="image=1")
    assert concat_image > concat_text + 0.1  # sanity: the images are what carries the taste
    assert att > concat_default, (att, concat_default)
    assert att > concat_text + 0.1


def test_concat_is_a_weighted_concatenation_of_unit_blocks(image_shop):
    data, images = image_shop
    m = create("fusion", fusion="concat", encoder="hashing", image_vectors=image_map(data, images),
               weights={"text": 1.0, "attrs": 0.5, "image": 2.0}).fit(data)
    v = m.item_vectors()
    assert v is not None
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    (a0, a1), (b0, b1), (c0, c1) = (m.block_slices_[k] for k in ("text", "attrs", "image"))
    norms = [np.linalg.norm(v[:, a:b], axis=1) for a, b in ((a0, a1), (b0, b1), (c0, c1))]
    np.testing.assert_allclose(norms[2] / norms[0], 2.0, rtol=1e-4)  # weight ratio image / text
    np.testing.assert_allclose(norms[1] / norms[0], 0.5, rtol=1e-4)
    assert m.modality_weights_ == pytest.approx({"text": 1 / 3.5, "attrs": 0.5 / 3.5, "image": 2 / 3.5}, abs=1e-3)
    assert not hasattr(m, "net_")
    # a modality given weight 0 (or left out) is not used at all
    only_text = create("fusion", fusion="concat", encoder="hashing", weights="text=1").fit(data)
    assert only_text.modalities_ == ("text",)


def test_user_conditioned_attention_trains_and_scores(image_shop):
    data, images = image_shop
    m = create("fusion", user_query=True, image_vectors=image_map(data, images), **{**FAST, "epochs": 4}).fit(data)
    s = m.score(np.arange(6))
    assert s.shape == (6, data.n_items) and np.isfinite(s).all()
    np.testing.assert_allclose(m.score_history(m.user_items_[np.arange(6)]), s, rtol=1e-5, atol=1e-6)


def test_fit_is_seeded(image_shop):
    data, images = image_shop
    a = create("fusion", image_vectors=image_map(data, images), **{**FAST, "epochs": 2}).fit(data)
    b = create("fusion", image_vectors=image_map(data, images), **{**FAST, "epochs": 2}).fit(data)
    np.testing.assert_allclose(a.item_vectors_, b.item_vectors_, atol=1e-6)


def test_images_alone_are_enough_without_any_item_meta(image_shop):
    data, images = image_shop
    bare = Interactions(data.user, data.item, data.weight, data.timestamp, data.users, data.items)
    m = create("fusion", image_vectors=image_map(data, images), **{**FAST, "epochs": 2}).fit(bare)
    assert m.modalities_ == ("image",)
    assert m.modality_weights_ == {"image": 1.0}
    assert np.isfinite(m.score(np.arange(4))).all()


def test_no_image_anywhere_means_no_image_modality(block_data):
    m = create("fusion", fusion="concat", encoder="hashing").fit(block_data)
    assert m.modalities_ == ("text", "attrs")


# ---------------------------------------------------------------------------------------------- cold items
def test_cold_items_get_vectors_from_content(image_shop, attention_model):
    data, images = image_shop
    m = attention_model
    ids = [f"i{i}" for i in range(len(images))]
    dense = data.items.indices(ids)
    # items in the catalog that nobody touched have vectors and are recommended to the right group
    counts = data.item_counts()
    cold = dense[-6:]
    assert (counts[cold] == 0).all()
    assert np.linalg.norm(m.item_vectors_[cold], axis=1) == pytest.approx(1.0, abs=1e-5)
    group = np.arange(len(images)) % N_GROUPS
    users = np.arange(data.n_users)
    user_group = np.array([int(data.users.raw(u)[1:]) % N_GROUPS for u in users])
    s = m.score(users)[:, cold]
    own = group[-6:][None, :] == user_group[:, None]
    assert s[own].mean() > s[~own].mean() + 0.2
    ranks = (s[:, :, None] < s[:, None, :]).sum(-1)  # rank of each cold item among the cold ones
    assert (ranks[own] == 0).mean() > 0.8  # a user's own-group cold item comes first
    # items without interactions are never training negatives, so they are not pushed below warm ones
    raw_group = np.array([int(data.items.raw(i)[1:]) % N_GROUPS for i in range(data.n_items)])
    all_s = m.score(users)
    own_all = raw_group[None, :] == user_group[:, None]
    is_cold = (counts == 0)[None, :]
    assert all_s[own_all & is_cold].mean() > all_s[own_all & ~is_cold].mean() - 0.1
    # brand-new items (not in the catalog at fit time) from their content alone
    new = pd.DataFrame({"item_id": ["new0", "new1"], "title": ["zorp quav welm", "fyx miklo tessa"],
                        "category": ["Misc > Alpha", "Misc > Beta"], "brand": ["Brand3", "Brand4"], "price": [9.0, 30]})
    vecs = m.item_vectors_for(new, image_vectors=images[[0, 1]])
    assert vecs.shape == (2, m.item_vectors_.shape[1])
    near0 = (m.item_vectors_ @ vecs[0]).argsort()[::-1][:5]
    assert np.mean(group[[int(data.items.raw(i)[1:]) for i in near0]] == 0) >= 0.8
    # the same content as a known item gives that item's vector; scoring = user_vectors . item_vectors_for
    again = m.item_vectors_for(data.item_meta.iloc[:5], image_vectors=image_map(data, images))
    np.testing.assert_allclose(again, m.item_vectors_[data.item_meta.index[:5]], atol=1e-5)
    u = np.arange(3)
    np.testing.assert_allclose(m.user_vectors(u) @ again.T, m.score(u)[:, data.item_meta.index[:5]], rtol=1e-4,
                               atol=1e-5)
    # without image vectors a new item still gets a vector (image modality masked)
    no_img = m.item_vectors_for(new)
    assert np.isfinite(no_img).all() and np.linalg.norm(no_img, axis=1) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(DataError, match="components"):
        m.item_vectors_for(new, image_vectors=np.ones((2, 3)))


def test_score_history_folds_in_a_new_history_and_explain_names_modalities(attention_model, image_shop):
    data, _ = image_shop
    m = attention_model
    np.testing.assert_allclose(m.score_history(m.user_items_[[0, 1]]), m.score(np.array([0, 1])), rtol=1e-5,
                               atol=1e-6)
    item = int(m.recommend(0, N=1)[0][0])
    ex = m.explain(0, item)
    assert set(ex["modality_weights"]) == {"text", "attrs", "image"}
    assert sum(ex["modality_weights"].values()) == pytest.approx(1.0, abs=1e-3)
    assert set(ex["modality_contributions"]) == {"text", "attrs", "image"}
    assert ex["because_of"] and all(0 <= i < data.n_items for i, _ in ex["because_of"])
    assert all(t.split(":")[0] in ("cat", "brand", "price_level=0", "attr") or t.startswith("price_level")
               for t, _ in ex["matching_attributes"])
    sims, _ = m.similar_items(item, N=5)
    assert item not in sims.tolist()


# ---------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("params", "name"), [
    ({"fusion": "mlp"}, "fusion"), ({"encoder": "bert"}, "encoder"), ({"weights": "text=x"}, "weights"),
    ({"weights": {"audio": 1.0}}, "weights"), ({"weights": "text=0"}, "weights"), ({"d": 0}, "d"),
    ({"image_vectors": 5}, "image_vectors"), ({"temperature": 0.0}, "temperature"),
    ({"price_levels": 0}, "price_levels"), ({"text_fields": ()}, "text_fields"), ({"recency": "soon"}, "recency"),
    ({"user_query": "yes"}, "user_query"), ({"center": 1}, "center"), ({"n_negatives": 0}, "n_negatives"),
    ({"samples_per_user": 0}, "samples_per_user"), ({"threads": -1}, "threads"),
])
def test_bad_params_name_parameter_value_and_what_is_allowed(block_data, params, name):
    with pytest.raises(ParameterError, match=f"'{name}' parameter of FusionRecommender must be") as err:
        create("fusion", **{"encoder": "hashing", **params}).fit(block_data)
    assert "Got" in str(err.value)


def test_bad_inputs_are_data_errors(block_data, tmp_path):
    with pytest.raises(DataError, match="not found"):
        create("fusion", encoder="hashing", image_vectors=str(tmp_path / "nope.npy")).fit(block_data)
    np.save(tmp_path / "lonely.npy", np.ones((3, 4)))
    with pytest.raises(DataError, match="ids"):
        create("fusion", encoder="hashing", image_vectors=str(tmp_path / "lonely.npy")).fit(block_data)
    with pytest.raises(DataError, match="catalog"):
        create("fusion", encoder="hashing", image_vectors={"zz1": [1.0, 2.0]}).fit(block_data)
    bare = Interactions.from_sequences({"a": ["x", "y"], "b": ["y", "z"]})
    with pytest.raises(DataError, match="item content"):
        create("fusion", encoder="hashing", fusion="concat").fit(bare)


# ---------------------------------------------------------------------------------------------- persistence
@pytest.mark.parametrize("params", [{}, {"fusion": "concat"}, {"user_query": True, "epochs": 2}])
def test_save_load_recommend_identical(image_shop, tmp_path, params):
    data, images = image_shop
    m = create("fusion", image_vectors=image_map(data, images), **{**FAST, "epochs": 3, **params}).fit(data)
    loaded = Recommender.load(m.save(tmp_path / "m"))
    assert isinstance(loaded, FusionRecommender)
    a, b = m.recommend(np.arange(8), N=7), loaded.recommend(np.arange(8), N=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
    assert loaded.modality_weights_ == m.modality_weights_
    assert "in memory" in loaded.image_vectors and isinstance(m.image_vectors, dict)  # not written twice
    new = data.item_meta.iloc[:2]
    np.testing.assert_allclose(loaded.item_vectors_for(new), m.item_vectors_for(new), atol=1e-6)


def test_bench_labels_run_attention_and_concat_side_by_side():
    from shopmind.cli.params import parse_model_params

    runs = parse_model_params("fusion,fusion@concat", ["fusion.fusion=attention", "fusion@concat.fusion=concat",
                                                 "fusion@concat.weights=text=1,attrs=0.5,image=0.5"])
    assert runs == [("fusion", {"fusion": "attention"}),
                    ("fusion@concat", {"fusion": "concat", "weights": "text=1,attrs=0.5,image=0.5"})]

"""Image vectors from every accepted source, and from item_meta."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data import Interactions
from shopmind.models import create
from shopmind.models.fusion.vectors import as_vector


def test_as_vector_reads_lists_json_and_text_and_rejects_the_unusable():
    assert as_vector([1, 2]).tolist() == [1.0, 2.0] and as_vector("1, 2.5").tolist() == [1.0, 2.5]
    for bad in (None, "", "[]", [0.0, 0.0], [1.0, float("nan")], "abc", {"a": 1}):
        assert as_vector(bad) is None


def test_image_vectors_from_every_accepted_source_agree(image_shop, tmp_path):
    data, images = image_shop
    ids = [f"i{i}" for i in range(len(images))]
    some = list(range(0, len(images), 3))  # only a third of the items have an image
    np.save(tmp_path / "img.npy", images[some])
    (tmp_path / "img.ids.txt").write_text("\n".join(ids[i] for i in some))
    np.savez(tmp_path / "img.npz", ids=np.array([ids[i] for i in some]), vectors=images[some])
    frame = pd.DataFrame({"item_id": [ids[i] for i in some], "vector": [images[i].tolist() for i in some]})
    frame.to_parquet(tmp_path / "img.parquet")
    wide = pd.DataFrame(images[some], columns=[f"c{j}" for j in range(images.shape[1])])
    wide.insert(0, "item_id", [ids[i] for i in some])
    wide.to_csv(tmp_path / "img.csv", index=False)
    sources = [str(tmp_path / "img.npy"), tmp_path / "img.npz", str(tmp_path / "img.parquet"),
               str(tmp_path / "img.csv"), {ids[i]: images[i] for i in some}, frame,
               ([ids[i] for i in some], images[some])]
    blocks = []
    for src in sources:
        m = create("fusion", fusion="concat", encoder="hashing", image_vectors=src).fit(data)
        a, b = m.block_slices_["image"]
        blocks.append(m.item_vectors_[:, a:b])
        j = m.modalities_.index("image")
        dense = data.items.indices(ids)
        assert m.item_mask_[dense[some], j].all()
        assert not m.item_mask_[np.setdiff1d(dense, dense[some]), j].any()  # missing -> masked, zero block
        assert m.coverage_["image"] == pytest.approx(len(some) / data.n_items)
    for blk in blocks[1:]:
        np.testing.assert_allclose(blk, blocks[0], atol=1e-6)
    # from item_meta: an image_vector column, or an entry of the attributes
    meta = data.item_meta.copy()
    vec_of = {ids[i]: images[i].tolist() for i in some}
    meta["image_vector"] = [vec_of.get(r) for r in meta["item_id"]]
    with_col = Interactions(data.user, data.item, data.weight, data.timestamp, data.users, data.items, item_meta=meta)
    meta2 = data.item_meta.copy()
    meta2["attributes"] = [{"image_vector": vec_of[r]} if r in vec_of else {} for r in meta2["item_id"]]
    with_attr = Interactions(data.user, data.item, data.weight, data.timestamp, data.users, data.items,
                             item_meta=meta2)
    for d in (with_col, with_attr):
        m = create("fusion", fusion="concat", encoder="hashing").fit(d)
        a, b = m.block_slices_["image"]
        np.testing.assert_allclose(m.item_vectors_[:, a:b], blocks[0], atol=1e-6)
        assert not any(t.startswith("attr:image_vector") for t in m.attr_vocab_.vocab)

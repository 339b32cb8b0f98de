"""The item table of the sequence models: id embeddings plus the mean of side-feature token embeddings."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import torch

from shopmind.models.sequential.items import ItemTable, item_feature_tokens


def test_item_feature_tokens_category_paths_and_genres():
    meta = pd.DataFrame({"category": ["Beauty > Nails > Polish", "Beauty > Nails", "Comedy Drama", "Drama"]},
                        index=[0, 1, 2, 3])
    indptr, ids, n = item_feature_tokens(meta, 5, ("category",), min_count=2)
    # kept (on 2+ items): beauty, beauty>nails, drama
    assert n == 3
    assert np.diff(indptr).tolist() == [2, 2, 1, 1, 0]


def test_item_table_side_features_are_the_mean_of_their_tokens_with_gradients():
    indptr = np.array([0, 2, 2, 5, 6])  # item 1 has no tokens
    ids = np.array([0, 1, 1, 2, 3, 3])
    table = ItemTable(4, 3, indptr, ids, 4)
    w = table()
    feats = table.feats.weight
    expected = torch.stack([feats[[0, 1]].mean(0), torch.zeros(3), feats[[1, 2, 3]].mean(0), feats[3]])
    assert torch.allclose(w[1:] - table.ids.weight[1:], expected, atol=1e-6)
    assert torch.equal(w[0], torch.zeros(3))  # padding row
    (grad,) = torch.autograd.grad(w[3].sum(), feats)  # item 2 = row 3: a third of each of its tokens
    assert torch.allclose(grad.sum(1), torch.tensor([0.0, 1.0, 1.0, 1.0]), atol=1e-6)
    again = pickle.loads(pickle.dumps(table))
    assert "_feature_csr" not in again.__dict__  # the derived sparse matrices are not saved
    assert torch.equal(again(), w)

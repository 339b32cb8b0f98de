"""GRU4Rec: the GRU runs over real items only, whatever the left padding."""

from __future__ import annotations

import torch

from shopmind.models.gru4rec import GRU4Rec, GRU4RecNet
from shopmind.models.sequential.items import ItemTable


def test_left_padding_does_not_change_the_states_of_real_items():
    torch.manual_seed(0)
    net = GRU4RecNet(ItemTable(10, 8), 0, 8, n_layers=2, dropout=0.0).eval()
    table = net.table()
    with torch.no_grad():
        short = net.encode(torch.tensor([[3, 7, 2]]), None, table)
        padded = net.encode(torch.tensor([[0, 0, 3, 7, 2], [1, 2, 3, 4, 5]]), None, table)
    torch.testing.assert_close(padded[0, 2:], short[0])


def test_n_layers_stacks_gru_layers():
    assert GRU4Rec(n_layers=3)._build_net(ItemTable(5, 8), 0).gru.num_layers == 3

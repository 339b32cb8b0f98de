"""Server-side SVG charts."""

from __future__ import annotations

from shopmind.web.charts import bar_chart, line_chart, nice_max


def test_axis_tops_are_round_numbers():
    assert [nice_max(v) for v in (0, 0.7, 3, 18, 101)] == [1.0, 1.0, 5.0, 20.0, 200.0]


def test_labels_are_escaped_and_series_drawn():
    svg = line_chart(["a", "b", "c"], {"<script>": [1, 2, 3], "view": [0, 0, 5]}, title="t")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and svg.count("<polyline") == 2
    bars = bar_chart(["m1", "m2"], [0.2, 0.1])
    assert bars.count("<rect") == 2 and "0.2000" in bars

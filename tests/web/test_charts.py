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


def test_histograms_count_values_into_their_bins():
    from shopmind.web.charts import histogram

    svg = histogram([0.05, 0.15, 0.15, 0.95, 1.0, -1], [0, 0.5, 1.0], label_format="{:.0%}")
    assert svg.count("<rect") == 2 and ">0%: 4<" in svg and ">50%: 2<" in svg


def test_interval_bars_mark_intervals_that_exclude_zero():
    from shopmind.web.charts import COLOURS, interval_bar

    up = interval_bar(0.3, 0.1, 0.5, 0.05, 0.6)
    assert COLOURS[2] in up and up.count("<rect") == 1 and "<circle" in up
    unsure = interval_bar(0.1, -0.2, 0.4, None, None)
    assert COLOURS[0] in unsure and COLOURS[2] not in unsure
    assert "<circle" not in interval_bar(None, None, None)

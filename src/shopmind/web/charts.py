"""Charts drawn on the server as inline SVG (no chart library in the browser; they scale with the page).

>>> svg = line_chart(["05-01", "05-02"], {"view": [3, 5], "purchase": [0, 1]})
>>> svg.startswith("<svg") and "purchase" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from markupsafe import Markup, escape

#: Series colours (colour-blind safe, Okabe-Ito), reused in order.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (the top of the y axis)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def _fmt(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:g}M"
    if v >= 1000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], *, width: int = 760,
               height: int = 240, title: str = "") -> Markup:
    """Lines over shared x ``labels``, one per series, with a y axis from zero, up to 8 x ticks and a legend."""
    left, right, top, bottom = 48, 12, 12, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_max(max((max(v) for v in series.values() if len(v)), default=0))
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             'xmlns="http://www.w3.org/2000/svg">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for frac in (0, 0.25, 0.5, 0.75, 1):
        gy = y(peak * frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" class="tick">{_fmt(peak * frac)}'
                     "</text>")
    step = max(1, math.ceil(n / 8))
    for i in range(0, len(labels), step):
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="tick">'
                     f"{escape(labels[i])}</text>")
    for k, (name, values) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
                     f"<title>{escape(name)}</title></polyline>")
        lx = left + (k % 6) * 120
        ly = height - 18 + (k // 6) * 14
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{lx + 14}" y="{ly}" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(labels: Sequence[str], values: Sequence[float], *, width: int = 520, height: int = 24,
              value_format: str = "{:.4f}") -> Markup:
    """Horizontal bars, one row per label (a leaderboard at a glance)."""
    peak = max(values, default=0) or 1.0
    row, label_w, value_w = height, 110, 64
    bar_w = width - label_w - value_w
    total_h = row * len(labels) + 4
    parts = [f'<svg class="chart bars" viewBox="0 0 {width} {total_h}" xmlns="http://www.w3.org/2000/svg" '
             'role="img">']
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        by = i * row + 4
        w = max(1.0, bar_w * v / peak)
        parts.append(f'<text x="{label_w - 6}" y="{by + row * 0.6:.1f}" text-anchor="end" class="tick">'
                     f"{escape(label)}</text>")
        parts.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{row - 8}" fill="{COLOURS[0]}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{by + row * 0.6:.1f}" class="tick">'
                     f"{escape(value_format.format(v))}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(labels: Sequence[str], values: Sequence[float], *, width: int = 520, height: int = 200,
                 title: str = "", value_format: str = "{:,.0f}", colour: str = COLOURS[0]) -> Markup:
    """Vertical bars, one per label, with their values above them (a histogram, CTR by position)."""
    left, right, top, bottom = 8, 8, 18, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    peak = max(values, default=0) or 1.0
    slot = plot_w / n
    step = max(1, math.ceil(n / 12))
    parts = [f'<svg class="chart columns" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             'xmlns="http://www.w3.org/2000/svg">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" class="grid"/>')
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * max(float(v), 0.0) / peak
        bx = left + i * slot + slot * 0.12
        parts.append(f'<rect x="{bx:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.76:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{escape(label)}: {escape(value_format.format(v))}</title></rect>')
        if n <= 12 or i % step == 0:
            parts.append(f'<text x="{bx + slot * 0.38:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" '
                         f'class="tick">{escape(value_format.format(v))}</text>')
        if i % step == 0:
            parts.append(f'<text x="{bx + slot * 0.38:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                         f'class="tick">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(values: Sequence[float], edges: Sequence[float], *, label_format: str = "{:g}", title: str = "",
              width: int = 520, height: int = 200, colour: str = COLOURS[0]) -> Markup:
    """How many of ``values`` fall in each bin between consecutive ``edges`` (the last bin takes everything
    from its left edge up; values below the first edge go to the first bin), as a column chart."""
    bins = len(edges) - 1
    at = np.clip(np.searchsorted(np.asarray(edges, dtype=np.float64), np.asarray(values, dtype=np.float64),
                                 side="right") - 1, 0, bins - 1)
    counts = np.bincount(at, minlength=bins).tolist()
    labels = [label_format.format(e) for e in edges[:-1]]
    if labels:
        labels[-1] += "+" if edges[-1] == math.inf else ""
    return column_chart(labels, counts, width=width, height=height, title=title, colour=colour)


def interval_bar(estimate: float | None, low: float | None, high: float | None, outer_low: float | None = None,
                 outer_high: float | None = None, *, width: int = 220, height: int = 22) -> Markup:
    """One effect on its own axis, symmetric around zero (the dashed line): the inner interval as a thick bar,
    the outer (always-valid) interval as a thin line, the estimate as a dot. Missing ends are left out."""
    ends = [abs(v) for v in (estimate, low, high, outer_low, outer_high) if v is not None and math.isfinite(v)]
    span = max(ends, default=0.0) * 1.1 or 1.0
    pad = 6

    def x(v: float) -> float:
        return pad + (width - 2 * pad) * (v + span) / (2 * span)

    mid = height / 2
    colour = COLOURS[0]
    if low is not None and high is not None and (low > 0 or high < 0):
        colour = COLOURS[2] if low > 0 else COLOURS[3]
    parts = [f'<svg class="interval" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'xmlns="http://www.w3.org/2000/svg"><line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="1" y2="{height - 1}" '
             'stroke="#888" stroke-dasharray="2,2"/>']
    if outer_low is not None and outer_high is not None:
        lo, hi = max(outer_low, -span), min(outer_high, span)
        parts.append(f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{mid}" y2="{mid}" stroke="{colour}" '
                     'stroke-width="1.5" opacity=".6"/>')
    if low is not None and high is not None:
        parts.append(f'<rect x="{x(low):.1f}" y="{mid - 4}" width="{max(x(high) - x(low), 1.0):.1f}" height="8" '
                     f'fill="{colour}" opacity=".45"/>')
    if estimate is not None:
        parts.append(f'<circle cx="{x(estimate):.1f}" cy="{mid}" r="4" fill="{colour}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))

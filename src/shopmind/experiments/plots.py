"""PNG charts of an experiment: the effect and its intervals over time (matplotlib's Agg canvas)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def effect_over_time(timeline: Sequence[Mapping[str, Any]], out: Path, title: str = "effect over time") -> Path:
    """The cumulative effect per day with its fixed-horizon 95% interval (valid only at a planned end) and the
    always-valid confidence sequence (valid at every look)."""
    # lazy: matplotlib takes a second to import; only reports draw
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for treatment in dict.fromkeys(r["treatment"] for r in timeline):
        rows = [r for r in timeline if r["treatment"] == treatment]
        x = list(range(1, len(rows) + 1))
        ax.plot(x, [r["estimate"] for r in rows], marker="o", label=f"{treatment} - control")
        ax.fill_between(x, [r["ci_low"] for r in rows], [r["ci_high"] for r in rows], alpha=0.25,
                        label="fixed-horizon 95% CI")
        ax.plot(x, [r["cs_low"] for r in rows], "k--", lw=1, label="always-valid 95% CS")
        ax.plot(x, [r["cs_high"] for r in rows], "k--", lw=1)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("day")
    ax.set_ylabel("effect")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out

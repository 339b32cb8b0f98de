"""PNG chart of a bandit simulation: cumulative regret per policy (matplotlib's Agg canvas)."""

from __future__ import annotations

from pathlib import Path

from shopmind.marketing.bandits import SimulationRun


def regret_curves(run: SimulationRun, out: Path, title: str | None = None) -> Path:
    # lazy: matplotlib takes a second to import; only reports draw
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for name, curve in run.curves.items():
        ax.plot(run.checkpoints, curve, label=f"{name} ({run.regret[name]:,.0f})")
    ax.set_xlabel("round")
    ax.set_ylabel("cumulative regret (expected clicks lost)")
    ax.set_title(title or f"bandits on '{run.environment}', {run.rounds:,} rounds")
    ax.legend(loc="upper left", fontsize=9)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out

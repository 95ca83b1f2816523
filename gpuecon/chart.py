"""The One Chart (matplotlib): project IRR against rent, the hurdle floor and the value ceiling."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .engine.model import OneChart


def draw_one_chart(data: OneChart, path: str | Path) -> Path:
    """Draw ``data`` to a PNG at ``path``; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=120)
    ax.plot(data.rents_usd_per_gpu_hour, data.irr_annual * 100, color="tab:orange", lw=2.2,
            label="Project IRR at today's system price")
    if data.headroom_frac > 0:
        ax.plot(data.rents_usd_per_gpu_hour, data.repriced_irr_annual * 100, color="grey", lw=1.6, ls="--",
                label=f"System price +{data.headroom_frac:.0%} (top-left corner)")
    ax.axhline(data.hurdle_irr_annual * 100, color="tan", lw=1.5, label=f"Hurdle IRR {data.hurdle_irr_annual:.1%}")
    ax.axvline(data.ceiling_usd_per_gpu_hour, color="tab:blue", lw=1.5,
               label=f"Ceiling \\${data.ceiling_usd_per_gpu_hour:.2f}/h (\\${data.usd_per_pflop_hour:.2f}/PFLOP-h {data.basis})")
    ax.axvline(data.floor_usd_per_gpu_hour, color="tab:green", lw=1.2, ls=":",
               label=f"Floor \\${data.floor_usd_per_gpu_hour:.2f}/h at the hurdle")
    ax.scatter([data.floor_usd_per_gpu_hour], [data.hurdle_irr_annual * 100], color="tab:green", zorder=5)
    if data.headroom_frac > 0:
        ax.scatter([data.ceiling_usd_per_gpu_hour], [data.hurdle_irr_annual * 100], color="grey", marker="s", zorder=5)
        ax.annotate("top-left corner: max system price", (data.ceiling_usd_per_gpu_hour, data.hurdle_irr_annual * 100),
                    textcoords="offset points", xytext=(-160, 14), fontsize=8, color="dimgrey")
    ax.set_xlabel("Rent, USD per GPU-hour")
    ax.set_ylabel("Project IRR, % a year")
    ax.set_title(f"One Chart: {data.system}")
    top = max(float(np.nanmax(data.irr_annual)) * 100 if np.isfinite(data.irr_annual).any() else 50, data.hurdle_irr_annual * 100 + 10)
    ax.set_ylim(-20, min(top, 150))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path

"""Charts for the decision commands (matplotlib): the tornado and the $/PFLOP trend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..chart import save_png
from ..engine.trend import PflopTrend

#: how each tornado output is labelled and scaled for the axis
_OUTPUT_LABELS = {"floor": ("Floor rent, USD per GPU-hour", 1.0), "tco": ("TCO, USD per GPU-hour", 1.0),
                  "irr": ("Project IRR, % a year", 100.0), "equity_irr": ("Equity IRR, % a year", 100.0)}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_tornado(table: pd.DataFrame, system: str, path: str | Path) -> Path:
    """A tornado chart of a :func:`gpuecon.engine.decisions.sensitivity` table to ``path``; returns the path.

    One horizontal bar per input, largest swing on top: from the base output to the output with
    the input at its low value (blue) and at its high value (orange).
    """
    plt = _pyplot()
    path = Path(path)
    output = table.attrs.get("output", "floor")
    label, scale = _OUTPUT_LABELS.get(output, (output, 1.0))
    base = float(table.attrs.get("base", np.nan)) * scale
    rows = table.iloc[::-1]  # largest swing at the top
    n = len(rows)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.38 * max(n, 1)), dpi=120)
    y = np.arange(n)
    low = rows["output_at_low"].to_numpy(float) * scale
    high = rows["output_at_high"].to_numpy(float) * scale
    ax.barh(y, np.nan_to_num(low - base), left=base, color="tab:blue", alpha=0.85,
            label=f"input {1 - table.attrs.get('swing_frac', 0.2):.0%} of its value (low)")
    ax.barh(y, np.nan_to_num(high - base), left=base, color="tab:orange", alpha=0.85,
            label=f"input {1 + table.attrs.get('swing_frac', 0.2):.0%} of its value (high)")
    ax.axvline(base, color="black", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r.input}  ({r.low:,.6g} / {r.high:,.6g})" for r in rows.itertuples(index=False)], fontsize=8)
    ax.set_xlabel(label)
    ax.set_title(f"Tornado: {system}, {output} (base {base:.4g})")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return save_png(fig, path)


def draw_trend(trend: PflopTrend, path: str | Path) -> Path:
    """The $/PFLOP-hour trend to ``path`` (log scale): the public rents, the fit, each system's floor and ceiling."""
    plt = _pyplot()
    path = Path(path)
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=120)
    pts, sysf = trend.points, trend.systems
    years = np.concatenate([pts["launch_year"].to_numpy(float), sysf["launch_year"].to_numpy(float) if len(sysf) else []])
    span = np.linspace(years.min() - 0.5, max(years.max(), trend.year) + 0.5, 50)
    ax.plot(span, trend.at(span), color="grey", lw=1.6, ls="--",
            label=f"trend: -{trend.annual_decline_frac:.1%} a year")
    ax.scatter(pts["launch_year"], pts["usd_per_pflop_hour"], color="tab:blue", zorder=5, label="public rent / PFLOPS")
    for r in pts.itertuples(index=False):
        ax.annotate(str(r.system), (r.launch_year, r.usd_per_pflop_hour), textcoords="offset points", xytext=(6, 4),
                    fontsize=7, color="tab:blue")
    if len(sysf):
        ax.scatter(sysf["launch_year"], sysf["floor_usd_per_pflop_hour"], color="tab:green", marker="v", zorder=4,
                   label="floor rent / PFLOPS (at the hurdle)")
        for r in sysf.itertuples(index=False):
            ax.annotate(str(r.system), (r.launch_year, r.floor_usd_per_pflop_hour), textcoords="offset points",
                        xytext=(6, -9), fontsize=7, color="tab:green")
        ax.scatter(sysf["launch_year"], sysf["ceiling_usd_per_pflop_hour"], color="tab:red", marker="_", s=120, zorder=4,
                   label="ceiling rent / PFLOPS (the reference price)")
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"\\${v:.2f}"))
    ax.set_xlabel("Launch year (first customer shipments)")
    ax.set_ylabel(f"USD per PFLOP-hour ({trend.basis} dense)")
    ax.set_title(f"\\$/PFLOP-hour trend ({trend.basis}); {trend.year:g} on trend: "
                 f"\\${trend.fitted_usd_per_pflop_hour:.2f}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper right", fontsize=8)
    return save_png(fig, path)

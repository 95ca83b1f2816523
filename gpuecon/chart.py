"""The One Chart (matplotlib): project IRR against rent, the hurdle floor and the value ceiling."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .engine.model import OneChart


def save_png(fig, path: str | Path) -> Path:
    """Lay out, write and close a matplotlib figure (the end of every chart); returns the path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


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
    return save_png(fig, path)


def draw_debt_chart(a, rent_usd_per_gpu_hour: float, path: str | Path, *, covenant_ltv: float | None = None,
                    **debt) -> Path:
    """A lender's chart to a PNG: loan balance, market value and book value over the GPU's life.

    The loan is :func:`gpuecon.engine.financing.debt_schedule` (``debt``: its keywords), the market
    value :func:`gpuecon.engine.valuation.gpu_value` at each month's age (rent and discount rate as
    the assumptions give them) and the book value straight-line. The covenant line is
    ``covenant_ltv x market value`` (default: the loan's LTV at origination): the balance should
    stay below it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .engine import financing, valuation

    path = Path(path)
    sched = financing.debt_schedule(a, rent_usd_per_gpu_hour, **debt)
    life_months = float(np.asarray(a.useful_life_years)) * 12.0
    months = np.arange(0.0, np.floor(life_months) + 1.0)
    ages = months / 12.0
    market = np.asarray(valuation.gpu_value(a, ages, rent_usd_per_gpu_hour), float)
    book = np.asarray(valuation.book_value(a, ages, "SL"), float)
    balance = np.zeros(months.size)
    k = min(months.size, len(sched))
    balance[:k] = sched["closing_balance_usd"].to_numpy()[:k]
    loan0 = float(sched["closing_balance_usd"].iloc[0])
    ltv0 = covenant_ltv if covenant_ltv is not None else (loan0 / market[0] if market[0] > 0 else np.nan)
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=120)
    ax.plot(ages, market / 1000, color="tab:blue", lw=2.0, label="Market value (rent it can still earn, discounted)")
    ax.plot(ages, book / 1000, color="grey", lw=1.5, ls="--", label="Book value (straight-line)")
    ax.plot(ages, balance / 1000, color="tab:red", lw=2.0, label="Loan balance")
    ax.plot(ages, ltv0 * market / 1000, color="tab:red", lw=1.0, ls=":", label=f"Covenant: {ltv0:.0%} of market value")
    ax.set_xlabel("Age of the GPU, years")
    ax.set_ylabel("USD thousands per GPU")
    name = a.system.name if a.system is not None else "custom"
    ax.set_title(f"Collateral: {name} at ${rent_usd_per_gpu_hour:.2f}/GPU-hr")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return save_png(fig, path)

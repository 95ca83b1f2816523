"""The project's monthly cash-flow schedule, line by line (one scenario): what the Model (native)
sheet of the template shows, and what :func:`gpuecon.engine.project.cash_flows` sums to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .assumptions import as_assumptions
from .project import cash_flows, check_rent, project_terms

__all__ = ["SCHEDULE_COLUMNS", "project_schedule"]

#: column -> what it holds (USD per GPU unless said; signs: inflows +, outflows -)
SCHEDULE_COLUMNS = {
    "month": "month, 0 = signing",
    "billed": "1 in a billed month (after the lag, up to the horizon), else 0",
    "depreciated_share": "share of a month's straight-line depreciation (the stub month pro-rated)",
    "capex_usd": "-all-in capex at month 0",
    "prepay_usd": "prepay at signing",
    "rent_revenue_usd": "rent billed in the month (after the prepay share)",
    "opex_usd": "-opex in a billed month; -colocation in a lag month",
    "depreciation_usd": "tax depreciation (not a cash flow)",
    "residual_usd": "resale value at the horizon",
    "tax_usd": "-tax on prepay + revenue + opex - depreciation + gain on sale",
    "net_usd": "net cash flow: capex + prepay + revenue + opex + residual + tax",
    "net_per_rent": "net cash flow per 1 USD/GPU-hr of rent",
    "net_excl_rent_usd": "net cash flow at zero rent",
}


def project_schedule(system=None, /, rent_usd_per_gpu_hour=None, months: int | None = None,
                     **overrides) -> pd.DataFrame:
    """The monthly schedule of one scenario, one row per month 0..``months`` (default: the horizon).

    Each line as docs/model.md states it; months past the horizon are zero. ``net_usd`` equals
    :func:`~gpuecon.engine.project.cash_flows` month by month, and ``net_usd = net_excl_rent_usd +
    rent x net_per_rent`` (the flows are linear in rent). Excel: the Model (native) sheet, columns
    F:R of ``workbooks/gpuecon_model.xlsx``.

    Parameters
    ----------
    system : str, System, Assumptions or None
        A catalog system, or None with the figures in ``overrides``.
    rent_usd_per_gpu_hour : float
        Rent, USD per GPU-hour.
    months : int, optional
        Last month shown (zeros past the horizon); default the horizon (lag + term).
    **overrides
        Assumption fields.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCHEDULE_COLUMNS`.

    Raises
    ------
    GpueconError
        A bad field or rent, or several scenarios (the schedule is for one).

    Examples
    --------
    >>> s = project_schedule("VR NVL72", 8.0)
    >>> len(s), float(s.net_usd[0]), round(float(s.net_usd[1]), 3)  # -capex + prepay, then a billed month
    (61, -69360.0, 4019.056)
    """
    from .errors import GpueconError

    a = as_assumptions(system, **overrides)
    rent = float(check_rent(rent_usd_per_gpu_hour))
    t = project_terms(a)
    fields = {k: np.asarray(getattr(t, k), float) for k in ("capex", "L", "N", "tax", "prepay_per_rent",
                                                               "monthly_per_rent", "opex_month", "lag_cost_month",
                                                               "dep_month", "dep_whole_months", "dep_stub_frac",
                                                               "book_end")}
    if any(v.size != 1 for v in fields.values()):
        raise GpueconError("system", "several scenarios", "one scenario", "project_schedule is for one scenario")
    v = {k: float(x) for k, x in fields.items()}
    residual = float(np.asarray(a.residual_value_frac_capex, float)) * v["capex"]
    L, N = v["L"], v["N"]
    m = np.arange((int(N) if months is None else int(months)) + 1, dtype=float)
    billed = ((m > L) & (m <= N)).astype(float)
    d_end = L + v["dep_whole_months"]
    dep_share = np.where((m > L) & (m <= d_end), 1.0, np.where((m == d_end + 1) & (m <= N), v["dep_stub_frac"], 0.0))
    capex = np.where(m == 0, -v["capex"], 0.0)
    prepay = np.where(m == 0, rent * v["prepay_per_rent"], 0.0)
    revenue = billed * rent * v["monthly_per_rent"]
    opex = -billed * v["opex_month"] - ((m >= 1) & (m <= L)) * v["lag_cost_month"]
    dep = dep_share * v["dep_month"]
    resid = np.where(m == N, residual, 0.0)
    gain = np.where(m == N, residual - v["book_end"], 0.0)
    tax = -v["tax"] * (prepay + revenue + opex - dep + gain)
    per_rent = (1.0 - v["tax"]) * (np.where(m == 0, v["prepay_per_rent"], 0.0) + billed * v["monthly_per_rent"])
    excl = capex + opex + resid - v["tax"] * (opex - dep + gain)
    net = np.zeros(m.size)
    cf = np.asarray(cash_flows(a, rent), float).reshape(-1)[: m.size]
    net[: cf.size] = cf  # the engine's flows (closed-form levels), equal to the lines' sum
    return pd.DataFrame({"month": m, "billed": billed, "depreciated_share": dep_share, "capex_usd": capex,
                         "prepay_usd": prepay, "rent_revenue_usd": revenue, "opex_usd": opex,
                         "depreciation_usd": dep, "residual_usd": resid, "tax_usd": tax, "net_usd": net,
                         "net_per_rent": per_rent, "net_excl_rent_usd": excl})

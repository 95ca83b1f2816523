"""Debt sizing (max LTV at a minimum DSCR) and payback of the project flows.

Vectorized over scenario rows like :mod:`gpuecon.financing`; formulas and Excel equivalents
in docs/financing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import as_assumptions
from .finance import monthly_rate
from .financing_core import run, setup
from .financing_inputs import check, debt_terms
from .model import cash_flows, project_terms
from .project import check_rent


@dataclass(frozen=True)
class MaxLTV:
    """Largest loan per scenario at which every month with debt service keeps DSCR >= the target.

    ``frac``: loan / all-in capex (may exceed 1: the cash flows carry more debt than the capex;
    ``debt_ltv_frac`` itself must be < 1); ``loan_usd``; ``binding_month``: the month whose DSCR
    limits the loan (NaN where nothing binds); ``reason``: "" or why the number is 0 or above 1.
    """

    frac: np.ndarray
    loan_usd: np.ndarray
    binding_month: np.ndarray
    reason: np.ndarray


def max_ltv_detail(system=None, /, rent_usd_per_gpu_hour=None, *, debt_rate_annual=None, debt_tenor_years=None,
                   debt_amortization="level", debt_min_dscr=None, debt_lag_interest="paid",
                   **overrides) -> MaxLTV:
    """Max LTV at ``debt_min_dscr`` (default 1.20) with the month that binds and a reason.

    Level, straight and bullet: the debt service is linear in the loan, ``DS_t = D0 × f_t``
    (``f_t`` the schedule of a loan of 1), so ``D0_max = min_t CFADS_t / (target × f_t)`` over the
    months with ``f_t > 0``, and 0 if any such month has ``CFADS_t <= 0``. For level amortisation
    with interest paid from month 1, ``f_t = CRF(i, n) = 1 / A(i, n)``:
    ``D0_max = A(i, n) × min_{1<=t<=n} CFADS_t / target`` (Excel ``=PV(rate/12, n, -MIN(cfads)/target)``).
    Sculpted (``c_t = CFADS_t / target``, ``PV_t = Σ_{u<=t} c_u (1+i)^−u``): the loan must be repaid
    by maturity, ``D0 <= max_{t<=n} PV_t``, and in each month either already repaid or paying its
    interest out of ``c_t``: ``D0 <= PV_{t−1} + c_t / (i (1+i)^(t−1))`` (no negative amortisation).
    ``frac = D0_max / capex``.

    >>> d = max_ltv_detail("H100", 2.0)
    >>> round(float(d.frac), 4), int(d.binding_month)
    (0.6325, 1)
    """
    a = as_assumptions(system, **overrides)
    debt = debt_terms(0.0, debt_rate_annual, debt_tenor_years, debt_amortization, debt_min_dscr, debt_lag_interest,
                      assumptions=a)
    shape, a, r, cfads = setup(a, rent_usd_per_gpu_hour, debt, {})
    rows, width = cfads.shape
    i, n, target = r["i"], r["n"], r["dscr"]
    s = r["L"] if debt.lag_interest == "capitalised" else np.zeros(rows)
    if debt.amortization != "sculpted":
        unit = run(np.ones(rows), i, n, s, debt.amortization, cfads, target)["service"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.where(unit > 0, np.maximum(cfads, 0.0) / (target[:, None] * unit), np.inf)
        loan = ratio.min(axis=1)
        bind = np.argmax(ratio <= loan[:, None] * (1.0 + 1e-12), axis=1)  # the first month that binds
    else:
        loan, bind = _sculpted_max(cfads / target[:, None], i, n, s)
    bind = np.where(np.isfinite(loan), bind, -1)
    loan = np.where(np.isfinite(loan), loan, np.nan)
    frac = loan / r["capex"]
    reason = np.full(rows, "", dtype=object)
    for k in np.flatnonzero(loan <= 0):
        t = int(bind[k])
        text = (f"no loan meets DSCR >= {target[k]:g}: CFADS is {cfads[k, t]:,.0f} USD in month {t}, "
                "a month with debt service")
        if t <= r["L"][k]:
            text += " (deployment lag: interest is paid from month 1; debt_lag_interest='capitalised' defers it)"
        elif t > r["N"][k]:
            text += " (after the project's horizon: the loan outlasts the contract)"
        reason[k] = text
    for k in np.flatnonzero(frac >= 1):
        reason[k] = (f"above 1 ({frac[k]:.3g}): the cash flows carry a loan larger than the capex at DSCR "
                     f"{target[k]:g}; debt_ltv_frac itself must be < 1")
    month = np.where(bind >= 0, bind.astype(float), np.nan)
    return MaxLTV(frac.reshape(shape), loan.reshape(shape), month.reshape(shape), reason.reshape(shape))


def _sculpted_max(c: np.ndarray, i: np.ndarray, n: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest sculpted loan and its binding month (see :func:`max_ltv_detail`), one pass over months."""
    rows, width = c.shape
    pv = np.zeros(rows)
    runmax = np.zeros(rows)
    runmax_at = np.maximum(s, 0.0)  # month at which the running max of PV was reached
    best = np.full(rows, np.inf)
    at = np.full(rows, -1.0)
    for t in range(1, width):
        act = (t > s) & (t <= n)
        ct = c[:, t]
        growth = np.power(1.0 + i, t - 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            interest_bound = np.where(i > 0, pv + ct / (i * growth), np.inf)
        bound = np.where(ct > 0, np.maximum(interest_bound, runmax), runmax)
        month = np.where((ct > 0) & (interest_bound >= runmax), t, runmax_at)
        lower = act & (bound < best)
        best = np.where(lower, bound, best)
        at = np.where(lower, month, at)
        pv = np.where(act, pv + ct / (growth * (1.0 + i)), pv)
        up = act & (pv > runmax)
        runmax = np.where(up, pv, runmax)
        runmax_at = np.where(up, t, runmax_at)
    lower = runmax < best
    best = np.where(lower, runmax, best)
    at = np.where(lower, runmax_at, at)
    return best, at.astype(int)


def max_ltv(system=None, /, rent_usd_per_gpu_hour=None, *, debt_rate_annual=None, debt_tenor_years=None,
            debt_amortization="level", debt_min_dscr=None, debt_lag_interest="paid", **overrides) -> np.ndarray:
    """Max LTV (loan / all-in capex) at which DSCR >= ``debt_min_dscr`` in every month with debt service.

    Formulas: :func:`max_ltv_detail`. Level loan, interest paid from month 1:
    ``ltv_max = A(rate/12, n) × min_t CFADS_t / (target × capex)``; Excel
    ``=PV(rate/12, n, -MIN(cfads)/target)/capex``.

    >>> round(float(max_ltv("H100", 2.0)), 4)
    0.6325
    """
    return max_ltv_detail(system, rent_usd_per_gpu_hour, debt_rate_annual=debt_rate_annual,
                          debt_tenor_years=debt_tenor_years, debt_amortization=debt_amortization,
                          debt_min_dscr=debt_min_dscr, debt_lag_interest=debt_lag_interest, **overrides).frac


@dataclass(frozen=True)
class Payback:
    """Payback month per scenario (NaN where none within the horizon) and why ("" where found)."""

    months: np.ndarray
    reason: np.ndarray


def payback_detail(system=None, /, rent_usd_per_gpu_hour=None, rate_annual=None, **overrides) -> Payback:
    """Months until the cumulative project cash flow first reaches >= 0 at a month end.

    ``payback = min{t : Σ_{u<=t} CF_u v^u >= 0}``, t in 0..N, ``v = 1/(1+m)``,
    ``m = (1+rate_annual)^(1/12) − 1`` when a rate is given (discounted payback), ``v = 1``
    otherwise; CF the project flows of :func:`gpuecon.model.cash_flows` (prepay in month 0).
    A cumulative sum within 1e-9 × capex of 0 counts as reached (rounding). None within the
    horizon: NaN with the reason. Excel: ``=MATCH(TRUE, INDEX(cum>=0,0), 0)-1`` over a cumulative
    column ``=SUM($B$1:B1)`` (discounted: ``=B1/(1+m)^A1``).

    >>> d = payback_detail("H100", 2.0)
    >>> float(d.months), str(d.reason)
    (37.0, '')
    """
    a = as_assumptions(system, **overrides)
    cf = cash_flows(a, check_rent(rent_usd_per_gpu_hour))
    t = project_terms(a)
    rate = None if rate_annual is None else check("rate_annual", rate_annual)
    shape = np.broadcast_shapes(cf.shape[:-1], np.shape(rate) if rate is not None else ())
    size = int(np.prod(shape))
    width = cf.shape[-1]
    flows = np.broadcast_to(cf, shape + (width,)).reshape(size, width)
    N = np.broadcast_to(t.N, shape).reshape(size)
    capex = np.broadcast_to(t.capex, shape).reshape(size)
    months = np.arange(width)
    if rate is not None:
        m = np.broadcast_to(monthly_rate(rate), shape).reshape(size)
        flows = flows * np.power(1.0 + m[:, None], -months[None, :])
    cum = np.cumsum(flows, axis=1)
    ok = (cum >= -1e-9 * capex[:, None]) & (months[None, :] <= N[:, None])
    found = ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    out = np.where(found, first.astype(float), np.nan)
    reason = np.full(size, "", dtype=object)
    for k in np.flatnonzero(~found):
        how = "" if rate is None else f" (discounted at {float(np.broadcast_to(rate, shape).reshape(size)[k]):.1%} a year)"
        end = float(cum[k, int(N[k])])
        reason[k] = (f"no payback within the {int(N[k])}-month horizon: the cumulative cash flow{how} is "
                     f"{'-$' if end < 0 else '$'}{abs(end):,.0f} per GPU at month {int(N[k])}")
    return Payback(out.reshape(shape), reason.reshape(shape))


def payback_months(system=None, /, rent_usd_per_gpu_hour=None, rate_annual=None, **overrides) -> np.ndarray:
    """Payback in months (NaN where none within the horizon; reason in :func:`payback_detail`).

    Simple payback without ``rate_annual``; discounted at the annual effective ``rate_annual``
    with it. Excel: ``=MATCH(TRUE, INDEX(cum>=0,0), 0)-1``.

    >>> float(payback_months("H100", 2.0)), float(payback_months("H100", 2.0, 0.156))
    (37.0, 49.0)
    """
    return payback_detail(system, rent_usd_per_gpu_hour, rate_annual, **overrides).months

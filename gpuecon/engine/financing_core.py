"""The debt engine's core: inputs flattened to scenario rows, the month loop, equity flows.

Private to the financing modules (:mod:`gpuecon.financing`, :mod:`gpuecon.financing_sizing`);
conventions in docs/financing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import Assumptions, as_assumptions
from .errors import GpueconError
from .finance import annuity_factor, choose
from .financing_inputs import DebtTerms
from .model import cash_flows, project_terms
from .project import check_rent


@dataclass(frozen=True)
class DebtSchedule:
    """A loan schedule and the equity flows, per scenario row, months 0..H (columns).

    ``H = max(project horizon N, tenor months n)``; months after a row's horizon have CFADS 0.
    Arrays of flows have shape ``scenarios + (H + 1,)``; ``loan_usd`` etc. have the scenario shape.
    Signs: balances, interest, principal and debt service are positive amounts; ``cfads_usd`` and
    ``equity_usd`` are cash flows (+ in, − out) as in :func:`gpuecon.model.cash_flows`.
    """

    month: np.ndarray  # 0..H
    loan_usd: np.ndarray  # drawn at month 0
    capex_usd: np.ndarray
    horizon_months: np.ndarray  # project horizon N = lag + term
    tenor_months: np.ndarray
    opening_usd: np.ndarray
    interest_usd: np.ndarray  # accrued in the month (paid, or capitalised during the lag)
    capitalised_usd: np.ndarray  # interest added to the balance (lag months under 'capitalised')
    principal_usd: np.ndarray
    debt_service_usd: np.ndarray  # interest paid + principal
    closing_usd: np.ndarray
    cfads_usd: np.ndarray  # project cash flow before financing
    dscr: np.ndarray  # CFADS / debt service; NaN where no debt service
    tax_shield_usd: np.ndarray  # tax_rate x interest accrued
    equity_usd: np.ndarray  # CFADS + loan (month 0) − debt service + tax shield


def setup(system, rent, debt: DebtTerms, overrides, terms=None) -> tuple[tuple, Assumptions, dict, np.ndarray]:
    """Assumptions, flat per-row inputs and the padded project flows (rows x months).

    ``terms``: the :func:`~gpuecon.model.project_terms` of the assumptions when the caller has them.
    """
    a = as_assumptions(system, **overrides)
    cf = cash_flows(a, check_rent(rent))
    t = project_terms(a) if terms is None else terms
    values = (t.capex, t.tax, t.N, t.L, debt.ltv_frac, debt.rate_monthly, debt.tenor_months, debt.min_dscr)
    if cf.ndim == 1 and all(np.ndim(x) == 0 for x in values):  # one scenario: one small array, rows as views
        shape, size = (), 1
        flat_values = np.array(values, dtype=float)[:, None]
    else:
        shape = np.broadcast_shapes(cf.shape[:-1], *(np.shape(x) for x in values[4:]))
        size = int(np.prod(shape))

        def flat(x):
            x = np.asarray(x, float)
            return (x if x.shape == shape else np.broadcast_to(x, shape)).reshape(size)

        flat_values = [flat(x) for x in values]
    rows = dict(zip(("capex", "tax", "N", "L", "ltv", "i", "n", "dscr"), flat_values, strict=True))
    cf2 = np.broadcast_to(cf, shape + cf.shape[-1:]).reshape(size, cf.shape[-1])
    if debt.lag_interest == "capitalised":
        bad = rows["n"] <= rows["L"]
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise GpueconError("debt_tenor_years", float(rows["n"][k]) / 12.0, "longer than the deployment lag",
                               f"debt_tenor_years ({rows['n'][k] / 12:g} years) must be longer than the "
                               f"deployment lag ({rows['L'][k]:g} months) when interest during the lag is capitalised")
    H = int(max(cf2.shape[1] - 1, rows["n"].max(initial=0)))
    by_month = np.zeros((H + 1, size))  # month-major in memory, as the schedule's arrays
    by_month[:cf2.shape[1]] = cf2.T
    return shape, a, rows, by_month.T


_MONTHS: dict[int, np.ndarray] = {}


def _months(width: int) -> np.ndarray:
    """Months 0..width-1 as a float column (width x 1), cached per width (read-only)."""
    m = _MONTHS.get(width)
    if m is None:
        m = np.arange(width, dtype=float)[:, None]
        m.flags.writeable = False
        _MONTHS[width] = m
    return m


def balances(loan, i, n, s, method: str, width: int) -> np.ndarray:
    """Closing balance ``B_t`` of a level, straight or bullet loan, months 0..width-1 (months x rows).

    Closed forms, vectorized over rows and months (no month loop). Lag months ``t <= s``
    (capitalised interest): ``B_t = D0 (1+i)^t``. With ``k = n − s`` payments and ``q = n − t``
    left after month t (``s < t <= n``): level ``B_t = B_s A(i, q) / A(i, k)`` (the present value
    of the payments left, A the annuity factor; Excel ``=PV(i, q, -PMT(i, k, -B_s))``), straight
    ``B_t = B_s q / k``, bullet ``B_t = B_s`` until n. ``B_t = 0`` from n on, and where a rounding
    residue ``<= 1e-10 D0`` is left.
    """
    t = _months(width)
    k = np.maximum(n - s, 1.0)
    q = np.minimum(np.maximum(n - t, 0.0), k)  # payments left after month t (all k of them up to month s)
    if method == "level":
        frac = annuity_factor(i, q) / annuity_factor(i, k)
    elif method == "straight":
        frac = q / k
    else:  # bullet
        frac = np.where(q > 0, 1.0, 0.0)
    B = frac * (np.power(1.0 + i, np.minimum(t, s)) * loan if np.any(s > 0) else loan)
    B *= B > 1e-10 * loan  # repaid (a rounding residue is not a balance); masks, not np.where: faster
    return B


def run(loan, i, n, s, method: str, cfads, dmin, equity_tax=None) -> dict[str, np.ndarray]:
    """The schedule, vectorized over rows (arrays rows x months, month-major in memory).

    ``s``: months of capitalised interest before amortisation starts (0 when interest is paid
    from month 1). Amortising months s+1..n: level (annuity on the balance at s), straight
    (equal principal), bullet (interest only, principal at n): the balances of :func:`balances`,
    and in month t ``interest = i B_{t−1}``, ``principal = B_{t−1} − B_t``, ``service = interest +
    principal`` (months s+1..n; lag months capitalise the interest). Sculpted (principal =
    CFADS/DSCR target − interest, floored at 0; the balance left at n is paid at n) depends on the
    path: one pass over months (:func:`_run_sculpted`). With ``equity_tax`` (the tax rate per row)
    only the equity flows are kept, written over ``cfads`` in place (months 1..H: CFADS − debt
    service + tax × interest; month 0 is left to the caller).
    """
    if method == "sculpted":
        return _run_sculpted(loan, i, n, s, cfads, dmin, equity_tax)
    rows, width = cfads.shape
    flows = cfads.T  # months x rows
    names = ("opening", "interest", "capitalised", "principal", "service", "closing") if equity_tax is None else ()
    out = {k: np.empty((width, rows)) for k in names}  # months x rows
    for a in range(0, rows, _CHUNK_ROWS):  # blocks of rows small enough for the CPU cache
        b = a + _CHUNK_ROWS
        part = {k: v[:, a:b] for k, v in out.items()}
        _closed_form(loan[a:b], i[a:b], n[a:b], s[a:b], method, flows[:, a:b],
                     None if equity_tax is None else equity_tax[a:b], part)
    return {k: v.T for k, v in out.items()} if names else {"equity": cfads}


_CHUNK_ROWS = 1024


def _closed_form(loan, i, n, s, method: str, flows, equity_tax, out: dict[str, np.ndarray]) -> None:
    """:func:`run` for level, straight and bullet loans on a block of rows (months x rows), in place."""
    width = flows.shape[0]
    closing = balances(loan, i, n, s, method, width)
    opening = np.empty_like(closing)
    opening[0] = 0.0
    opening[1:] = closing[:-1]
    interest = i * opening
    t = _months(width)
    active = (t > s) & (t <= n)
    principal = opening - closing
    principal *= active
    service = interest + principal
    service *= active
    if equity_tax is not None:
        flows += equity_tax * interest - service
        return
    out["opening"][:] = opening
    out["interest"][:] = interest
    out["capitalised"][:] = interest * (t <= s)
    out["principal"][:] = principal
    out["service"][:] = service
    out["closing"][:] = closing


def _run_sculpted(loan, i, n, s, cfads, dmin, equity_tax=None) -> dict[str, np.ndarray]:
    """The sculpted schedule (see :func:`run`): one pass over months 1..H, vectorized over rows."""
    rows, width = cfads.shape
    one = rows == 1  # one scenario: the same loop on numpy scalars instead of 1-element arrays
    names = ("opening", "interest", "capitalised", "principal", "service", "closing") if equity_tax is None else ()
    out = {k: np.zeros((width, rows)).T for k in names}  # rows x months, month-major in memory
    at = {k: v[0] if one else v.T for k, v in out.items()}  # at[k][t]: month t of every row (views)
    flows = cfads[0] if one else cfads.T
    if one:
        loan, i, n, s, dmin = (x[0] for x in (loan, i, n, s, dmin))
        equity_tax = None if equity_tax is None else equity_tax[0]
    B = loan.astype(float)
    if names:
        at["closing"][0] = B
    for t in range(1, width):
        interest = i * B
        active = (t > s) & (t <= n)
        P = np.maximum(flows[t] / dmin - interest, 0.0)
        P = choose(t == n, B, np.minimum(P, B))
        P = choose(active, P, 0.0)
        cap = choose(t <= s, interest, 0.0)
        service = choose(active, interest + P, 0.0)
        if names:
            at["opening"][t] = B
            at["interest"][t] = interest
            at["capitalised"][t] = cap
            at["principal"][t] = P
            at["service"][t] = service
        else:
            flows[t] += equity_tax * interest - service
        B = B + cap - P
        B = choose(B <= 1e-10 * loan, 0.0, B)  # repaid (a rounding residue is not a balance)
        if names:
            at["closing"][t] = B
    return out if names else {"equity": cfads}


def schedule_flat(system, rent, debt: DebtTerms, overrides):
    shape, a, r, cfads = setup(system, rent, debt, overrides)
    loan = r["ltv"] * r["capex"]
    s = r["L"] if debt.lag_interest == "capitalised" else np.zeros_like(r["L"])
    out = run(loan, r["i"], r["n"], s, debt.amortization, cfads, r["dscr"])
    service = out["service"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dscr = np.where(service > 0, cfads / np.where(service > 0, service, 1.0), np.nan)
    shield = r["tax"][:, None] * out["interest"]
    equity = cfads - service + shield
    equity[:, 0] += loan
    return shape, r, loan, cfads, out, dscr, shield, equity


def equity_flat(system, rent, debt: DebtTerms, overrides, terms=None) -> tuple[tuple, np.ndarray]:
    """Only the equity flows (rows x months, month-major in memory): the hot path of the equity IRR."""
    shape, a, r, cfads = setup(system, rent, debt, overrides, terms)
    loan = r["ltv"] * r["capex"]
    s = r["L"] if debt.lag_interest == "capitalised" else np.zeros_like(r["L"])
    equity = run(loan, r["i"], r["n"], s, debt.amortization, cfads, r["dscr"], equity_tax=r["tax"])["equity"]
    equity[:, 0] += loan
    return shape, equity

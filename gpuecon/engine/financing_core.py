"""The debt engine's core: inputs flattened to scenario rows, the month loop, equity flows.

Private to the financing modules (:mod:`gpuecon.financing`, :mod:`gpuecon.financing_sizing`);
conventions in docs/financing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import Assumptions, as_assumptions
from .errors import GpueconError
from .finance import capital_recovery_factor, choose
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


def setup(system, rent, debt: DebtTerms, overrides) -> tuple[tuple, Assumptions, dict, np.ndarray]:
    """Assumptions, flat per-row inputs and the padded project flows (rows x months)."""
    a = as_assumptions(system, **overrides)
    cf = cash_flows(a, check_rent(rent))
    t = project_terms(a)
    shape = np.broadcast_shapes(cf.shape[:-1], *(np.shape(x) for x in (debt.ltv_frac, debt.rate_annual,
                                                                      debt.tenor_months, debt.min_dscr)))
    size = int(np.prod(shape))

    def flat(x):
        x = np.asarray(x, float)
        return (x if x.shape == shape else np.broadcast_to(x, shape)).reshape(size)

    rows = {"capex": flat(t.capex), "tax": flat(t.tax), "N": flat(t.N), "L": flat(t.L),
            "ltv": flat(debt.ltv_frac), "i": flat(debt.rate_monthly), "n": flat(debt.tenor_months),
            "dscr": flat(debt.min_dscr)}
    cf2 = np.broadcast_to(cf, shape + cf.shape[-1:]).reshape(size, cf.shape[-1])
    if debt.lag_interest == "capitalised":
        bad = rows["n"] <= rows["L"]
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise GpueconError("debt_tenor_years", float(rows["n"][k]) / 12.0, "longer than the deployment lag",
                               f"debt_tenor_years ({rows['n'][k] / 12:g} years) must be longer than the "
                               f"deployment lag ({rows['L'][k]:g} months) when interest during the lag is capitalised")
    H = int(max(cf2.shape[1] - 1, rows["n"].max(initial=0)))
    by_month = np.zeros((H + 1, size))  # month-major in memory: the month loop reads contiguous rows
    by_month[:cf2.shape[1]] = cf2.T
    return shape, a, rows, by_month.T


def run(loan, i, n, s, method: str, cfads, dmin, equity_tax=None) -> dict[str, np.ndarray]:
    """The schedule, vectorized over rows, one pass over months 1..H.

    ``s``: months of capitalised interest before amortisation starts (0 when interest is paid
    from month 1). Amortising months s+1..n: level (annuity on the balance at s), straight
    (equal principal), bullet (interest only, principal at n), sculpted (principal = CFADS/DSCR
    target − interest, floored at 0; the balance left at n is paid at n). With ``equity_tax``
    (the tax rate per row) only the equity flows are kept, written over ``cfads`` in place
    (months 1..H: CFADS − debt service + tax × interest; month 0 is left to the caller).
    """
    rows, width = cfads.shape
    one = rows == 1  # one scenario: the same loop on numpy scalars instead of 1-element arrays
    names = ("opening", "interest", "capitalised", "principal", "service", "closing") if equity_tax is None else ()
    out = {k: np.zeros((width, rows)).T for k in names}  # rows x months, month-major in memory
    at = {k: v[0] if one else v.T for k, v in out.items()}  # at[k][t]: month t of every row (views)
    flows = cfads[0] if one else cfads.T
    if one:
        loan, i, n, s, dmin = (x[0] for x in (loan, i, n, s, dmin))
        equity_tax = None if equity_tax is None else equity_tax[0]
    zero = np.float64(0.0) if one else np.zeros(rows)
    B = loan.astype(float)
    if names:
        at["closing"][0] = B
    k = np.maximum(n - s, 1.0)
    pay = zero
    base = zero
    starts = set(np.unique(s + 1.0).tolist())  # the months amortisation starts in, over the rows
    for t in range(1, width):
        interest = i * B
        if t in starts:
            first = s + 1 == t
            base = choose(first, B, base)
            if method == "level":
                pay = choose(first, B * capital_recovery_factor(i, k), pay)
        active = (t > s) & (t <= n)
        if method == "level":
            P = pay - interest
        elif method == "straight":
            P = base / k
        elif method == "bullet":
            P = zero
        else:
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


def equity_flat(system, rent, debt: DebtTerms, overrides) -> tuple[tuple, np.ndarray]:
    """Only the equity flows (rows x months, month-major in memory): the hot path of the equity IRR."""
    shape, a, r, cfads = setup(system, rent, debt, overrides)
    loan = r["ltv"] * r["capex"]
    s = r["L"] if debt.lag_interest == "capitalised" else np.zeros_like(r["L"])
    equity = run(loan, r["i"], r["n"], s, debt.amortization, cfads, r["dscr"], equity_tax=r["tax"])["equity"]
    equity[:, 0] += loan
    return shape, equity

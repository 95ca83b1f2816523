"""GPU-backed debt: loan schedule, CFADS and DSCR, equity cash flows and IRR, max LTV, payback.

Every function takes a system name (or :class:`~gpuecon.assumptions.Assumptions`), a rent and
the debt terms, plus any assumption field as an override; scalars and arrays broadcast into
scenario rows (one call computes a whole scenario column; the only Python loop runs over
months). Conventions, formulas and Excel equivalents: docs/financing.md.

Timing: months, flows at month ends, month 0 = signing and purchase (the project flows of
:func:`gpuecon.model.cash_flows`). The loan ``ltv x capex`` is drawn at month 0; the rate is
nominal annual, monthly ``rate / 12`` (Excel ``=PMT(rate/12, n, -loan)``); payments at the ends
of months 1..n, n = 12 x tenor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import as_assumptions
from .errors import GpueconError
from .finance import (
    IRR_ABOVE_CAP,
    IRR_MULTIPLE,
    IRR_NO_SIGN_CHANGE,
    IRR_NONE_FOUND,
    IRR_OK,
    IRR_REASONS,
    IRRResult,
    annual_rate,
    irr,
)
from .financing_core import DebtSchedule, equity_flat, schedule_flat
from .financing_inputs import DebtTerms, debt_terms
from .financing_sizing import MaxLTV, Payback, max_ltv, max_ltv_detail, payback_detail, payback_months
from .model import IRR_CAP_ANNUAL, project_terms
from .numbers import explicit
from .project import check_rent

EQUITY_COVERED = ("no equity IRR as a return: the loan and prepay cover the purchase (no equity outlay at "
                  "month 0), so the rate would be a borrowing cost or unbounded")
EQUITY_NEVER_POSITIVE = ("no equity IRR: the equity cash flows never turn positive (the rent does not cover "
                         "the costs and the debt service)")


def debt_schedule_arrays(system=None, /, rent_usd_per_gpu_hour=None, *, debt_ltv_frac=None, debt_rate_annual=None,
                         debt_tenor_years=None, debt_amortization="level", debt_min_dscr=None,
                         debt_lag_interest="paid", **overrides) -> DebtSchedule:
    """Loan schedule, CFADS, DSCR and equity flows for every scenario row (see :class:`DebtSchedule`).

    Loan ``D0 = ltv × capex`` at month 0; monthly rate ``i = rate / 12``; in month t:
    ``interest_t = i × B_{t−1}``, ``B_t = B_{t−1} − principal_t`` (+ interest_t when capitalised),
    ``debt service_t = interest_t + principal_t``. Level: ``service = B_s × i / (1 − (1+i)^−(n−s))``
    (Excel ``=PMT(rate/12, n, -loan)``); straight: ``principal = B_s / (n − s)``; bullet:
    ``principal_n = B_{n−1}``; sculpted: ``principal_t = max(CFADS_t / target − interest_t, 0)``,
    the balance left at n paid at n. ``s = 0`` (interest paid from month 1, the default) or
    ``s = L`` (``debt_lag_interest="capitalised"``: no payments in the lag months 1..L).
    Equity: ``E_t = CFADS_t + D0 [t=0] − service_t + τ × interest_t``. Units: USD per GPU.

    >>> s = debt_schedule_arrays("H100", 2.0, debt_ltv_frac=0.5)
    >>> round(float(s.loan_usd), 2), round(float(s.debt_service_usd[1]), 2)
    (22000.0, 557.98)
    """
    a = as_assumptions(system, **overrides)
    debt = debt_terms(debt_ltv_frac, debt_rate_annual, debt_tenor_years, debt_amortization, debt_min_dscr,
                      debt_lag_interest, assumptions=a)
    shape, r, loan, cfads, out, dscr, shield, equity = schedule_flat(a, rent_usd_per_gpu_hour, debt, {})
    width = cfads.shape[1]

    def m(x):
        return x.reshape(shape + (width,))

    def v(x):
        return x.reshape(shape)

    return DebtSchedule(
        month=np.arange(width), loan_usd=v(loan), capex_usd=v(r["capex"]), horizon_months=v(r["N"]),
        tenor_months=v(r["n"]), opening_usd=m(out["opening"]), interest_usd=m(out["interest"]),
        capitalised_usd=m(out["capitalised"]), principal_usd=m(out["principal"]),
        debt_service_usd=m(out["service"]), closing_usd=m(out["closing"]), cfads_usd=m(cfads), dscr=m(dscr),
        tax_shield_usd=m(shield), equity_usd=m(equity),
    )


def debt_schedule(system=None, /, rent_usd_per_gpu_hour=None, *, debt_ltv_frac=None, debt_rate_annual=None,
                  debt_tenor_years=None, debt_amortization="level", debt_min_dscr=None, debt_lag_interest="paid",
                  **overrides):
    """The loan schedule of one scenario as a pandas DataFrame, one row per month 0..H.

    Columns: ``month``, ``opening_balance_usd``, ``drawdown_usd`` (the loan, month 0),
    ``interest_usd`` (accrued), ``capitalised_interest_usd``, ``principal_usd``,
    ``debt_service_usd`` (= interest paid + principal), ``closing_balance_usd``, ``cfads_usd``
    (project cash flow before financing), ``dscr`` (CFADS / debt service, NaN without debt
    service), ``interest_tax_shield_usd`` (τ × interest), ``equity_cash_flow_usd``. Formulas:
    :func:`debt_schedule_arrays`; the arrays of every scenario are there too. Excel per month:
    ``=IPMT(rate/12, t, n, -loan)``, ``=PPMT(rate/12, t, n, -loan)`` for the level loan.

    >>> df = debt_schedule("H100", 2.0, debt_ltv_frac=0.5)
    >>> df.loc[1, ["interest_usd", "principal_usd", "debt_service_usd", "cfads_usd"]].round(2).tolist()
    [183.33, 374.64, 557.98, 847.05]
    """
    import pandas as pd

    return pd.DataFrame(debt_schedule_columns(system, rent_usd_per_gpu_hour, debt_ltv_frac=debt_ltv_frac,
                                              debt_rate_annual=debt_rate_annual, debt_tenor_years=debt_tenor_years,
                                              debt_amortization=debt_amortization, debt_min_dscr=debt_min_dscr,
                                              debt_lag_interest=debt_lag_interest, **overrides))


def debt_schedule_columns(system=None, /, rent_usd_per_gpu_hour=None, *, debt_ltv_frac=None, debt_rate_annual=None,
                          debt_tenor_years=None, debt_amortization="level", debt_min_dscr=None,
                          debt_lag_interest="paid", **overrides) -> dict[str, np.ndarray]:
    """The columns of :func:`debt_schedule` (one scenario) as numpy arrays, without building a DataFrame.

    >>> c = debt_schedule_columns("H100", 2.0, debt_ltv_frac=0.5)
    >>> round(float(c["debt_service_usd"][1]), 2)
    557.98
    """
    s = debt_schedule_arrays(system, rent_usd_per_gpu_hour, debt_ltv_frac=debt_ltv_frac,
                             debt_rate_annual=debt_rate_annual, debt_tenor_years=debt_tenor_years,
                             debt_amortization=debt_amortization, debt_min_dscr=debt_min_dscr,
                             debt_lag_interest=debt_lag_interest, **overrides)
    if np.size(s.loan_usd) != 1:
        raise GpueconError("scenarios", int(np.size(s.loan_usd)), "one scenario",
                           f"debt_schedule shows one scenario, got {np.size(s.loan_usd)} (inputs given as arrays): "
                           "use debt_schedule_arrays for many")
    width = s.month.size

    def col(x):
        return np.asarray(x, float).reshape(width)

    draw = np.zeros(width)
    draw[0] = float(s.loan_usd)
    return {
        "month": s.month, "opening_balance_usd": col(s.opening_usd), "drawdown_usd": draw,
        "interest_usd": col(s.interest_usd), "capitalised_interest_usd": col(s.capitalised_usd),
        "principal_usd": col(s.principal_usd), "debt_service_usd": col(s.debt_service_usd),
        "closing_balance_usd": col(s.closing_usd), "cfads_usd": col(s.cfads_usd), "dscr": col(s.dscr),
        "interest_tax_shield_usd": col(s.tax_shield_usd), "equity_cash_flow_usd": col(s.equity_usd),
    }


def equity_cash_flows(system=None, /, rent_usd_per_gpu_hour=None, *, debt_ltv_frac=None, debt_rate_annual=None,
                      debt_tenor_years=None, debt_amortization="level", debt_min_dscr=None, debt_lag_interest="paid",
                      **overrides) -> np.ndarray:
    """Monthly equity cash flows per GPU (USD), months 0..H, rows = scenarios.

    ``E_0 = CF_0 + ltv × capex``; ``E_t = CF_t − debt service_t + τ × interest_t`` (t ≥ 1), CF the
    project flows of :func:`gpuecon.model.cash_flows` (prepay in month 0, after tax), padded with
    zeros past a row's horizon when the loan runs longer. Excel: ``=CF + draw − PMT + tax*IPMT``.

    >>> e = equity_cash_flows("H100", 2.0, debt_ltv_frac=0.5)
    >>> round(float(e[0]), 2), round(float(e[1]), 2)
    (-8860.0, 289.07)
    """
    return debt_schedule_arrays(system, rent_usd_per_gpu_hour, debt_ltv_frac=debt_ltv_frac,
                                debt_rate_annual=debt_rate_annual, debt_tenor_years=debt_tenor_years,
                                debt_amortization=debt_amortization, debt_min_dscr=debt_min_dscr,
                                debt_lag_interest=debt_lag_interest, **overrides).equity_usd


@dataclass(frozen=True)
class EquityIRR:
    """Annual equity IRR per scenario and, where there is none to show, why ("" where there is)."""

    annual: np.ndarray
    reason: np.ndarray


def equity_irr_detail(system=None, /, rent_usd_per_gpu_hour=None, *, debt_ltv_frac=None, debt_rate_annual=None,
                      debt_tenor_years=None, debt_amortization="level", debt_min_dscr=None, debt_lag_interest="paid",
                      **overrides) -> EquityIRR:
    """Equity IRR (annual effective) with a reason per row where none is shown.

    ``(1 + IRR_m)^12 − 1``, IRR_m the monthly IRR of :func:`equity_cash_flows` from the
    vectorized solver :func:`gpuecon.finance.irr`. NaN with a reason where the first equity flow
    is an inflow (the loan and prepay cover the purchase), the flows never turn positive, NPV has
    several roots, or the rate is above ``IRR_CAP_ANNUAL`` (1,000% a year).
    Excel: ``=(1+IRR(equity_range))^12-1``.

    >>> d = equity_irr_detail("H100", 2.0, debt_ltv_frac=[0.5, 0.9], prepay_frac_contract=0.0)
    >>> d.annual.round(4).tolist(), d.reason.tolist()
    ([0.2171, 0.3993], ['', ''])
    >>> str(equity_irr_detail("H100", 2.0, debt_ltv_frac=0.9).reason)[:54]
    'no equity IRR as a return: the loan and prepay cover t'
    """
    a = as_assumptions(system, **overrides)
    debt = debt_terms(debt_ltv_frac, debt_rate_annual, debt_tenor_years, debt_amortization, debt_min_dscr,
                      debt_lag_interest, assumptions=a)
    rent = check_rent(rent_usd_per_gpu_hour)
    t = project_terms(a)
    debt_arrays = (debt.ltv_frac, debt.rate_annual, debt.tenor_months, debt.min_dscr)
    shapes = [_shape(x) for x in (rent, *(getattr(t, k) for k in t.__dataclass_fields__), *debt_arrays)]
    shape = np.broadcast_shapes(*shapes) if any(shapes) else ()
    size = int(np.prod(shape))
    if size <= _BLOCK_ROWS:
        shape, equity = equity_flat(a, rent, debt, {}, t)
        annual, reason = _equity_irr_rows(equity)
        return EquityIRR(annual.reshape(shape), reason.reshape(shape))
    # large batches: blocks of rows, so each block's flows stay small in memory (vectorized within a block)
    fields = {k: _flat_or_same(v, shape) for k, v in a.items()}
    flat_debt = [np.broadcast_to(x, shape).reshape(size) for x in debt_arrays]
    flat_rent = np.broadcast_to(rent, shape).reshape(size)
    rate = np.empty(size)
    code = np.empty(size, dtype=np.int8)
    first = np.empty(size)
    later: list[tuple[np.ndarray, np.ndarray]] = []  # several sign changes: solved together at the end
    for start in range(0, size, _BLOCK_ROWS):
        rows = slice(start, min(size, start + _BLOCK_ROWS))
        sub = {k: explicit(v[rows]) if isinstance(v, np.ndarray) and v.shape == (size,) else v
               for k, v in fields.items()}
        part = DebtTerms(flat_debt[0][rows], flat_debt[1][rows], flat_debt[2][rows], flat_debt[3][rows],
                         debt.amortization, debt.lag_interest)
        _, equity = equity_flat(a.system, flat_rent[rows], part, sub)
        index = np.arange(rows.start, rows.stop)
        first[rows] = _first_flow(equity)
        simple = _simple(equity)
        res = irr(equity[simple])
        rate[index[simple]], code[index[simple]] = res.rate, res.reason
        if not simple.all():
            later.append((index[~simple], equity[~simple]))
    if later:
        width = max(f.shape[1] for _, f in later)
        flows = np.concatenate([np.pad(f, ((0, 0), (0, width - f.shape[1]))) for _, f in later])
        index = np.concatenate([i for i, _ in later])
        res = irr(flows, chunk=max(1, flows.shape[0]))
        rate[index], code[index] = res.rate, res.reason
    annual, reason = _reasons(rate, code, first)
    return EquityIRR(annual.reshape(shape), reason.reshape(shape))


_BLOCK_ROWS = 1 << 15


def _shape(x) -> tuple:
    """``np.shape(x)``, read from the attribute where there is one (arrays, numpy scalars)."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def _flat_or_same(value: np.ndarray, shape: tuple) -> object:
    """A field flattened over the scenario rows, or as it is where it is a scalar or does not shape the flows."""
    if np.ndim(value) == 0:
        return explicit(float(value))
    try:
        return np.broadcast_to(value, shape).reshape(-1)
    except ValueError:
        return explicit(value)  # not broadcast with the flows (a spec figure): cash_flows does not read it


def _equity_irr_rows(equity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual equity IRR and reason per row of equity flows (rows x months)."""
    res = _irr_rows(equity)
    return _reasons(res.rate, res.reason, _first_flow(equity))


def _first_flow(flows: np.ndarray) -> np.ndarray:
    return flows[np.arange(flows.shape[0]), np.argmax(flows != 0, axis=1)]


def _simple(flows: np.ndarray) -> np.ndarray:
    """Rows with at most one sign change by a rough count (zeros read as >= 0): for routing only."""
    neg = flows < 0
    return (neg[:, 1:] != neg[:, :-1]).sum(axis=1) <= 1


def _reasons(rate: np.ndarray, code: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual IRR (NaN where none is shown) and the reason per row, from the solver's rates and codes."""
    annual = annual_rate(rate)
    code = code.astype(int)
    with np.errstate(invalid="ignore"):
        high = annual > IRR_CAP_ANNUAL
    reason = np.full(annual.shape, "", dtype=object)
    reason[code == IRR_MULTIPLE] = IRR_REASONS[IRR_MULTIPLE]
    reason[(code != IRR_OK) & (code != IRR_MULTIPLE)] = IRR_REASONS[IRR_NONE_FOUND]
    reason[(code == IRR_NO_SIGN_CHANGE) & (first <= 0)] = EQUITY_NEVER_POSITIVE
    reason[high] = IRR_REASONS[IRR_ABOVE_CAP]
    reason[first > 0] = EQUITY_COVERED
    return np.where(reason == "", annual, np.nan), reason


def _irr_rows(flows: np.ndarray) -> IRRResult:
    """:func:`gpuecon.finance.irr` with the rows that change sign more than once solved in one block.

    The general solver scans rows with several sign changes on a grid of rates, once per block of
    rows it is given; sending those few rows together (rather than one scan per 8,192-row block)
    keeps the cost of a large batch in the one-change rows. Same solver, same answers.
    """
    simple = _simple(flows)
    if simple.all():
        return irr(flows)
    rate = np.empty(flows.shape[0])
    reason = np.empty(flows.shape[0], dtype=np.int8)
    for rows, block in ((np.flatnonzero(simple), 1 << 13), (np.flatnonzero(~simple), flows.shape[0])):
        if rows.size:
            part = irr(flows[rows], chunk=block)
            rate[rows], reason[rows] = part.rate, part.reason
    return IRRResult(rate, reason)


def equity_irr(system=None, /, rent_usd_per_gpu_hour=None, *, debt_ltv_frac=None, debt_rate_annual=None,
               debt_tenor_years=None, debt_amortization="level", debt_min_dscr=None, debt_lag_interest="paid",
               **overrides) -> np.ndarray:
    """Equity IRR, annual effective: ``(1 + monthly IRR of the equity flows)^12 − 1``; NaN where none.

    See :func:`equity_irr_detail` for the reasons. Excel: ``=(1+IRR(equity_range))^12-1``.
    With ``debt_ltv_frac=0`` it is the project IRR (:func:`gpuecon.model.project_irr`).

    >>> round(float(equity_irr("H100", 2.0, debt_ltv_frac=0.0)), 4), round(float(equity_irr("H100", 2.0)), 4)
    (0.2399, 0.6849)
    """
    return equity_irr_detail(system, rent_usd_per_gpu_hour, debt_ltv_frac=debt_ltv_frac,
                             debt_rate_annual=debt_rate_annual, debt_tenor_years=debt_tenor_years,
                             debt_amortization=debt_amortization, debt_min_dscr=debt_min_dscr,
                             debt_lag_interest=debt_lag_interest, **overrides).annual


def min_dscr(system=None, /, rent_usd_per_gpu_hour=None, *, debt_ltv_frac=None, debt_rate_annual=None,
             debt_tenor_years=None, debt_amortization="level", debt_min_dscr=None, debt_lag_interest="paid",
             **overrides) -> np.ndarray:
    """Minimum DSCR over the months with debt service: ``min_t CFADS_t / debt service_t``.

    CFADS_t is the project cash flow of month t before financing (after tax, before the interest
    shield). NaN where there is no debt service (ltv 0). Excel: ``=MIN(IF(ds>0, cfads/ds))``.

    >>> round(float(min_dscr("H100", 2.0, debt_ltv_frac=0.5)), 4)
    1.5181
    """
    a = as_assumptions(system, **overrides)
    debt = debt_terms(debt_ltv_frac, debt_rate_annual, debt_tenor_years, debt_amortization, debt_min_dscr,
                      debt_lag_interest, assumptions=a)
    shape, *_, d, _, _ = schedule_flat(a, rent_usd_per_gpu_hour, debt, {})
    finite = np.isfinite(d)
    return np.where(finite.any(axis=-1), np.where(finite, d, np.inf).min(axis=-1), np.nan).reshape(shape)


__all__ = ["DebtSchedule", "EquityIRR", "MaxLTV", "Payback", "debt_schedule", "debt_schedule_arrays",
           "debt_schedule_columns",
           "equity_cash_flows", "equity_irr", "equity_irr_detail", "max_ltv", "max_ltv_detail", "min_dscr",
           "payback_detail", "payback_months"]

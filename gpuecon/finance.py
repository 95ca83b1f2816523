"""Vectorized time-value-of-money primitives.

Conventions (see docs/model.md): periods are months; rates named ``*_annual`` are annual
effective, converted with ``(1 + annual) ** (1/12) - 1``; cash flow ``t`` is at the end of
month ``t`` and flow 0 is today (numpy-financial's convention, *not* Excel's ``NPV``, which
discounts its first value: Excel equivalent ``=CF0 + NPV(rate, CF1:CFn)``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

IRR_OK, IRR_NO_SIGN_CHANGE, IRR_MULTIPLE, IRR_NONE_FOUND = 0, 1, 2, 3
IRR_NO_OUTLAY, IRR_FINANCING, IRR_ABOVE_CAP, IRR_NEVER_RECOVERS = 4, 5, 6, 7  # project IRR only
IRR_REASONS = {
    IRR_OK: "",
    IRR_NO_SIGN_CHANGE: "no IRR: cash flows do not change sign",
    IRR_MULTIPLE: "no unique IRR: NPV has several roots",
    IRR_NONE_FOUND: "no IRR above -99.9999% a period",
    IRR_NO_OUTLAY: "no IRR: the prepay covers the investment (no net outlay at any time), so the return is unbounded",
    IRR_FINANCING: ("no IRR as a return: the flows are financing-type (the prepay exceeds the capex, "
                    "then net outflows), so the rate would be a borrowing cost"),
    IRR_ABOVE_CAP: "IRR above 1,000% a year: not meaningful as a return (the net outlay is nearly nil)",
    IRR_NEVER_RECOVERS: "no IRR: the cash flows never turn positive (the rent does not cover the operating costs)",
}


def x_max(n_periods: float) -> float:
    """Largest x = 1/(1+r) an IRR search reaches: rates down to -99.9999% a period, x^n finite."""
    return float(min(1e6, 10.0 ** (300.0 / max(n_periods, 1.0))))


def monthly_rate(annual: np.ndarray | float) -> np.ndarray:
    """Monthly rate equivalent to an annual effective rate: ``(1+a)^(1/12)-1``. Excel: ``=(1+a)^(1/12)-1``."""
    return np.power(1.0 + np.asarray(annual, dtype=float), 1.0 / 12.0) - 1.0


def annual_rate(monthly: np.ndarray | float) -> np.ndarray:
    """Annual effective rate of a monthly rate: ``(1+m)^12-1``. Excel: ``=(1+IRR(monthly_range))^12-1``."""
    return np.power(1.0 + np.asarray(monthly, dtype=float), 12.0) - 1.0


def annuity_factor(rate: np.ndarray | float, periods: np.ndarray | float) -> np.ndarray:
    """Present value of 1 paid at the end of each of ``periods`` periods.

    ``(1 - (1+r)^-n) / r``, and ``n`` when ``r = 0``. Excel: ``=PV(r, n, -1)``.
    """
    r = np.asarray(rate, dtype=float)
    n = np.asarray(periods, dtype=float)
    small = np.abs(r) < 1e-12
    safe = np.where(small, 1.0, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -np.expm1(-n * np.log1p(safe)) / safe
    return np.where(small, n, out)


def capital_recovery_factor(rate: np.ndarray | float, periods: np.ndarray | float) -> np.ndarray:
    """Level payment per period that repays 1 over ``periods``: ``r / (1 - (1+r)^-n)``. Excel: ``=PMT(r, n, -1)``."""
    return 1.0 / annuity_factor(rate, periods)


def npv(rate: np.ndarray | float, cashflows: np.ndarray) -> np.ndarray:
    """NPV of each row of ``cashflows`` (flow 0 undiscounted) at a periodic ``rate`` (broadcast per row)."""
    cf = np.atleast_2d(np.asarray(cashflows, dtype=float))
    x = 1.0 / (1.0 + np.broadcast_to(np.asarray(rate, dtype=float), cf.shape[:1]))
    value = np.zeros(cf.shape[0])
    for col in range(cf.shape[1] - 1, -1, -1):  # Horner over periods, vectorized over rows
        value = value * x + cf[:, col]
    return value


class IRRResult(NamedTuple):
    rate: np.ndarray  # periodic IRR, nan where none
    reason: np.ndarray  # int codes, see IRR_REASONS

    def reasons(self) -> list[str]:
        return [IRR_REASONS[int(c)] for c in self.reason]


def _sign_changes(cf: np.ndarray) -> np.ndarray:
    s = np.sign(cf)
    # carry the last nonzero sign forward so zeros do not count
    idx = np.where(s != 0, np.arange(s.shape[1]), 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    s = np.take_along_axis(s, idx, axis=1)
    return np.count_nonzero((s[:, 1:] * s[:, :-1]) < 0, axis=1)


def _horner(cft: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) = sum c_t x^t and f'(x) for flows given column-major (periods x rows)."""
    f = np.zeros_like(x)
    fp = np.zeros_like(x)
    for col in range(cft.shape[0] - 1, -1, -1):
        fp *= x
        fp += f
        f *= x
        f += cft[col]
    return f, fp


def solve_bracketed(fun, lo: np.ndarray, hi: np.ndarray, x0: np.ndarray, s_lo: np.ndarray, iters: int = 100,
                    xtol: float = 1e-14) -> np.ndarray:
    """Safeguarded Newton, vectorized: root of ``fun(x, rows) -> (f, f')`` in [lo, hi].

    ``fun`` evaluates the rows ``rows`` (an index array) at ``x``. ``s_lo`` is the sign of f
    at ``lo`` (f at ``hi`` has the other sign). A Newton step that leaves the bracket is
    replaced by bisection, so every row converges; a row stops when its step or bracket is
    below ``xtol`` (relative) or f is exactly 0. Only unfinished rows are evaluated.
    """
    x = np.clip(x0, lo, hi).astype(float)
    lo, hi = lo.astype(float), hi.astype(float)
    rows = np.arange(x.size)
    full = True
    k = 0
    while k < iters:
        k += 1
        xa, la, ha = (x, lo, hi) if full else (x[rows], lo[rows], hi[rows])
        f, fp = fun(xa, None if full else rows)
        same = np.sign(f) == (s_lo if full else s_lo[rows])
        la = np.where(same, xa, la)
        ha = np.where(same, ha, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = xa - f / fp
        bad = ~np.isfinite(xn) | (xn < la) | (xn > ha)
        xn = np.where(bad, 0.5 * (la + ha), xn)
        tol = xtol * np.maximum(1.0, np.abs(xa))
        conv = (f == 0) | (~bad & (np.abs(xn - xa) <= tol)) | (ha - la <= tol)
        if full:
            x, lo, hi = np.where(f == 0, xa, xn), la, ha
        else:
            x[rows] = np.where(f == 0, xa, xn)
            lo[rows], hi[rows] = la, ha
        rows = rows[~conv]
        full = full and rows.size == x.size
        if rows.size == 0:
            break
    solve_bracketed.last_iterations = k  # type: ignore[attr-defined]
    return x


def grow_bracket(f, f_at_one: np.ndarray, s_first: np.ndarray, x_max: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """Bracket [lo, hi] in x = 1/(1+r) for a one-sign-change flow: f(0) has sign ``s_first``.

    Starts at x = 1 (r = 0), where f is the plain sum of flows, and doubles x (negative rates)
    while f keeps the sign of the first flow, up to ``x_max`` (100: rates down to -99% a period;
    :func:`x_max` gives the deepest safe bound). Rows with no root up to ``x_max`` get ``hi = nan``.
    """
    lo = np.zeros(f_at_one.shape)
    hi = np.ones(f_at_one.shape)
    need = np.sign(f_at_one) == s_first
    while need.any() and np.any(hi[need] < x_max):
        lo = np.where(need, hi, lo)
        hi = np.where(need, np.minimum(hi * 2.0, x_max), hi)
        need = need & (np.sign(f(hi)) == s_first) & (lo < x_max)
    hi = np.where(need, np.nan, hi)  # no root above the lowest rate searched
    return lo, hi


def irr(cashflows: np.ndarray, guess: float = 0.01, chunk: int = 1 << 15) -> IRRResult:
    """Periodic IRR of each row of ``cashflows`` (n_scenarios x n_periods), vectorized.

    Rows whose flows change sign once have exactly one IRR (Descartes' rule in x = 1/(1+r));
    it is found by safeguarded Newton, at any rate above -99.9999% a period (Excel
    ``=IRR({-100,0.5})`` = -99.5%). Rows with several sign changes are scanned on a grid
    of rates from -99% to +1000%: one root is solved, several give NaN with reason
    "several roots", none give NaN. Rows with no sign change give NaN. Agrees with
    ``numpy_financial.irr`` where both find the unique root. Excel: ``=IRR(range)``.
    """
    cf = np.atleast_2d(np.asarray(cashflows, dtype=float))
    n = cf.shape[0]
    rate = np.full(n, np.nan)
    reason = np.zeros(n, dtype=np.int8)
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        r, c = _irr_block(cf[sl], guess)
        rate[sl], reason[sl] = r, c
    return IRRResult(rate, reason)


def _irr_block(cf: np.ndarray, guess: float) -> tuple[np.ndarray, np.ndarray]:
    n = cf.shape[0]
    rate = np.full(n, np.nan)
    reason = np.full(n, IRR_NONE_FOUND, dtype=np.int8)
    changes = _sign_changes(cf)
    reason[changes == 0] = IRR_NO_SIGN_CHANGE
    one = np.flatnonzero(changes == 1)
    if one.size:
        sub = np.ascontiguousarray(cf[one].T)
        first = sub[np.argmax(sub != 0, axis=0), np.arange(sub.shape[1])]
        lo, hi = grow_bracket(lambda x: _horner(sub, x)[0], sub.sum(axis=0), np.sign(first), x_max(sub.shape[0] - 1))
        found = np.isfinite(hi)
        hi = np.where(found, hi, 1.0)
        x = solve_bracketed(lambda x, rows: _horner(sub if rows is None else sub[:, rows], x), lo, hi, np.full(one.size, 1.0 / (1.0 + guess)),
                            np.sign(first))
        rate[one] = np.where(found, 1.0 / x - 1.0, np.nan)
        reason[one] = np.where(found, IRR_OK, IRR_NONE_FOUND)
    many = np.flatnonzero(changes > 1)
    if many.size:
        sub = np.ascontiguousarray(cf[many].T)
        grid = 1.0 / (1.0 + np.concatenate([np.linspace(-0.99, -0.1, 90) + 1.234e-7, np.linspace(-0.1, 1.0, 1101)[1:] + 1.234e-7, np.geomspace(1.0, 10.0, 200)[1:]]))
        vals = np.stack([_horner(sub, np.full(many.size, g))[0] for g in grid], axis=1)
        sgn = np.sign(vals)
        flips = (sgn[:, 1:] * sgn[:, :-1]) < 0
        count = flips.sum(axis=1)
        single = np.flatnonzero(count == 1)
        if single.size:
            k = np.argmax(flips[single], axis=1)
            lo, hi = np.minimum(grid[k], grid[k + 1]), np.maximum(grid[k], grid[k + 1])
            part = np.ascontiguousarray(sub[:, single])
            s_lo = np.sign(_horner(part, lo.copy())[0])
            x = solve_bracketed(lambda x, rows: _horner(part if rows is None else part[:, rows], x), lo, hi,
                                0.5 * (lo + hi), s_lo)
            rate[many[single]] = 1.0 / x - 1.0
            reason[many[single]] = IRR_OK
        reason[many[count > 1]] = IRR_MULTIPLE
    return rate, reason

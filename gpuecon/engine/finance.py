"""Vectorized time-value-of-money primitives.

Conventions (see docs/model.md): periods are months; rates named ``*_annual`` are annual
effective, converted with ``(1 + annual) ** (1/12) - 1``; cash flow ``t`` is at the end of
month ``t`` and flow 0 is today (numpy-financial's convention, *not* Excel's ``NPV``, which
discounts its first value: Excel equivalent ``=CF0 + NPV(rate, CF1:CFn)``).

Longer than 500 lines: the general IRR solver (start, Halley passes, the bracketed fallback, the grid
scan of several sign changes) keeps its one-row path beside the array path, sharing each step's function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import ops

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
    """Largest x = 1/(1+r) an IRR search reaches: rates down to -99.9999% a period, x^n finite.

    Parameters
    ----------
    n_periods : float
        Number of periods of the longest flow.

    Returns
    -------
    float
        ``min(1e6, 10^(300/n))``: x^n stays below 1e300.

    Examples
    --------
    >>> x_max(12), x_max(600)
    (1000000.0, 3.1622776601683795)
    """
    return float(min(1e6, 10.0 ** (300.0 / max(n_periods, 1.0))))


def monthly_rate(annual: np.ndarray | float) -> np.ndarray:
    """Monthly rate equivalent to an annual effective rate.

    ``m = (1 + a)^(1/12) - 1``. Excel: ``=(1+a)^(1/12)-1``.

    Parameters
    ----------
    annual : float or array
        Annual effective rate (0.156 = 15.6% a year).

    Returns
    -------
    ndarray
        Monthly rate, same shape.

    Examples
    --------
    >>> round(float(monthly_rate(0.156)), 12)
    0.012153744586
    """
    if type(annual) is float:  # one scenario on Python floats (ops: math, numpy's answer where math raises)
        return ops.power(1.0 + annual, 1.0 / 12.0) - 1.0
    return np.power(1.0 + (annual if isinstance(annual, float) else np.asarray(annual, dtype=float)), 1.0 / 12.0) - 1.0


def annual_rate(monthly: np.ndarray | float) -> np.ndarray:
    """Annual effective rate of a monthly rate.

    ``a = (1 + m)^12 - 1``. Excel: ``=(1+IRR(monthly_range))^12-1``.

    Parameters
    ----------
    monthly : float or array
        Rate per month.

    Returns
    -------
    ndarray
        Annual effective rate, same shape.

    Examples
    --------
    >>> round(float(annual_rate(monthly_rate(0.156))), 12)
    0.156
    """
    return np.power(1.0 + (monthly if isinstance(monthly, float) else np.asarray(monthly, dtype=float)), 12.0) - 1.0


def annuity_factor(rate: np.ndarray | float, periods: np.ndarray | float) -> np.ndarray:
    """Present value of 1 paid at the end of each of ``periods`` periods.

    ``(1 - (1+r)^-n) / r``, and ``n`` when ``r = 0``. Excel: ``=PV(r, n, -1)``.

    Parameters
    ----------
    rate : float or array
        Rate per period.
    periods : float or array
        Number of periods (broadcast with ``rate``).

    Returns
    -------
    ndarray
        The annuity factor.

    Examples
    --------
    >>> round(float(annuity_factor(0.01, 12)), 10)  # Excel =PV(1%,12,-1) = 11.2550774735
    11.2550774735
    >>> float(annuity_factor(0.0, 12))
    12.0
    """
    if type(rate) is float and type(periods) is float and rate > -1.0:  # one scenario on Python floats
        return periods if abs(rate) < 1e-12 else _annuity(rate, periods, ops.expm1, ops.log1p)
    if (isinstance(rate, float) or np.ndim(rate) == 0) and (isinstance(periods, float) or np.ndim(periods) == 0) \
            and float(rate) > -1.0:  # one cell: plain floats
        r, n = float(rate), float(periods)
        return np.float64(n if abs(r) < 1e-12 else _annuity(r, n, np.expm1, np.log1p))  # same ufuncs: same bits
    r = np.asarray(rate, dtype=float)
    n = np.asarray(periods, dtype=float)
    small = np.abs(r) < 1e-12
    safe = np.where(small, 1.0, r)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _annuity(safe, n, np.expm1, np.log1p)
    return np.where(small, n, out) if small.any() else out


def _annuity(r, n, expm1, log1p):
    """``(1 - (1+r)^-n) / r``, precise for small r: the one formula, for one cell or for arrays."""
    return -expm1(-n * log1p(r)) / r


def capital_recovery_factor(rate: np.ndarray | float, periods: np.ndarray | float) -> np.ndarray:
    """Level payment per period that repays 1 over ``periods``.

    ``r / (1 - (1+r)^-n)`` (``1/n`` at ``r = 0``). Excel: ``=PMT(r, n, -1)``.

    Parameters
    ----------
    rate : float or array
        Rate per period.
    periods : float or array
        Number of periods.

    Returns
    -------
    ndarray
        Payment per period per 1 borrowed.

    Examples
    --------
    >>> round(float(capital_recovery_factor(0.01, 12)), 10)  # Excel =PMT(1%,12,-1) = 0.0888487887
    0.0888487887
    """
    return 1.0 / annuity_factor(rate, periods)


def npv(rate: np.ndarray | float, cashflows: np.ndarray) -> np.ndarray:
    """NPV of each row of ``cashflows`` at a periodic ``rate``; flow 0 is today (not discounted).

    ``sum_t CF_t / (1 + r)^t``. Excel: ``=CF0 + NPV(r, CF1:CFn)`` (Excel's ``NPV`` discounts its
    first value, so month 0 stays outside it).

    Parameters
    ----------
    rate : float or array
        Rate per period, one per row (broadcast).
    cashflows : array, (n_periods,) or (n_rows, n_periods)
        Flows at the end of periods 0..n-1.

    Returns
    -------
    ndarray, (n_rows,)
        NPV per row.

    Examples
    --------
    >>> round(float(npv(0.10, [-100, 60, 60])[0]), 10)  # -100 + 60/1.1 + 60/1.21
    4.132231405
    """
    cf = np.atleast_2d(np.asarray(cashflows, dtype=float))
    x = 1.0 / (1.0 + np.broadcast_to(np.asarray(rate, dtype=float), cf.shape[:1]))
    value = np.zeros(cf.shape[0])
    for col in range(cf.shape[1] - 1, -1, -1):  # Horner over periods, vectorized over rows
        value = value * x + cf[:, col]
    return value


@dataclass(frozen=True)
class IRRResult:
    """Periodic IRRs and why there is none: ``np.asarray(result)`` is the rates alone.

    ``rate``: periodic IRR per row, NaN where there is none; ``reason``: int codes (see
    ``IRR_REASONS``; 0 = ok). ``rate, reason = irr(cf)`` unpacks both.
    """

    rate: np.ndarray
    reason: np.ndarray

    def __array__(self, dtype=None, copy=None):
        return self.rate if dtype is None else self.rate.astype(dtype)

    def __iter__(self):
        return iter((self.rate, self.reason))

    def __len__(self) -> int:
        return len(self.rate)

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
    f, d1, _ = _horner2(cft, x)
    return f, d1


_GRID_RATES = np.array([-0.9, -0.7, -0.5, -0.35, -0.2, -0.12, -0.06, -0.03, -0.01, 0.0, 0.01, 0.02, 0.03, 0.045,
                        0.06, 0.08, 0.1, 0.13, 0.17, 0.22, 0.3, 0.45, 0.7, 1.0, 2.0, 5.0])


def _start(cft: np.ndarray) -> np.ndarray:
    """Starting x = 1/(1+r) per row (periods x rows), from the flows' NPV on a grid of rates.

    The NPVs at every grid rate are one matrix product; where a row changes sign between two
    grid points the start is the linear interpolation between them, elsewhere x = 1 (rate 0).
    """
    xg, powers = _grid(cft.shape[0])
    vals = powers @ cft  # grid points x rows
    if cft.shape[1] == 1:  # one row: the same choice on Python floats
        v, g = vals[:, 0].tolist(), xg.tolist()
        pos = [f > 0 for f in v]
        j = min(pos.count(pos[0]), len(g) - 1) - 1
        if pos[j] == pos[j + 1]:
            return np.ones(1)
        x = _secant(g[j], g[j + 1], v[j], v[j + 1])  # f changes sign: fb - fa != 0
        return np.array([x if math.isfinite(x) else 1.0])
    pos = vals > 0
    j = np.minimum((pos == pos[0]).sum(axis=0), xg.size - 1) - 1  # last grid point before the one sign flip
    cols = np.arange(cft.shape[1])
    xa, xb, fa, fb = xg[j], xg[j + 1], vals[j, cols], vals[j + 1, cols]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = _secant(xa, xb, fa, fb)
    return np.where((pos[j, cols] != pos[j + 1, cols]) & np.isfinite(x), x, 1.0)


def _secant(xa, xb, fa, fb):
    """Where the line through (xa, fa) and (xb, fb) crosses 0; floats or arrays."""
    return xa - fa * (xb - xa) / (fb - fa)


_GRIDS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _grid(m: int) -> tuple[np.ndarray, np.ndarray]:
    """The start's grid in x = 1/(1+r) for m periods (ascending, within :func:`x_max`) and its powers x^t
    (grid points x periods); cached per m (read-only)."""
    got = _GRIDS.get(m)
    if got is None:
        xg = 1.0 / (1.0 + _GRID_RATES)
        xg = np.sort(xg[xg <= x_max(m - 1)])
        powers = np.power.outer(xg, np.arange(m, dtype=float))
        xg.flags.writeable = powers.flags.writeable = False
        got = _GRIDS[m] = (xg, powers)
    return got


def _horner2(cft: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f(x) = sum c_t x^t, f'(x) and f''(x)/2 in one pass over the flows (periods x rows).

    One row runs the same pass on Python floats (IEEE ``*`` and ``+`` as numpy's; no 1-element arrays).
    """
    if x.shape == (1,):
        return tuple(np.array([v]) for v in _horner_floats(cft[:, 0].tolist(), float(x[0])))
    return _horner_pass(cft, x, np.zeros_like(x), np.zeros_like(x), np.zeros_like(x))


def _horner_floats(flows: list[float], x: float) -> tuple[float, float, float]:
    """:func:`_horner2` of one row on Python floats."""
    return _horner_pass(flows, x, 0.0, 0.0, 0.0)


def _horner_pass(cft, x, f, d1, d2):
    """The Horner pass of :func:`_horner2` (in place on arrays; on floats for one row)."""
    for c in cft[::-1]:
        d2 *= x
        d2 += d1
        d1 *= x
        d1 += f
        f *= x
        f += c
    return f, d1, d2


def _halley(x, f, d1, d2):
    """Halley's step for a root of f, ``d2 = f''/2``: ``x − f f' / (f'^2 − f f''/2)``; floats or arrays."""
    return x - f * d1 / (d1 * d1 - f * d2)


def _settled(xn, x, xtol: float, top: float):
    """(converged, in the domain): the step is below ``xtol`` relative; 0 < x <= top. Floats or arrays."""
    return np.abs(xn - x) <= xtol * np.abs(x), np.isfinite(xn) & (xn > 0) & (xn <= top)


def _newton(cft: np.ndarray, iters: int = 30, xtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Root x = 1/(1+r) of sum c_t x^t for one-sign-change rows (periods x rows), and where it converged.

    Halley's method (cubic convergence; f, f', f'' in one pass over the flows) from
    :func:`_start`. A row is settled when its step is below ``xtol`` (relative: the error left
    after such a step is of order its cube) inside the domain 0 < x <= x_max; the rest go back
    as not converged. The first two passes run on every row (no gathering); then only the rest.
    One row runs the same steps on numpy scalars (no 1-element arrays).
    """
    x = _start(cft)
    top = x_max(cft.shape[0] - 1)
    if x.size == 1:
        return _newton_one(cft[:, 0].tolist(), np.float64(x[0]), top, iters, xtol)
    done = np.zeros(x.size, bool)
    rows = np.arange(x.size)
    for k in range(iters):
        full = rows.size == x.size
        part = cft if full else cft[:, rows]
        xr = x if full else x[rows]
        f, d1, d2 = _horner2(part, xr)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xn = _halley(xr, f, d1, d2)
        conv, ok = _settled(xn, xr, xtol, top)
        x[rows] = xn
        done[rows[conv & ok]] = True
        keep = ~conv & ok
        if k == 0 and keep.any():
            continue  # a second full pass settles almost every row
        rows = rows[keep]
        if rows.size == 0:
            break
    return x, done


def _newton_one(flows: list[float], x: np.float64, top: float, iters: int, xtol: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_newton` for one row (flows as Python floats, x a numpy scalar): the same steps, so the same bits."""
    done = False
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(iters):
            f, d1, d2 = _horner_floats(flows, float(x))
            xn = _halley(x, np.float64(f), np.float64(d1), np.float64(d2))
            conv, ok = _settled(xn, x, xtol, top)
            x = xn
            if not ok or conv:
                done = bool(ok)
                break
    return np.array([x]), np.array([done])


def solve_bracketed(fun, lo: np.ndarray, hi: np.ndarray, x0: np.ndarray, s_lo: np.ndarray, iters: int = 100,
                    xtol: float = 1e-14) -> np.ndarray:
    """Safeguarded Newton, vectorized: root of ``fun(x, rows) -> (f, f')`` in [lo, hi].

    ``fun`` evaluates the rows ``rows`` (an index array) at ``x``. ``s_lo`` is the sign of f
    at ``lo`` (f at ``hi`` has the other sign). A Newton step that leaves the bracket, or is more
    than half the step before the last (slow progress, e.g. creeping down a steep convex side), is
    replaced by bisection, so every row converges; a row stops when its step or bracket is
    below ``xtol`` (relative) or f is exactly 0. Only unfinished rows are evaluated.

    Examples
    --------
    >>> fun = lambda x, rows=None: (x * x - 2.0, 2.0 * x)
    >>> round(float(solve_bracketed(fun, np.array([0.0]), np.array([2.0]), np.array([1.0]), np.array([-1.0]))[0]), 12)
    1.414213562373
    """
    scalar = np.ndim(x0) == 0  # one row: the same steps on Python floats (ops) or numpy scalars, no 1-element arrays
    if scalar:
        to = float if type(x0) is float and type(lo) is float and type(hi) is float else np.float64
        x, lo, hi = to(min(max(x0, lo), hi)), to(lo), to(hi)
    else:
        x = np.clip(x0, lo, hi).astype(float)
        lo, hi = lo.astype(float), hi.astype(float)
    rows = None if scalar else np.arange(np.size(x))
    full = True
    step1 = step2 = hi - lo  # the last two steps' sizes (Numerical Recipes' rtsafe: the bracket at first)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(iters):
            xa, la, ha, s2 = (x, lo, hi, step2) if full else (x[rows], lo[rows], hi[rows], step2[rows])
            f, fp = fun(xa, None if full else rows)
            same = ops.sign(f) == (s_lo if full else s_lo[rows])
            la = choose(same, xa, la)
            ha = choose(same, ha, xa)
            xn = xa - ops.div(f, fp)
            tol = xtol * ops.maximum(1.0, abs(xa))
            dx = abs(xn - xa)
            bad = ops.not_finite(xn) | (xn < la) | (xn > ha) | ((dx > 0.5 * s2) & (dx > tol))
            xn = choose(bad, 0.5 * (la + ha), xn)
            conv = (f == 0) | (ops.not_(bad) & (dx <= tol)) | (ha - la <= tol)
            if full:
                step2, step1 = step1, abs(xn - xa)
                x, lo, hi = choose(f == 0, xa, xn), la, ha
            else:
                step2[rows], step1[rows] = step1[rows], abs(xn - xa)
                x[rows] = np.where(f == 0, xa, xn)
                lo[rows], hi[rows] = la, ha
            if scalar:
                if conv:
                    break
                continue
            rows = rows[~conv]
            full = full and rows.size == x.size
            if rows.size == 0:
                break
    return x


def grow_bracket(f, f_at_one: np.ndarray, s_first: np.ndarray, x_max: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """Bracket [lo, hi] in x = 1/(1+r) for a one-sign-change flow: f(0) has sign ``s_first``.

    Starts at x = 1 (r = 0), where f is the plain sum of flows, and doubles x (negative rates)
    while f keeps the sign of the first flow, up to ``x_max`` (100: rates down to -99% a period;
    :func:`x_max` gives the deepest safe bound). Rows with no root up to ``x_max`` get ``hi = nan``.

    Examples
    --------
    >>> f = lambda x: -100 + 60 * x + 60 * x * x  # NPV of (-100, 60, 60) in x = 1/(1+r)
    >>> lo, hi = grow_bracket(f, np.array([20.0]), np.array([-1.0]))
    >>> float(lo[0]), float(hi[0])  # the root x = 0.884 lies in [0, 1]
    (0.0, 1.0)
    """
    scalar = np.ndim(f_at_one) == 0  # one row: Python floats (ops) or numpy scalars
    if scalar:
        to = float if type(f_at_one) is float else np.float64
        lo, hi = to(0.0), to(1.0)
    else:
        lo, hi = np.zeros(f_at_one.shape), np.ones(f_at_one.shape)
    need = ops.sign(f_at_one) == s_first
    while ops.any_true(need & (hi < x_max)):
        lo = choose(need, hi, lo)
        hi = choose(need, ops.minimum(hi * 2.0, x_max), hi)
        need = need & (ops.sign(f(hi)) == s_first) & (lo < x_max)
    hi = choose(need, np.nan, hi)  # no root above the lowest rate searched
    return lo, hi


def choose(condition, if_true, if_false):
    """``np.where`` that keeps numpy scalars scalar: one row's formulas run on the same code as arrays.

    ``if_true if condition else if_false`` for a scalar condition (no 0-d array, about 1 us less
    per call), else ``np.where(condition, if_true, if_false)``. Excel: ``=IF(condition, a, b)``.

    Examples
    --------
    >>> float(choose(np.float64(2.0) > 1, 1.0, 0.0)), choose(np.array([True, False]), 1.0, 0.0).tolist()
    (1.0, [1.0, 0.0])
    """
    if condition is True:  # a Python bool (one scenario on floats): the cheapest tests first
        return if_true
    if condition is False:
        return if_false
    if isinstance(condition, np.bool_):
        return if_true if condition else if_false
    return np.where(condition, if_true, if_false)


def irr(cashflows: np.ndarray, guess: float = 0.01, chunk: int = 1 << 13) -> IRRResult:
    """Periodic IRR of each row of ``cashflows`` (n_scenarios x n_periods), vectorized.

    Rows whose flows change sign once have exactly one IRR (Descartes' rule in x = 1/(1+r));
    it is found by safeguarded Newton, at any rate above -99.9999% a period (Excel
    ``=IRR({-100,0.5})`` = -99.5%). Rows with several sign changes are scanned on a grid
    of rates from -99% to +1000%: one root is solved, several give NaN with reason
    "several roots", none give NaN. Rows with no sign change give NaN. Agrees with
    ``numpy_financial.irr`` where both find the unique root. Excel: ``=IRR(range)``.

    Parameters
    ----------
    cashflows : array, (n_periods,) or (n_rows, n_periods)
        Flows at the end of periods 0..n-1 (0 is today).
    guess : float
        Kept for API compatibility with ``numpy_financial.irr``; the start is chosen per row.
    chunk : int
        Rows solved per block (memory bound).

    Returns
    -------
    IRRResult
        ``rate`` (per period, NaN where none) and ``reason`` codes (:data:`IRR_REASONS`);
        ``np.asarray(result)`` is the rates.

    Examples
    --------
    >>> r = irr([[-100, 60, 60], [-100, 0.5, 0]])
    >>> [round(float(x), 10) for x in r.rate]  # 60x + 60x^2 = 100 with x = 1/(1+r); Excel =IRR({-100,0.5})
    [0.1306623863, -0.995]
    >>> r.reasons()
    ['', '']
    """
    cf = np.atleast_2d(np.asarray(cashflows, dtype=float))
    n = cf.shape[0]
    if n <= chunk:
        return IRRResult(*_irr_block(cf, guess))
    rate = np.full(n, np.nan)
    reason = np.zeros(n, dtype=np.int8)
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        r, c = _irr_block(cf[sl], guess)
        rate[sl], reason[sl] = r, c
    return IRRResult(rate, reason)


def _irr_block(cf: np.ndarray, guess: float) -> tuple[np.ndarray, np.ndarray]:
    n, m = cf.shape
    rate = np.full(n, np.nan)
    reason = np.full(n, IRR_NONE_FOUND, dtype=np.int8)
    cft = np.empty((m, n))  # periods x rows, so Horner runs down contiguous rows
    for i in range(0, n, 128):  # transposed in cache-sized tiles
        cft[:, i:i + 128] = cf[i:i + 128].T
    has_zero = (cft == 0).any(axis=0)
    neg = cft < 0
    changes = (neg[1:] != neg[:-1]).sum(axis=0, dtype=np.int16)  # exact where a row has no zero flow
    if has_zero.any():
        changes[has_zero] = _sign_changes(cf[has_zero])
    reason[changes == 0] = IRR_NO_SIGN_CHANGE
    one = np.flatnonzero(changes == 1)
    if one.size:
        sub = cft if one.size == n else np.ascontiguousarray(cft[:, one])
        x, ok = _newton(sub)
        rate[one[ok]] = 1.0 / x[ok] - 1.0
        reason[one[ok]] = IRR_OK
        left = one[~ok]  # rare: Newton left the domain or stalled; the safeguarded solver settles them
        if left.size:
            part = np.ascontiguousarray(cft[:, left])
            first = part[np.argmax(part != 0, axis=0), np.arange(part.shape[1])]
            lo, hi = grow_bracket(lambda x: _horner(part, x)[0], part.sum(axis=0), np.sign(first), x_max(m - 1))
            found = np.isfinite(hi)
            hi = np.where(found, hi, 1.0)
            x = solve_bracketed(lambda x, rows: _horner(part if rows is None else part[:, rows], x), lo, hi,
                                np.full(left.size, 1.0 / (1.0 + guess)), np.sign(first))
            rate[left] = np.where(found, 1.0 / x - 1.0, np.nan)
            reason[left] = np.where(found, IRR_OK, IRR_NONE_FOUND)
    many = np.flatnonzero(changes > 1)
    if many.size:
        sub = np.ascontiguousarray(cf[many].T)
        rates = np.concatenate([-1.0 + np.geomspace(1e-6, 1e-2, 40, endpoint=False), np.linspace(-0.99, -0.1, 90) + 1.234e-7,
                                np.linspace(-0.1, 1.0, 1101)[1:] + 1.234e-7, np.geomspace(1.0, 10.0, 200)[1:]])
        grid = 1.0 / (1.0 + rates)
        grid = grid[grid <= x_max(m - 1)]  # rates down to -99.9999%, as deep as x^n stays finite
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

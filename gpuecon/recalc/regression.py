"""LINEST and TREND as Excel computes them, for recalc (``formulas`` reads an omitted ``const`` as FALSE,
where Excel reads TRUE, and splits collinear columns instead of dropping them). Least squares on the
known x columns, with Excel's handling of collinearity: a column that is a linear combination of the
columns before it (or constant, with the intercept) gets a coefficient of 0 and a standard error of 0,
and the degrees of freedom count only the columns kept.
"""

from __future__ import annotations

import numpy as np

from .bridge import fx
from .errors import Unsupported

__all__ = ["linest", "trend"]


def _numbers(v: object) -> np.ndarray:
    f = fx()
    if isinstance(v, np.ndarray):
        grid = v if v.ndim == 2 else np.asarray(v, dtype=object).reshape(1, -1)
    else:
        grid = np.array([[v]], dtype=object)
    for x in grid.reshape(-1):  # Excel: any error or text among the known values is #VALUE!
        if isinstance(x, bool) or not isinstance(x, int | float | np.number):
            raise _Error(f.errors["#VALUE!"])
    return np.asarray(grid, dtype=float)


class _Error(Exception):
    def __init__(self, err: object) -> None:
        self.err = err


def _flag(v: object, default: bool) -> bool:
    f = fx()
    v = v.reshape(-1)[0] if isinstance(v, np.ndarray) and v.size == 1 else v
    if v is None or v is f.EMPTY:
        return default
    if isinstance(v, f.XlError):
        raise _Error(f.errors["#VALUE!"])
    return bool(v)


def _shape(v: object) -> tuple[int, int]:
    return v.shape if isinstance(v, np.ndarray) and v.ndim == 2 else (1, 1)  # type: ignore[return-value]


def _design(y_arg, x_arg) -> tuple[np.ndarray, np.ndarray, bool]:
    """y as a vector, X as n x k, and whether y is a row (sizes checked first: #REF!)."""
    (yh, yw), n = _shape(y_arg), _shape(y_arg)[0] * _shape(y_arg)[1]
    if x_arg is not None and x_arg is not fx().EMPTY:
        xh, xw = _shape(x_arg)
        if not (xh * xw == n or (yw == 1 and xh == n) or (yh == 1 and yw > 1 and xw == n)):
            raise _Error(fx().errors["#REF!"])
    y = _numbers(y_arg)
    if 1 not in y.shape:
        raise Unsupported("LINEST/TREND with a two-dimensional known_y's")
    row = y.shape[0] == 1 and y.shape[1] > 1
    yv = y.reshape(-1)
    n = yv.size
    if x_arg is None or x_arg is fx().EMPTY:
        return yv, np.arange(1.0, n + 1).reshape(-1, 1), row
    x = _numbers(x_arg)
    if x.size == n and 1 in x.shape:
        return yv, x.reshape(-1, 1), row
    if not row and x.shape[0] == n:
        return yv, x, row
    if row and x.shape[1] == n:
        return yv, x.T, row
    raise _Error(fx().errors["#REF!"])


def _fit(y: np.ndarray, x: np.ndarray, const: bool):
    """Coefficients (one per x column, 0 for a dropped column), intercept, kept columns, and the
    design matrix of the kept columns (with the ones column first when ``const``)."""
    n, k = x.shape
    base = [np.ones(n)] if const else []
    kept: list[int] = []
    q: list[np.ndarray] = [b / np.linalg.norm(b) for b in base]
    for j in range(k):
        col = x[:, j].copy()
        norm0 = np.linalg.norm(col - (col.mean() if const else 0.0))
        for _ in range(2):  # Gram-Schmidt twice, for accuracy
            for qq in q:
                col -= (qq @ col) * qq
        if norm0 == 0.0 or np.linalg.norm(col) <= 1e-10 * max(norm0, np.linalg.norm(x[:, j])):
            continue  # collinear with the columns before it: Excel drops it
        q.append(col / np.linalg.norm(col))
        kept.append(j)
    design = np.column_stack(base + [x[:, j] for j in kept]) if base or kept else np.zeros((n, 0))
    if design.shape[1] > n:
        raise _Error(fx().errors["#NUM!"])
    coef = np.linalg.lstsq(design, y, rcond=None)[0] if design.shape[1] else np.zeros(0)
    b = float(coef[0]) if const else 0.0
    m = np.zeros(k)
    m[kept] = coef[1:] if const else coef
    return m, b, kept, design, coef


def linest(known_y, known_x=None, const=None, stats=None):
    """Excel's LINEST: m_k .. m_1, b in the first row; with ``stats``, standard errors, r2 and se_y,
    F and df, ss_reg and ss_resid below (#N/A in the cells beyond two columns)."""
    f = fx()
    try:
        use_const, with_stats = _flag(const, True), _flag(stats, False)
        y, x, _ = _design(known_y, known_x)
        n, k = x.shape
        m, b, kept, design, coef = _fit(y, x, use_const)
    except _Error as exc:
        return exc.err
    out = np.empty((5 if with_stats else 1, k + 1), dtype=object)
    out.fill(f.errors["#N/A"])
    out[0, :k] = m[::-1]
    out[0, k] = b
    if not with_stats:
        return out.view(f.Array)
    if k and not kept:  # every x column constant: Excel's statistics (df counting them) are not reproduced
        raise Unsupported("LINEST statistics where every x column is constant")
    resid = y - design @ coef if design.shape[1] else y
    ss_resid = float(resid @ resid)
    ss_tot = float(((y - y.mean()) @ (y - y.mean())) if use_const else y @ y)
    ss_reg = ss_tot - ss_resid
    df = n - len(kept) - (1 if use_const else 0)
    se = np.zeros(k)
    se_b = 0.0
    if df > 0 and design.shape[1]:
        sey2 = ss_resid / df
        cov = np.linalg.inv(design.T @ design) * sey2
        diag = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        se[kept] = diag[1:] if use_const else diag
        se_b = float(diag[0]) if use_const else 0.0
    out[1, :k] = se[::-1]
    out[1, k] = se_b if use_const else f.errors["#N/A"]
    out[2, 0] = ss_reg / ss_tot if ss_tot else f.errors["#NUM!"]
    out[2, 1] = float(np.sqrt(ss_resid / df)) if df > 0 else f.errors["#NUM!"]
    out[3, 0] = (ss_reg / len(kept)) / (ss_resid / df) if df > 0 and kept and ss_resid else f.errors["#NUM!"]
    out[3, 1] = float(df)
    out[4, 0], out[4, 1] = ss_reg, ss_resid
    return out.view(f.Array)


def trend(known_y, known_x=None, new_x=None, const=None):
    """Excel's TREND: the fitted line at ``new_x`` (the known x's by default), shaped as ``new_x``."""
    f = fx()
    try:
        use_const = _flag(const, True)
        y, x, row = _design(known_y, known_x)
        m, b, _, _, _ = _fit(y, x, use_const)
        k = x.shape[1]
        if new_x is None or new_x is f.EMPTY:
            grid = x if not row else x.T
            new = x
        else:
            grid = _numbers(new_x)
            if k == 1:
                return (grid * m[0] + b).astype(object).view(f.Array)
            new = grid if not row else grid.T
            if new.shape[1] != k:
                return f.errors["#REF!"]
    except _Error as exc:
        return exc.err
    pred = new @ m + b
    if k == 1 and (new_x is None or new_x is f.EMPTY):
        return pred.reshape(grid.shape if not row else (1, -1)).astype(object).view(f.Array)
    shape = (-1, 1) if not row else (1, -1)
    return pred.reshape(shape).astype(object).view(f.Array)

"""The few functions a formula needs that differ between one scenario and many.

A formula written with these and the operators runs on Python floats (one scenario: ``math``, about
0.05 us a call) and on numpy arrays or numpy scalars (``numpy``, exactly as before): one formula,
two speeds. Only an exact Python ``float`` takes the ``math`` route; where ``math`` raises (overflow,
a domain error) the numpy function answers instead, so the result is the array path's inf or nan
(and its warning). ``math`` and numpy may differ in the last bit (libm against numpy's SIMD loops).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["log1p", "expm1", "power", "floor", "rint", "maximum", "minimum", "sign", "isfinite", "not_finite", "not_", "div",
           "any_true", "all_true", "as_result"]


def log1p(x):
    """``log(1 + x)``; ``np.log1p`` (``-inf``/``nan`` at or below -1) but for a Python float."""
    if type(x) is float:
        try:
            return math.log1p(x)
        except ValueError:  # x <= -1: numpy's -inf / nan
            pass
    return np.log1p(x)


def expm1(x):
    """``exp(x) - 1``; ``np.expm1`` (``inf`` on overflow) but for a Python float."""
    if type(x) is float:
        try:
            return math.expm1(x)
        except OverflowError:
            pass
    return np.expm1(x)


def power(x, y):
    """``x ** y``; ``np.power`` (``inf``/``nan`` out of range) but for Python floats."""
    if type(x) is float and type(y) is float and x != -math.inf:  # (math: pow(-inf, 0.5) = inf; numpy: nan)
        try:
            return math.pow(x, y)
        except (ValueError, OverflowError):  # 0 to a negative power, a negative base, overflow
            pass
    return np.power(x, y)


def floor(x):
    """``np.floor``; ``float(math.floor(x))`` for a finite Python float."""
    if type(x) is float and x - x == 0:
        return float(math.floor(x))
    return np.floor(x)


def rint(x):
    """``np.rint`` (half to even); ``float(round(x))`` (also half to even) for a finite Python float."""
    if type(x) is float and x - x == 0:
        return float(round(x))
    return np.rint(x)


def maximum(a, b):
    """``np.maximum`` (NaN wins) on Python floats too."""
    if type(a) is float and type(b) is float:
        return a if (a >= b or a != a) else b
    return np.maximum(a, b)


def minimum(a, b):
    """``np.minimum`` (NaN wins) on Python floats too."""
    if type(a) is float and type(b) is float:
        return a if (a <= b or a != a) else b
    return np.minimum(a, b)


def sign(x):
    """``np.sign`` (NaN for NaN) on a Python float too."""
    if type(x) is float:
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x
    return np.sign(x)


def isfinite(x):
    """``np.isfinite`` on a Python float too."""
    if type(x) is float:
        return x - x == 0
    return np.isfinite(x)


def not_finite(x):
    """``~np.isfinite(x)`` on a Python float too."""
    if type(x) is float:
        return not x - x == 0
    return ~np.isfinite(x)


def not_(c):
    """Logical not: ``not c`` for a Python bool (``~True`` is -2), ``~c`` for numpy booleans."""
    return not c if type(c) is bool else ~c


def div(a, b):
    """``a / b`` with numpy's answer (inf/nan and its warning) where ``b`` is 0, for Python floats too."""
    if type(b) is float and b == 0:
        return np.float64(a) / b
    return a / b


def any_true(c) -> bool:
    """Whether any of ``c`` (a bool or a boolean array) is true."""
    return c if type(c) is bool else bool(np.any(c))


def all_true(c) -> bool:
    """Whether all of ``c`` (a bool or a boolean array) are true."""
    return c if type(c) is bool else bool(np.all(c))


def as_result(x):
    """A Python float as ``np.float64`` (what the engine returns for one scenario); anything else as is."""
    return np.float64(x) if type(x) is float else x

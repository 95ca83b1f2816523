"""Excel's arithmetic and comparison operators on all-number arrays, in numpy.

The ``formulas`` operators evaluate an array element by element in Python (``np.vectorize`` over a
checked scalar function: about 20 us an element), which dominated the template's calculation (its
monthly schedules are 481-row columns combined with ``+ - * /`` and comparisons). :func:`fast_operator`
wraps such an operator: when every argument is a number or an array of numbers (Python or numpy
floats and ints; for arithmetic also logicals, which Excel counts as 1 and 0) and the arrays share
one shape, numpy computes it, the same IEEE operation on the same doubles as ``formulas`` performs
one element at a time (single values: Python's own operator on the two doubles). Anything else (text, blanks, errors, logicals in a comparison, mismatched
shapes, a result that is not finite: division by zero, overflow) is left to the ``formulas``
operator unchanged, so every Excel error and conversion is its.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

import numpy as np

__all__ = ["FAST_OPERATORS", "fast_operator"]

_ARITHMETIC: dict[str, Callable] = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
                                    "U-": operator.neg}
_COMPARISON: dict[str, Callable] = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, ">": operator.gt,
                                    "<=": operator.le, ">=": operator.ge}
#: operators computed in numpy when their arguments are all numbers
FAST_OPERATORS = frozenset(_ARITHMETIC) | frozenset(_COMPARISON)

# formulas converts arithmetic arguments with float(); a comparison keeps the operands' own types
# (a numpy float in it gives a numpy logical), so comparisons take Python numbers only
_PY_NUMBERS = frozenset({float, int})
_NUMBERS_OR_LOGICALS = _PY_NUMBERS | {np.float64, np.int64, bool, np.bool_}


def _numbers(value: object, allowed: frozenset) -> np.ndarray | float | None:
    """``value`` as doubles (an array or one float), or None if anything in it is not allowed."""
    if type(value) in allowed:
        return float(value)  # type: ignore[arg-type]
    if not isinstance(value, np.ndarray):
        return None
    if value.ndim == 0:  # a previous operator's single result
        item = value.item()
        return float(item) if type(item) in allowed else None
    if value.ndim != 2 or value.size == 0:
        return None
    if value.dtype == object:
        if not allowed.issuperset(map(type, value.flat)):  # every element's type allowed (C loop)
            return None
        return value.astype(float)
    if (value.dtype.kind == "f" and np.float64 in allowed) or (value.dtype.kind == "b" and bool in allowed):
        return value.astype(float)
    return None


def fast_operator(name: str, fn: Callable, array_type: type) -> Callable:
    """``fn`` (the ``formulas`` operator ``name``) with the all-numbers case computed in numpy; results
    are ``array_type`` arrays of Python floats (arithmetic) or logicals (comparisons), as ``fn`` returns."""
    op = _ARITHMETIC.get(name) or _COMPARISON.get(name)
    if op is None:
        return fn
    allowed = _NUMBERS_OR_LOGICALS if name in _ARITHMETIC else _PY_NUMBERS

    def call(*args: object) -> object:
        shape = None
        values = []
        for a in args:
            v = _numbers(a, allowed)
            if v is None:
                return fn(*args)
            if isinstance(v, np.ndarray):
                if shape is not None and v.shape != shape:
                    return fn(*args)
                shape = v.shape
            values.append(v)
        if shape is None:  # single values: Python floats, a 0-d array as formulas returns them
            try:
                one = op(*values)
            except ZeroDivisionError:
                return fn(*args)
            if type(one) is float and not math.isfinite(one):
                return fn(*args)
            return np.array(one, dtype=object).view(array_type)
        with np.errstate(all="ignore"):
            res = np.asarray(op(*values))
        if res.dtype.kind == "f" and not np.isfinite(res).all():
            return fn(*args)  # #DIV/0!, #NUM! and the like, as formulas reports them
        return res.astype(object).view(array_type)

    call.__name__ = getattr(fn, "__name__", name)
    return call

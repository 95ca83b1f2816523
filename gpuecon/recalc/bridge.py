"""The bridge between the ``formulas`` package, the gpuecon UDFs and recalc's cell values. :func:`fx`
imports ``formulas`` once, lazily (about 0.1 s: scipy is imported only when a function needs it,
see :mod:`.functable`), and registers every function of :data:`gpuecon.excel.FUNCTIONS` in
``formulas.get_functions()`` so that Excel formulas calling them parse and run. The UDF names and how
many leading arguments of each may be columns come from :mod:`gpuecon.excel.functions` (``FUNCTIONS``,
``ELEMENTWISE_ARGS``), the one list the add-ins read too. A UDF is called in one of two modes: per
cell, as Excel calls it, or *vectorized* over a column of rows (:func:`udf_call`); which one is an
argument of the call, not a global switch. The value helpers convert between ``formulas`` values
(``Array``, ``XlError``, ``EMPTY``) and the plain Python values the UDFs take and the writer stores.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from ..excel.functions import ELEMENTWISE_ARGS, FUNCTIONS, is_error
from .functable import load_functions

__all__ = ["UDF_NAMES", "UDF_VECTOR_ARGS", "Formulas", "fx", "udf_call", "to_py", "from_py", "load_value",
           "as_array", "scalar", "writable", "plain", "same", "freeze", "thaw"]

#: the gpuecon Excel functions, as :data:`gpuecon.excel.FUNCTIONS` names them
UDF_NAMES: tuple[str, ...] = tuple(FUNCTIONS)
#: UDFs that broadcast element-wise over ranges -> how many leading arguments may be columns
UDF_VECTOR_ARGS: dict[str, int] = dict(ELEMENTWISE_ARGS)


@dataclass(frozen=True, slots=True)
class Formulas:
    """The parts of the ``formulas`` package recalc uses, and the vectorized UDF wrappers."""

    formulas: object
    sh: object
    Array: type
    XlError: type
    errors: dict
    EMPTY: object
    not_implemented: object
    vector_udfs: dict


_LOCK = threading.Lock()
_LOADED: list[Formulas] = []  # filled once by fx(), never changed afterwards


def fx() -> Formulas:
    """The formulas package, imported lazily (:mod:`.functable`), with the gpuecon UDFs registered."""
    if _LOADED:
        return _LOADED[0]
    with _LOCK:
        if not _LOADED:
            _LOADED.append(_load())
    return _LOADED[0]


def _load() -> Formulas:
    import formulas
    import schedula as sh
    from formulas.functions import Array, Error, XlError, not_implemented, wrap_ranges_func

    funcs = load_functions()  # formulas.get_functions(), scipy imported only when a function needs it
    from .excel_values import install_library_fixes

    install_library_fixes()  # Excel's text of complex numbers (.excel_values)
    vector = {}
    for name in UDF_NAMES:
        wrapper = wrap_ranges_func(udf_call(name, vector=False))  # ExcelModel passes Ranges; values pass through
        for prefix in ("", "_XLUDF.", "_XLL."):
            funcs[prefix + name] = wrapper
        vector[name] = wrap_ranges_func(udf_call(name, vector=True))
    return Formulas(formulas=formulas, sh=sh, Array=Array, XlError=XlError, errors=Error.errors, EMPTY=sh.EMPTY,
                    not_implemented=not_implemented, vector_udfs=vector)


def udf_call(name: str, *, vector: bool):
    """The UDF ``name`` as ``formulas`` calls it: an Excel error in an argument is the result; with
    ``vector``, column arguments are rows of one element-wise call (:func:`_udf_vector`)."""
    impl = FUNCTIONS[name]

    def call(*args):
        f = fx()
        for a in args:
            if isinstance(a, f.XlError):
                return a
        if vector and any(isinstance(a, np.ndarray) and a.size > 1 for a in args):
            return _udf_vector(impl, args, f)
        return from_py(impl(*[to_py(a) for a in args]))

    call.__name__ = name
    return call


def to_py(v: object) -> object:
    """A formulas value -> what the Excel UDFs expect (None for blank, floats, nested lists)."""
    if v is fx().EMPTY or v is None:
        return None
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return to_py(v.item())
        rows = v if v.ndim == 2 else v.reshape(-1, 1)
        return [[to_py(x) for x in r] for r in rows]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _udf_vector(impl, args, f: Formulas) -> object:
    """An element-wise UDF call over columns: rows with an Excel error in an argument get that error."""
    n = max(a.size for a in args if isinstance(a, np.ndarray))
    err = np.full(n, None, dtype=object)
    conv = []
    for a in args:
        if isinstance(a, np.ndarray) and a.size == n:
            flat = a.reshape(-1)
            col = []
            for i, x in enumerate(flat):
                if isinstance(x, f.XlError):
                    if err[i] is None:
                        err[i] = x
                    col.append(None)
                else:
                    col.append(to_py(x))
            conv.append([[x] for x in col])
        else:
            conv.append(to_py(a))
    out = impl(*conv)
    res = np.empty((n, 1), dtype=object)
    if isinstance(out, list) and len(out) == n:
        for i, row in enumerate(out):
            res[i, 0] = row[0] if isinstance(row, list) else row
    else:  # a whole-call error (one text) goes to every row
        res[:, 0] = out[0][0] if isinstance(out, list) else out
    for i in range(n):  # a row that failed is redone as Excel would call it, one cell at a time,
        if err[i] is None and is_error(res[i, 0]):  # so the reason is the scalar call's reason
            row = [c[i][0] if isinstance(c, list) and len(c) == n and isinstance(c[0], list) and
                   isinstance(args[k], np.ndarray) and args[k].size == n else c for k, c in enumerate(conv)]
            res[i, 0] = scalar(from_py(impl(*row)), f)
    bad = np.flatnonzero(err != None)  # noqa: E711 - object array
    res[bad, 0] = err[bad]
    return res.view(f.Array)


def from_py(v: object) -> object:
    """A UDF result -> a formulas value (a nested list becomes an Array, #N/A where rows are short)."""
    f = fx()
    if isinstance(v, list):
        rows = [r if isinstance(r, list) else [r] for r in v]
        width = max((len(r) for r in rows), default=1)
        arr = np.empty((len(rows), width), dtype=object)
        arr.fill(f.errors["#N/A"])
        for i, r in enumerate(rows):
            for j, x in enumerate(r):
                arr[i, j] = f.EMPTY if x is None else x
        return arr.view(f.Array)
    return f.EMPTY if v is None else v


# --- cell values -----------------------------------------------------------------------------------

def load_value(v: object, t: str, errors) -> object:
    """A value read from a cell (``t``: its type attribute) or given as an input -> a cell value."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str) and (t == "e" or (t == "" and v in errors)):
        return errors.get(v, errors["#VALUE!"])
    return v


def as_array(result: object, f: Formulas) -> object:
    """Any function result as a cell value or a 2-D array: a list (``MODE.MULT``) is a column, a
    ``Ranges`` its values; anything of more than two dimensions is ``#VALUE!``."""
    v = result
    if hasattr(v, "ranges") and hasattr(v, "value"):  # formulas' Ranges
        v = v.value
    if isinstance(v, list | tuple):
        try:
            arr = np.empty(len(v), dtype=object)
            arr[:] = list(v)
            v = arr.reshape(-1, 1)
        except (ValueError, TypeError):
            return f.errors["#VALUE!"]
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return v.item()
        if v.ndim == 1:
            return v.reshape(1, -1)
        if v.ndim > 2:
            return f.errors["#VALUE!"]
    return v


def scalar(result: object, f: Formulas) -> object:
    """A formula's result -> the one value its cell shows (top-left of an array, 0 for a blank); a
    complex number (a negative base to a fractional power) is ``#NUM!`` as in Excel, and any other
    value that is not a number, text, logical or error is ``#VALUE!``."""
    v = as_array(result, f)
    while isinstance(v, np.ndarray):
        v = as_array(v.reshape(-1)[0], f) if v.size else f.EMPTY
    if v is f.EMPTY or v is None:
        return 0.0  # a formula that points at a blank cell shows 0
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return f.errors["#NUM!"]
    if isinstance(v, complex):
        return f.errors["#NUM!"]
    if not isinstance(v, float | str | bool | f.XlError):
        return f.errors["#VALUE!"]
    return v


def writable(v: object, f: Formulas) -> object:
    """A cell value as the package writer takes it (an Excel error as its text)."""
    if isinstance(v, f.XlError):
        return str(v)
    return v


def plain(v: object) -> object:
    """A cell value as plain Python (named outputs): errors as text, numpy scalars unwrapped."""
    if isinstance(v, fx().XlError):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def same(new: object, old: object, f: Formulas) -> bool:
    """Whether a computed value equals the cached one (then the cell is not rewritten)."""
    if isinstance(new, f.XlError):
        return isinstance(old, f.XlError) and str(old) == str(new)
    if isinstance(new, bool) or isinstance(old, bool):
        return type(new) is type(old) and new == old
    if isinstance(new, float) and isinstance(old, float):
        return new == old or (math.isnan(new) and math.isnan(old))
    return type(new) is type(old) and new == old


def freeze(v: object) -> object:
    """Nested lists -> nested tuples (hashable operands)."""
    if isinstance(v, list):
        return tuple(freeze(x) for x in v)
    return v


def thaw(v: object) -> object:
    """The inverse of :func:`freeze`."""
    if isinstance(v, tuple):
        return [thaw(x) for x in v]
    return v

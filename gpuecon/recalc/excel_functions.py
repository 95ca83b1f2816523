"""Excel functions whose ``formulas`` implementation differs from Excel's, replaced for recalc only
(:func:`override` is called by :class:`~gpuecon.recalc.program.Program` per function call; the
``formulas`` package's own registry is left as it is). Each replacement follows Excel's documented
behaviour, and the cases it is not sure of raise :class:`Unsupported`, so that the cell is reported
(``error``) rather than shown with a guess:

* ``INDEX(array, row, 0)`` / ``INDEX(array, 0, col)``: the whole row or column (``formulas`` took the
  first cell); ``INDEX(range, n)`` of a two-dimensional *reference* is ``#REF!``.
* ``INDIRECT`` (not in ``formulas``) and ``OFFSET`` (which needs the reference): :mod:`.dynamic`.
* ``LINEST`` / ``TREND`` (omitted ``const`` is TRUE; collinear columns dropped): :mod:`.regression`.
* ``SUBTOTAL`` (not in ``formulas``) where no hidden row and no SUBTOTAL cell is in its references;
  ``AGGREGATE`` (not in ``formulas``; function numbers 1-19, options 0-7) where the rows and the nested
  SUBTOTAL/AGGREGATE cells its options skip are not in its references (:func:`aggregate_problem`).
* ``ROWS`` / ``COLUMNS`` of a range or array (``formulas`` needs its own ``Ranges`` object).
* ``LOOKUP(value, array)``: searches the first row when the array is wider than tall, else the first
  column, and returns from the last row/column; ``LOOKUP(value, vector, result)`` with a
  two-dimensional lookup vector searches its first column (row when wider), a two-dimensional result
  is ``#N/A``.
* ``IPMT``: any sign of present value (``formulas`` gave ``#NUM!`` whenever the interest was positive:
  ``IPMT(12.5%,1,10,-10000)`` is 1250); ``#NUM!`` when the period is outside 1..nper.
* ``TEXT`` with a number format (:mod:`.text_format`).
* complex-number text (IM*, COMPLEX), ``TYPE``, ``N``, ``TRUNC``, ``SKEW``: :mod:`.excel_values`.
* a text typed where a number or a logical is expected (LEFT/RIGHT/MID/REPLACE counts, IF's test,
  AND/OR/XOR, LARGE/SMALL of one typed value, VALUE with currency and separators): :mod:`.coercion`.

:data:`NOT_EVALUABLE` lists the functions known to differ from Excel that are not replaced (their cells
keep the saved value, stale after a change); :data:`SCALAR_ARGS` the arguments Excel reads as one value
(implicit intersection of a range in a plain formula).

`SOLVER_ABS_TOL` gives the documented precision of Excel's iterative solvers (XIRR, IRR): a value
recalculated within it of the saved one is Excel's own result (see ``Workbook._check``).
"""

from __future__ import annotations

import functools
import re

import numpy as np

from .bridge import fx
from .coercion import NUMERIC_TEXT_ARGS
from .errors import Unsupported
from .excel_values import IGNORE_TEXT_IN_ARRAYS
from .rounding import NEAR_ZERO, near_zero_checked
from .text_format import text_function

__all__ = ["AGGREGATE_FUNCTIONS", "NOT_EVALUABLE", "SCALAR_ARGS", "OMITTED_AS_NONE", "RANGE_TO", "aggregate", "aggregate_problem", "SOLVER_ABS_TOL", "SUBTOTAL_FUNCTIONS", "Unsupported", "override", "range_to", "subtotal",
           "subtotal_problem"]

#: Excel's documented accuracy of iterative solvers, absolute on the rate: XIRR "accurate within
#: 0.000001 percent", IRR "within 0.00001 percent" (Microsoft's function reference)
SOLVER_ABS_TOL = {"XIRR": 1e-8, "IRR": 1e-7}


#: functions whose ``formulas`` implementation is known to differ from Excel (the corpus shows it) and
#: that recalc does not replace: a cell calling one is never computed. It keeps the value Excel saved
#: (``kept saved value``), and once a precedent changes it and everything that reads it are ``stale``,
#: so no changed input ever gives a silently wrong value. The one table: function -> why.
NOT_EVALUABLE: dict[str, str] = {
    "FORECAST.ETS": "Excel's exponential smoothing (AAA ETS) is not reproduced by formulas",
    "FORECAST.ETS.CONFINT": "Excel's exponential smoothing (AAA ETS) is not reproduced by formulas",
    "FORECAST.ETS.SEASONALITY": "Excel's exponential smoothing (AAA ETS) is not reproduced by formulas",
    "FORECAST.ETS.STAT": "Excel's exponential smoothing (AAA ETS) is not reproduced by formulas",
    "BAHTTEXT": "the Thai text of a number is not implemented by formulas",
    "BESSELI": "Excel's series approximation differs from the exact value in the 8th digit",
    "BESSELJ": "Excel's series approximation differs from the exact value in the 8th digit",
    "BESSELK": "Excel's series approximation differs from the exact value in the 8th digit",
    "BESSELY": "Excel's series approximation differs from the exact value in the 8th digit",
}

#: functions whose arguments (all, or those at the given 0-based positions) are single values in Excel: in
#: a plain formula (not an array formula) a range given there, when the function's result is the cell's
#: value (directly or through arithmetic), is read by implicit intersection: the cell on the formula's
#: row (a column range) or column (a row range), #VALUE! otherwise (``=SIN(A1:A9)`` in C5 is SIN(A5)).
#: Inside a function that takes arrays (``SUMPRODUCT(LEN(A1:A9))``) the range stays an array.
ALL_ARGS = None
SCALAR_ARGS: dict[str, tuple[int, ...] | None] = {
    **dict.fromkeys(("ACOS", "ACOSH", "ACOT", "ACOTH", "ASIN", "ASINH", "ATAN", "ATAN2", "ATANH", "CEILING", "COS",
                     "COSH", "COT", "COTH", "CSC", "CSCH", "DEGREES", "EVEN", "FACT", "FLOOR", "LOG", "LOG10", "ODD",
                     "RADIANS", "SEC", "SECH", "SIGN", "SIN", "SINH", "TAN", "TANH", "CHAR", "CODE", "CONCATENATE",
                     "EXACT", "LEFT", "LEN", "LOWER", "MID", "PROPER", "RIGHT", "TRIM", "UPPER", "ISLOGICAL",
                     "ISNONTEXT", "ISTEXT", "ISNA", "ISERR"), ALL_ARGS),
    "COUNTIF": (1,), "SUMIF": (1,), "AVERAGEIF": (1,),  # the criteria; the ranges are ranges
    "GPUECON.OFFSET": (1, 2, 3, 4),  # rows, cols, height, width (the base is a reference)
}


#: replacements that take an omitted argument (``LINEST(y,x,,TRUE)``) as None, Excel's default; the
#: ``formulas`` parser gives 0 for it
OMITTED_AS_NONE = {"LINEST", "TREND", "GPUECON.OFFSET"}
#: recalc's own function for ``REF:INDEX(range, row, col)`` (:func:`range_to`), written by the analyser
RANGE_TO = "GPUECON.RANGE_TO"


def override(name: str, fn, reference_args: list[bool]):
    """The function recalc calls for ``name`` (bare, upper case): a replacement or ``fn`` itself.
    ``reference_args[i]``: the i-th argument is a reference in the formula (not a computed value).
    LINEST, TREND, PPMT, XNPV, MINVERSE note a result within rounding of zero (:mod:`.rounding`)."""
    new = _override(name, fn, reference_args)
    if name in NEAR_ZERO:
        return near_zero_checked(name, new)
    return new


def _override(name: str, fn, reference_args: list[bool]):
    first_ref = bool(reference_args) and reference_args[0]
    if name == RANGE_TO:
        return range_to
    if name == "SUBTOTAL":
        return subtotal
    if name == "AGGREGATE":
        return aggregate
    if name in ("LINEST", "TREND"):
        from .regression import linest, trend

        return linest if name == "LINEST" else trend
    if name == "INDIRECT":
        from .dynamic import indirect

        return indirect
    if name == "GPUECON.OFFSET":
        from .dynamic import offset

        return offset
    if name == "INDEX":
        return functools.partial(index, fn, reference=first_ref)
    if name in ("ROWS", "COLUMNS"):
        return functools.partial(rows_columns, axis=0 if name == "ROWS" else 1, reference=first_ref)
    if name == "LOOKUP":
        return functools.partial(lookup, fn)
    if name == "IPMT":
        return _ipmt()
    if name == "TEXT":
        return text_function()
    if name in ("TYPE", "N", "TRUNC", "SKEW", "SKEW.P", "ISNUMBER", "XNPV", "SWITCH", "=", "<>", "<", ">", "<=", ">=") \
            or name in IGNORE_TEXT_IN_ARRAYS:
        from . import excel_values as ev

        if name in ("=", "<>", "<", ">", "<=", ">="):
            return ev.comparison_function(name)
        if name == "SWITCH":
            return ev.switch_function()
        if name == "XNPV":
            return functools.partial(ev.xnpv, fn)
        if name == "ISNUMBER":
            return functools.partial(ev.is_number, fn)
        if name in ("SKEW", "SKEW.P"):
            return ev.text_ignored(name, ev.skew_function(population=name == "SKEW.P"))
        if name in ("LARGE", "SMALL"):
            from .coercion import typed_array

            return typed_array(ev.text_ignored(name, fn), reference_args)
        if name in IGNORE_TEXT_IN_ARRAYS:
            return ev.text_ignored(name, fn)
        if name == "TYPE":
            return ev.type_of
        if name == "N":
            return functools.partial(ev.n_value, fn)
        return ev.trunc_function()
    if name in NUMERIC_TEXT_ARGS or name in ("IF", "AND", "OR", "XOR", "VALUE"):
        from . import coercion as co

        if name == "IF":
            return co.logical_test(fn)
        if name in ("AND", "OR", "XOR"):
            return co.logical_args(fn, reference_args)
        if name == "VALUE":
            return co.value_function(fn)
        return co.numeric_text_args(fn, NUMERIC_TEXT_ARGS[name])
    return fn


def _one(v: object) -> object:
    """A 1x1 array -> its value."""
    if isinstance(v, np.ndarray) and v.size == 1:
        return v.reshape(-1)[0]
    return v


def _grid(v: object) -> np.ndarray:
    f = fx()
    if isinstance(v, np.ndarray):
        return v if v.ndim == 2 else np.asarray(v, dtype=object).reshape(1, -1).view(f.Array)
    return np.array([[v]], dtype=object).view(f.Array)


def _position(v: object, f) -> int | object:
    """An INDEX row or column number: an int, or the Excel error it is."""
    v = _one(v)
    if isinstance(v, f.XlError):
        return v
    if v is f.EMPTY or v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return f.errors["#VALUE!"]
    if not isinstance(v, int | float | np.number):
        return f.errors["#VALUE!"]
    return int(v)  # Excel truncates


def index(original, array, row_num, col_num=None, area_num=1.0, *, reference: bool):
    """Excel's INDEX over one area: 0 as row (column) number is the whole column (row). Arrays of
    row or column numbers go to ``formulas``' INDEX (``original``)."""
    f = fx()
    if isinstance(array, f.XlError):
        return array
    if isinstance(row_num, np.ndarray) and row_num.size > 1 or isinstance(col_num, np.ndarray) and col_num.size > 1:
        args = (array, row_num) if col_num is None else (array, row_num, col_num, area_num)
        return original(False, *args)  # its first argument: formulas' "compiling" flag
    grid = _grid(array)
    h, w = grid.shape
    area = _position(area_num, f)
    if isinstance(area, f.XlError):
        return area
    if area != 1:
        return f.errors["#REF!"]
    row = _position(row_num, f)
    if isinstance(row, f.XlError):
        return row
    if row < 0:
        return f.errors["#VALUE!"]
    if col_num is None:
        if h == 1:
            row, col = 1, row
        elif w == 1:
            col = 1
        elif reference:
            return f.errors["#REF!"]  # INDEX(B2:D5, 2): Excel gives #REF! for a 2-D reference
        else:
            col = 0
    else:
        col = _position(col_num, f)
        if isinstance(col, f.XlError):
            return col
        if col < 0:
            return f.errors["#VALUE!"]
    if row > h or col > w:
        return f.errors["#REF!"]
    rows = slice(None) if row == 0 else slice(row - 1, row)
    cols = slice(None) if col == 0 else slice(col - 1, col)
    out = grid[rows, cols]
    if out.size == 1:
        return out[0, 0]
    return np.asarray(out, dtype=object).view(f.Array)


def range_to(box, x_r1, x_c1, x_r2, x_c2, r_r1, r_c1, r_h, r_w, row_num, col_num=None):
    """``X:INDEX(R, row, col)``: the range from the reference ``X`` to the reference INDEX returns
    (Excel's dynamic range, ``SUM(B2:INDEX(B:B, n))``). ``box``: the values of the bounding range of
    ``X`` and ``R``; the other numbers place ``X`` and ``R`` in it (0-based offsets, ``R``'s size)."""
    f = fx()
    row = _position(row_num, f)
    col = 0 if col_num is None else _position(col_num, f)
    for v in (row, col):
        if isinstance(v, f.XlError):
            return v
    h, w = int(r_h), int(r_w)
    if col_num is None:
        if h == 1:
            row, col = 1, row
        elif w == 1:
            col = 1
        else:
            return f.errors["#REF!"]
    if row < 0 or col < 0:  # type: ignore[operator]
        return f.errors["#VALUE!"]
    if row > h or col > w:  # type: ignore[operator]
        return f.errors["#REF!"]
    a_r1, a_r2 = (0, h - 1) if row == 0 else (row - 1, row - 1)  # type: ignore[operator]
    a_c1, a_c2 = (0, w - 1) if col == 0 else (col - 1, col - 1)  # type: ignore[operator]
    r0, c0 = int(r_r1), int(r_c1)
    r1, r2 = min(int(x_r1), r0 + a_r1), max(int(x_r2), r0 + a_r2)
    c1, c2 = min(int(x_c1), c0 + a_c1), max(int(x_c2), c0 + a_c2)
    grid = _grid(box)
    return np.asarray(grid[r1:r2 + 1, c1:c2 + 1], dtype=object).view(f.Array)


#: SUBTOTAL's function numbers (1-11; 101-111 also skip rows hidden by hand) -> the function
SUBTOTAL_FUNCTIONS = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV.S",
                      8: "STDEV.P", 9: "SUM", 10: "VAR.S", 11: "VAR.P"}


def subtotal(function_num, *refs):
    """Excel's SUBTOTAL over references with no hidden rows and no SUBTOTAL cells inside (the analyser
    reports the others, ``subtotal_problem``): the statistical function the number names."""
    f = fx()
    n = _one(function_num)
    if isinstance(n, f.XlError):
        return n
    try:
        k = int(float(n))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f.errors["#VALUE!"]
    name = SUBTOTAL_FUNCTIONS.get(k % 100 if k > 100 else k)
    if name is None or not (1 <= k <= 11 or 101 <= k <= 111) or not refs:
        return f.errors["#VALUE!"]
    args = [r if isinstance(r, np.ndarray) else np.array([[r]], dtype=object).view(f.Array) for r in refs]
    return f.formulas.get_functions()[name](*args)


#: AGGREGATE's function numbers -> the function (14-19 take an array and k)
AGGREGATE_FUNCTIONS = SUBTOTAL_FUNCTIONS | {12: "MEDIAN", 13: "MODE.SNGL", 14: "LARGE", 15: "SMALL",
                                            16: "PERCENTILE.INC", 17: "QUARTILE.INC", 18: "PERCENTILE.EXC",
                                            19: "QUARTILE.EXC"}
_AGGREGATE = re.compile(r"\bAGGREGATE\s*\(\s*([^,()]*)\s*,\s*([^,()]*)[,)]", re.IGNORECASE)


def _whole(v: object, f) -> int | object:
    v = _one(v)
    if isinstance(v, f.XlError):
        return v
    try:
        return int(float(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f.errors["#VALUE!"]


def aggregate(function_num, options, *args):
    """Excel's AGGREGATE(function_num, options, ref1, ...) (1-13) and AGGREGATE(function_num, options,
    array, k) (14-19): the function the number names, without the error values when the options say
    so (2, 3, 6, 7); otherwise the first error in the values is the result. The rows and nested
    SUBTOTAL/AGGREGATE cells the options skip are checked before (:func:`aggregate_problem`)."""
    f = fx()
    k, opt = _whole(function_num, f), _whole(0 if options is None or _one(options) is f.EMPTY else options, f)
    for v in (k, opt):
        if isinstance(v, f.XlError):
            return v
    name = AGGREGATE_FUNCTIONS.get(k)  # type: ignore[arg-type]
    if name is None or not 0 <= opt <= 7 or not args or k >= 14 and len(args) != 2:  # type: ignore[operator]
        return f.errors["#VALUE!"]
    values = args[:1] if k >= 14 else args  # type: ignore[operator]
    grids = [v if isinstance(v, np.ndarray) else np.array([[v]], dtype=object).view(f.Array) for v in values]
    skip_errors = opt in (2, 3, 6, 7)
    out = []
    for g in grids:
        g = np.asarray(g, dtype=object)
        bad = np.frompyfunc(lambda x: isinstance(x, f.XlError), 1, 1)(g).astype(bool)
        if bad.any():
            if not skip_errors:
                return g[bad][0]
            g = g.copy()
            g[bad] = f.EMPTY
        out.append(g.view(f.Array))
    fn = f.formulas.get_functions()[name]
    return fn(out[0], args[1]) if k >= 14 else fn(*out)  # type: ignore[operator]


def aggregate_problem(text: str, cells_in, hidden_rows) -> str:
    """Why a formula calling AGGREGATE cannot be computed as :func:`aggregate` does, or "": its options
    (a number written in the formula; any other is taken as skipping everything) skip nested
    SUBTOTAL/AGGREGATE cells (0-3) and there are some in its references, or skip hidden rows (1, 3, 5,
    7) and some are hidden. Arguments as :func:`subtotal_problem`."""
    options: set[int | None] = set()
    for m in _AGGREGATE.finditer(text):
        try:
            options.add(int(m.group(2).strip() or 0))
        except ValueError:
            options.add(None)
    if not options:
        options.add(None)
    skip_nested = any(o is None or 0 <= o <= 3 for o in options)
    skip_hidden = any(o is None or o in (1, 3, 5, 7) for o in options)
    if skip_nested and any(_NESTED.search(cell.text) for cell in cells_in):
        return "AGGREGATE over cells that hold SUBTOTAL or AGGREGATE (its options skip them) is not reproduced"
    if skip_hidden and hidden_rows:
        return "AGGREGATE skipping hidden rows over hidden or filtered rows is not reproduced"
    return ""


_NESTED = re.compile(r"\b(?:SUBTOTAL|AGGREGATE)\s*\(", re.IGNORECASE)


def subtotal_problem(text: str, cells_in, hidden_rows) -> str:
    """Why a formula calling SUBTOTAL cannot be computed as :func:`subtotal` does, or "": a reference
    holding SUBTOTAL/AGGREGATE cells (Excel skips them) or rows hidden (by a filter or by hand).
    ``cells_in``: the formula cells of the formula's references; ``hidden_rows``: (sheet, row) -> hidden."""
    for cell in cells_in:
        if _NESTED.search(cell.text):
            return "SUBTOTAL over cells that hold SUBTOTAL or AGGREGATE (Excel skips them) is not reproduced"
    if hidden_rows:
        return "SUBTOTAL over hidden or filtered rows is not reproduced"
    return ""


def rows_columns(ref, *, axis: int, reference: bool):
    """ROWS (axis 0) / COLUMNS (axis 1) of a range, an array or a single value."""
    f = fx()
    if isinstance(ref, np.ndarray) and ref.ndim == 2:
        return float(ref.shape[axis])
    if isinstance(ref, f.XlError) and not reference:
        return ref
    return 1.0


def lookup(original, value, lookup_array, result=None):
    """Excel's LOOKUP: the search vector and the result vector chosen by the array's shape, then
    ``formulas``' own approximate search (as MATCH type 1)."""
    f = fx()
    grid = _grid(lookup_array)
    h, w = grid.shape
    wide = w > h
    search = grid[0, :] if wide else grid[:, 0]
    if result is None:
        found = grid[-1, :] if wide else grid[:, -1]
    else:
        res = _grid(result)
        if res.shape[0] > 1 and res.shape[1] > 1:
            return f.errors["#N/A"]
        found = res.reshape(-1)
        if found.size < search.size:
            raise Unsupported("LOOKUP with a result vector shorter than the lookup vector")
    col = np.asarray(search, dtype=object).reshape(-1, 1).view(f.Array)
    out = np.asarray(found, dtype=object).reshape(-1, 1).view(f.Array)
    return original(value, col, out)


def _ipmt():
    from formulas.functions import convert2float, wrap_ufunc

    return wrap_ufunc(ipmt, input_parser=convert2float)


def ipmt(rate: float, per: float, nper: float, pv: float, fv: float = 0.0, type: float = 0.0):  # noqa: A002
    """Excel's IPMT: the interest part of payment ``per`` (numpy-financial's ipmt, which is Excel's
    formula for either sign of ``pv``); ``#NUM!`` when ``per`` is outside 1..``nper``."""
    import numpy_financial as npf

    f = fx()
    if per < 1 or per > nper or type not in (0, 1):
        return f.errors["#NUM!"]
    return float(npf.ipmt(rate, per, nper, pv, fv=fv, when=int(type)))


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

`SOLVER_ABS_TOL` gives the documented precision of Excel's iterative solvers (XIRR, IRR): a value
recalculated within it of the saved one is Excel's own result (see ``Workbook._check``).
"""

from __future__ import annotations

import functools
import re

import numpy as np

from .bridge import fx
from .errors import Unsupported
from .text_format import text_function

__all__ = ["AGGREGATE_FUNCTIONS", "NOT_EVALUABLE", "OMITTED_AS_NONE", "RANGE_TO", "aggregate", "aggregate_problem", "SOLVER_ABS_TOL", "SUBTOTAL_FUNCTIONS", "Unsupported", "complex_text", "install_library_fixes", "override", "range_to", "subtotal",
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

#: replacements that take an omitted argument (``LINEST(y,x,,TRUE)``) as None, Excel's default; the
#: ``formulas`` parser gives 0 for it
OMITTED_AS_NONE = {"LINEST", "TREND", "GPUECON.OFFSET"}
#: recalc's own function for ``REF:INDEX(range, row, col)`` (:func:`range_to`), written by the analyser
RANGE_TO = "GPUECON.RANGE_TO"


def override(name: str, fn, reference_args: list[bool]):
    """The function recalc calls for ``name`` (bare, upper case): a replacement or ``fn`` itself.
    ``reference_args[i]``: the i-th argument is a reference in the formula (not a computed value)."""
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
    if name == "TYPE":
        return type_of
    if name == "N":
        return functools.partial(n_value, fn)
    if name == "TRUNC":
        return _trunc()
    if name in ("SKEW", "SKEW.P"):
        return _skew(population=name == "SKEW.P")
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


def _text15(x: float) -> str:
    """A complex number's part as Excel's IM* functions write it: 15 significant digits, trailing zeros
    dropped, plain decimals from 1E-05 to below 1E+15 (the corpus' IM* texts switch between 0.0000692... and
    1.28...E-06), ``1.5E-06`` / ``1.5E+15`` outside, as Excel's 15-digit General format."""
    from decimal import Decimal

    if x == 0:
        return "0"
    mantissa, _, exp_text = f"{x:.14e}".partition("e")  # the double's exact value, rounded to 15 digits
    exp = int(exp_text)
    if -5 <= exp < 15:
        text = format(Decimal(mantissa).scaleb(exp), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{'-' if exp < 0 else '+'}{abs(exp):02d}"


def complex_text(real: float, imag: float, suffix: str = "j") -> str:
    """Excel's text of a complex number (COMPLEX and the IM* functions, which ``formulas`` wrote with
    Python's 17 digits): each part to 15 significant digits (:func:`_text15`), a unit imaginary part as
    the bare suffix (``3-i``), a zero part left out, ``0`` for zero."""
    import math

    from formulas.errors import FoundError

    if not (math.isfinite(real) and math.isfinite(imag)):
        raise FoundError(err=fx().errors["#NUM!"])
    re_text, im_text = _text15(real), _text15(imag)
    re_text = "" if re_text in ("0", "-0") else re_text
    if im_text in ("0", "-0"):
        return re_text or "0"
    sign = "-" if im_text.startswith("-") else "+"
    digits = im_text.lstrip("-")
    im_part = suffix if digits == "1" else digits + suffix
    return (re_text + sign + im_part) if re_text else ("-" if sign == "-" else "") + im_part


def install_library_fixes() -> None:
    """Fixes inside ``formulas``' own modules (called once when its function table is loaded): the
    complex-number text of COMPLEX and every IM* function (:func:`complex_text`), and the suffix of a
    result from real numbers only (``IMSQRT("-4")`` is ``2i``; formulas took ``j``)."""
    import formulas.functions.eng as eng

    eng._fmt_complex = complex_text
    parse = eng._parse_im

    def parse_im(s):
        num, suffix = parse(s)
        text = np.asarray(s, object).item() if isinstance(s, np.ndarray) else s
        if suffix == "j" and isinstance(text, str) and "j" not in text.lower():
            suffix = None  # no suffix written: the default, i
        return num, suffix

    if not getattr(parse, "recalc_fixed", False):
        parse_im.recalc_fixed = True  # type: ignore[attr-defined]
        eng._parse_im = parse_im


def type_of(value):
    """Excel's TYPE: 1 number (or blank), 2 text, 4 logical, 16 error, 64 array (``formulas`` turned an
    error or a blank into numpy text first, so gave 2)."""
    f = fx()
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return 64.0
        value = value.reshape(-1)[0]
    if isinstance(value, f.XlError):
        return 16.0
    if isinstance(value, bool | np.bool_):
        return 4.0
    if isinstance(value, str) and value is not f.EMPTY:
        return 2.0
    return 1.0


def n_value(original, value):
    """Excel's N: TRUE is 1 and FALSE 0 (``formulas`` returned the logical itself); the rest is its N."""
    v = _one(value)
    if isinstance(v, bool | np.bool_):
        return float(v)
    return original(value)


def _trunc():
    from formulas.functions import convert2float, wrap_ufunc

    return wrap_ufunc(trunc, input_parser=convert2float)


def trunc(number: float, num_digits: float = 0.0) -> float:
    """Excel's TRUNC: the number to 15 significant digits, as Excel keeps it (``TRUNC(-0.7999999999999998,
    1)`` is -0.8: the value shows as -0.8), then cut toward zero at ``num_digits`` (truncated) digits."""
    from decimal import ROUND_DOWN, Decimal

    digits = int(num_digits)
    shown = Decimal(f"{number:.15g}")
    if shown.as_tuple().exponent >= -digits:  # no digit below the cut
        return float(shown) + 0.0
    return float(shown.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN)) + 0.0  # + 0.0: no -0


def _skew(*, population: bool):
    """SKEW / SKEW.P: ``formulas``' own argument handling (``xfunc``) and its #DIV/0! rule, Excel's
    arithmetic (:func:`skew`)."""
    from formulas.functions import Error, wrap_func
    from formulas.functions.stat import xfunc

    def values_skew(v: list) -> object:
        if len(v) < 3 or np.isclose(np.var(v, ddof=1), 0.0):  # formulas' test, kept
            return Error.errors["#DIV/0!"]
        return skew([float(x) for x in v], population=population)

    return wrap_func(functools.partial(xfunc, func=values_skew, default=None))


def skew(values: list[float], *, population: bool) -> float:
    """The skewness as Excel computes it, to the last bit of the corpus' near-zero results (scipy's
    moment formula gives -7.3e-16 where Excel saved -1.11e-15): z = (x - mean) / s, then
    n / ((n - 1)(n - 2)) * sum(z * z * z) with the sample s (SKEW), or sum(z * z * z) / n with the
    population s (SKEW.P)."""
    import math

    n = len(values)
    mean = sum(values) / n
    ss = sum((x - mean) ** 2 for x in values)
    sd = math.sqrt(ss / n) if population else math.sqrt(ss / (n - 1))
    cubes = sum(((x - mean) / sd) * ((x - mean) / sd) * ((x - mean) / sd) for x in values)
    return cubes / n if population else n / ((n - 1) * (n - 2)) * cubes

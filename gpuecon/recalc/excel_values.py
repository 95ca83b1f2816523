"""More Excel functions whose ``formulas`` implementation differs from Excel's, replaced for recalc only
(through :func:`.excel_functions.override`; tests/test_recalc_functions.py holds each to Excel's value):

* the text of a complex number (COMPLEX and every IM* function): 15 significant digits as Excel writes
  them (:func:`complex_text`), and ``i`` as the suffix of a result from real numbers only;
* ``TYPE`` of an error or a blank (16, 1; ``formulas`` gave 2), ``N(TRUE)`` (1);
* ``TRUNC`` of the number as Excel keeps it, to 15 digits (``TRUNC(-0.7999999999999998, 1)`` is -0.8);
* ``SKEW`` / ``SKEW.P`` with Excel's order of arithmetic (its near-zero results to the last bit);
* the statistical functions ignoring text in ranges and arrays, ISNUMBER of text, PRODUCT of nothing;
* XNPV's rate, SWITCH's text comparison, TEXT's one-letter date codes, a number's text in ``&``,
  CONCATENATE, LEN, ... (15 significant digits).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .bridge import fx

__all__ = ["complex_text", "install_library_fixes", "n_value", "skew", "skew_function", "trunc", "trunc_function",
           "type_of"]


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
    complex-number text of COMPLEX and every IM* function (:func:`complex_text`), the suffix of a
    result from real numbers only (``IMSQRT("-4")`` is ``2i``; formulas took ``j``), and TEXT's one-letter
    date and time codes (:func:`_one_digit_codes`)."""
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
    import formulas.functions.operators as operators
    import formulas.functions.text as text

    if not getattr(text._format_datetime, "recalc_fixed", False):
        text._format_datetime = _one_digit_codes(text._format_datetime)
    if not getattr(text._str, "recalc_fixed", False):
        text._str = operators._str = _number_as_text(text._str)


def _number_as_text(to_text):
    """``formulas``' text of a value (``&``, CONCATENATE, LEN, LEFT, SEARCH, EXACT, ...) with a number as
    Excel writes it: 15 significant digits (``0.1+0.2&""`` is ``0.3``, not ``0.30000000000000004``),
    plain decimals from 1E-05 (``0.00001``: the corpus, book 35's SEARCH) to below 1E+15, ``1E-06`` /
    ``1E+20`` outside (:func:`_text15`); text and logicals as before."""
    def as_text(value):
        if isinstance(value, float | np.floating) and not isinstance(value, bool | np.bool_) \
                and math.isfinite(value):
            return _text15(float(value))
        return to_text(value)

    as_text.recalc_fixed = True  # type: ignore[attr-defined]
    return as_text


def _one_digit_codes(format_datetime):
    """``formulas``' date and time parts with the one-letter codes right: ``d``, ``m``, ``h``, ``m``
    (minutes) and ``s`` are the number without leading zero (formulas stripped every zero: day 10 was
    ``1``, hour 0 empty)."""
    from datetime import datetime

    from formulas.functions.date import _int2date, _n2time

    def fixed(value, codes, types):
        out = format_datetime(value, codes, types)
        moment = datetime(*(_int2date(value) + _n2time(value)))
        single = {"d": moment.day, "m": moment.month, "H": moment.hour, "M": moment.minute, "S": moment.second}
        for kind in ("date", "time"):
            for i in types.get(kind, ()):
                if codes[i] in single:
                    out[i] = str(single[codes[i]])
        return out

    fixed.recalc_fixed = True  # type: ignore[attr-defined]
    return fixed


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
    v = value.reshape(-1)[0] if isinstance(value, np.ndarray) and value.size == 1 else value
    if isinstance(v, bool | np.bool_):
        return float(v)
    return original(value)


def trunc_function():
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


def skew_function(*, population: bool):
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
    n = len(values)
    mean = sum(values) / n
    ss = sum((x - mean) ** 2 for x in values)
    sd = math.sqrt(ss / n) if population else math.sqrt(ss / (n - 1))
    cubes = sum(((x - mean) / sd) * ((x - mean) / sd) * ((x - mean) / sd) for x in values)
    return cubes / n if population else n / ((n - 1) * (n - 2)) * cubes


#: statistical functions that ignore text in a range or array (Excel: "text in the array or reference is
#: ignored"); ``formulas`` read text that looks like a number ("1") as the number. The A-variants
#: (COUNTA, AVERAGEA, ...) count text and are not here.
IGNORE_TEXT_IN_ARRAYS = frozenset({
    "SUM", "SUMSQ", "PRODUCT", "AVERAGE", "COUNT", "MAX", "MIN", "MEDIAN", "STDEV", "STDEV.S", "STDEV.P", "STDEVP",
    "VAR", "VAR.S", "VAR.P", "VARP", "MODE", "MODE.SNGL", "MODE.MULT", "GEOMEAN", "HARMEAN", "AVEDEV", "DEVSQ",
    "KURT", "SKEW", "SKEW.P", "LARGE", "SMALL"})


_NUMBER_TYPES = {int, float}


def _drop_text(v: object, f) -> tuple[object, bool]:
    """An array argument with its text replaced by blanks, and whether a number is left in it."""
    if not isinstance(v, np.ndarray) or v.dtype != object:
        return v, isinstance(v, np.ndarray) and v.size > 0
    flat = v.ravel()
    kinds = set(map(type, flat))  # the element types, in one C loop (most ranges hold numbers only)
    has_number = bool(kinds & _NUMBER_TYPES) or any(issubclass(k, np.number) for k in kinds)
    if not any(issubclass(k, str) and k is not type(f.EMPTY) and not issubclass(k, f.XlError) for k in kinds):
        return v, has_number  # no text: blanks and errors are formulas' to handle
    text = [i for i, x in enumerate(flat) if isinstance(x, str) and x is not f.EMPTY and not isinstance(x, f.XlError)]
    if not text:
        return v, has_number
    out = np.array(v, dtype=object)
    out.ravel()[text] = f.EMPTY
    return out.view(type(v)), has_number


def text_ignored(name: str, fn):
    """``fn`` (``formulas``' own ``name``) called with the text in its array arguments (a reference read,
    or an array; LARGE's and SMALL's first argument only) blanked, as Excel ignores it; a value typed as an argument (``SUM("2", A1:A3)``) is
    passed unchanged. PRODUCT of no number at all is 0, as in Excel (``formulas`` gave 1)."""
    def call(*args):
        f = fx()
        data = 1 if name in ("LARGE", "SMALL") else len(args)  # LARGE(array, k): k is no data
        cleaned = [_drop_text(a, f) if i < data else (a, True) for i, a in enumerate(args)]
        result = fn(*[a for a, _ in cleaned])
        if name == "PRODUCT" and all(isinstance(a, np.ndarray) and not has for a, (_, has) in zip(args, cleaned,
                                                                                                   strict=True)):
            one = result.reshape(-1)[0] if isinstance(result, np.ndarray) and result.size == 1 else result
            if type(one) in (float, int, np.float64) and one == 1:
                return 0.0
        return result

    return call


def is_number(original, value):
    """Excel's ISNUMBER: text is never a number (``formulas`` read "1" as one)."""
    from formulas.functions import Array
    from formulas.functions.info import FalseArray, iserror

    f = fx()

    def check(x: object) -> bool:
        return isinstance(x, int | float | np.number) and not isinstance(x, bool | np.bool_) and x is not f.EMPTY

    if isinstance(value, Array | np.ndarray):
        return iserror(np.asarray(value, dtype=object), check, FalseArray)
    return iserror(value, check, FalseArray)


def xnpv(original, rate, values, dates):
    """XNPV: an error as the rate is the result, a logical #VALUE! and a blank the rate 0 (#NUM!, as every
    rate from 0 down in Excel); ``formulas`` gave #VALUE! for the errors and the blank and computed TRUE
    as 1 (the corpus, book 20 FINANCIAL row 56). The rest is ``formulas``' XNPV."""
    f = fx()
    r = rate.reshape(-1)[0] if isinstance(rate, np.ndarray) and rate.size == 1 else rate
    if isinstance(r, f.XlError):
        return r
    if isinstance(r, bool | np.bool_):
        return f.errors["#VALUE!"]
    if r is f.EMPTY or r is None:
        return f.errors["#NUM!"]
    return original(rate, values, dates)


def switch_function():
    """SWITCH with Excel's comparison of text, which ignores case (``SWITCH("UPPER", "Upper", "match")``
    is "match": the corpus, book 24; ``formulas`` compared case-sensitively); everything else is
    ``formulas``' own ``xswitch``."""
    from formulas.functions import get_error, wrap_ufunc
    from formulas.functions.logic import xswitch

    def switch(val, *args):
        f = fx()
        if not isinstance(val, str) or isinstance(val, f.XlError) or val is f.EMPTY:
            return xswitch(val, *args)
        key = val.casefold()
        for k, v in zip(args[::2], args[1::2], strict=False):
            if isinstance(k, f.XlError):
                return k
            if isinstance(k, str) and k is not f.EMPTY and k.casefold() == key:
                return v
        return args[-1] if len(args) % 2 else f.errors["#N/A"]

    return wrap_ufunc(switch, input_parser=lambda *a: a, check_error=lambda first, *a: get_error(first))


def comparison_function(operator: str):
    """``=``, ``<>``, ``<``, ``>``, ``<=``, ``>=`` as ``formulas`` has them, with a blank compared to a
    logical as FALSE (Excel: blank = FALSE is TRUE; the corpus, book 35 EverythingTests N35; ``formulas``
    took the blank as 0, a number, never equal to a logical). Blank against text is "" and against a
    number 0, as before."""
    import schedula as sh
    from formulas.functions import wrap_ufunc
    from formulas.functions.operators import LOGIC_OPERATORS, logic_input_parser

    def parse(x, y):
        if x is sh.EMPTY and isinstance(y, bool | np.bool_):
            x = False
        if y is sh.EMPTY and isinstance(x, bool | np.bool_):
            y = False
        return logic_input_parser(x, y)

    return wrap_ufunc(LOGIC_OPERATORS[operator], input_parser=parse, args_parser=lambda *a: a)

"""Excel's reading of a text given where a number or a logical is expected (Microsoft, "How Excel
converts values in formulas": a text that reads as a number is converted, ``="2.9"`` where a number is
expected is 2.9; the text ``"TRUE"``/``"FALSE"`` in any case where a logical is expected is the logical).
Used by the replacements of :mod:`.excel_functions`:

* ``LEFT``/``RIGHT``/``MID``/``REPLACE``: their character counts and positions (``LEFT(x,"2.9")`` is
  ``LEFT(x,2)``);
* ``IF``'s logical test (``IF("tRue",...)`` is the first branch);
* ``AND``/``OR``/``XOR``: a text typed as an argument (not in a reference) is reported (Excel's values
  for it disagree with any one rule: ``AND(TRUE,"0")`` TRUE, ``AND("1",1)`` #VALUE!);
* ``LARGE``/``SMALL``: a number's text or a logical typed as the array (``LARGE("2.3",1)`` is 2.3);
* ``VALUE``: currency, thousands separators, percent and parentheses (``VALUE("$1,000")`` is 1000).

A text this module does not read as a number and that may be a date or a time (it holds a digit and
``/``, ``-``, ``:`` or a letter) is Excel's date reading, not reproduced here: ``VALUE`` leaves it to
``formulas``, the other functions raise :class:`Unsupported` (the cell is reported). A text without a
digit is ``#VALUE!``, as in Excel.
"""

from __future__ import annotations

import re

import numpy as np

from .bridge import fx
from .errors import Unsupported

__all__ = ["NUMERIC_TEXT_ARGS", "excel_number", "logical_test", "logical_args", "numeric_text_args",
           "typed_array", "value_function"]

#: function -> the 0-based positions of its number arguments that read a number's text
NUMERIC_TEXT_ARGS: dict[str, tuple[int, ...]] = {"LEFT": (1,), "RIGHT": (1,), "MID": (1, 2), "REPLACE": (1, 2)}

# en-US: sign, currency, digits with thousands commas in groups of three, decimals, exponent, percent
_NUMBER = re.compile(r"(?P<sign>[+-]?)\$?(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?P<frac>\.\d*)?(?P<exp>[eE][+-]?\d+)?"
                     r"(?P<pct>%?)")
_DATE_LIKE = re.compile(r"\d.*[/:\-a-zA-Z]|[/:\-a-zA-Z].*\d")


def excel_number(text: str) -> float | None:
    """The number Excel reads in ``text`` (``" $1,000.5 "``, ``"(12)"``, ``"5%"``, ``"1e3"``), or None."""
    s = text.strip()
    negative = s.startswith("(") and s.endswith(")")
    if negative:
        s = s[1:-1].strip()
    m = _NUMBER.fullmatch(s.replace(" ", "") if "$" in s else s)
    if m is None or not (m["int"] or (m["frac"] or "")[1:]):
        return None
    if negative and m["sign"]:
        return None
    x = float(m["sign"] + m["int"].replace(",", "") + (m["frac"] or "") + (m["exp"] or ""))
    if m["pct"]:
        x /= 100
    return -x if negative else x


def _number_or_error(text: str) -> object:
    x = excel_number(text)
    if x is not None:
        return x
    if _DATE_LIKE.search(text):
        raise Unsupported(f"a text read as a number or a date ({text[:40]!r}): Excel's date reading is not reproduced")
    if any(ch.isdigit() for ch in text):
        raise Unsupported(f"a text read as a number ({text[:40]!r}) that Excel may read otherwise")
    return fx().errors["#VALUE!"]


def _elementwise(fn, v: object) -> object:
    """``fn`` on a value, or on each element of an array (the batch and array calls)."""
    f = fx()
    if isinstance(v, np.ndarray):
        out = np.frompyfunc(fn, 1, 1)(np.asarray(v, dtype=object))
        return out.view(f.Array) if isinstance(out, np.ndarray) else out
    return fn(v)


def _text_to_number(v: object) -> object:
    if type(v) is str:  # not an XlError (a str subclass)
        return _number_or_error(v)
    return v


def numeric_text_args(fn, positions: tuple[int, ...]):
    """``fn`` whose arguments at ``positions`` read a number's text as the number."""

    def call(*args):
        args_ = list(args)
        for i in positions:
            if i < len(args_):
                args_[i] = _elementwise(_text_to_number, args_[i])
        return fn(*args_)

    return call


def _text_logical(v: object) -> object:
    if type(v) is str:
        up = v.upper()
        if up in ("TRUE", "FALSE"):
            return up == "TRUE"
    return v


def logical_test(fn):
    """IF whose logical test reads the text ``"TRUE"``/``"FALSE"`` (any case) as the logical."""

    def call(cond, *args):
        if type(cond) is str:
            return fn(_text_logical(cond), *args)
        if isinstance(cond, np.ndarray) and cond.dtype == object and str in set(map(type, cond.ravel())):
            return fn(_elementwise(_text_logical, cond), *args)
        return fn(cond, *args)  # no text in the test (the common case): nothing to read

    return call


def logical_args(fn, reference_args: list[bool]):
    """AND/OR/XOR: a text typed as an argument (not a reference) is reported, an error is formulas'."""

    def call(*args):
        f = fx()
        if any(isinstance(v, f.XlError) for v in args):
            return fn(*args)  # an error typed as an argument: formulas' own
        for i, v in enumerate(args):
            if not (i < len(reference_args) and reference_args[i]) and type(v) is str:
                raise Unsupported("a text typed as an argument of AND/OR/XOR: Excel's reading of it is not "
                                  "reproduced (Excel saved TRUE for AND(TRUE,\"0\") and #VALUE! for AND(\"1\",1))")
        return fn(*args)

    return call


def typed_array(fn, reference_args: list[bool]):
    """LARGE/SMALL: a single number's text or logical typed as the array (not a reference) is its number."""

    def call(values, *args):
        if isinstance(values, np.ndarray) and values.size == 1:
            values = values.reshape(-1)[0]
        if not (reference_args and reference_args[0]) and not isinstance(values, np.ndarray):
            if isinstance(values, bool):
                values = float(values)
            elif type(values) is str:
                values = _number_or_error(values)
                if isinstance(values, fx().XlError):
                    return values
        return fn(values, *args)

    return call


def value_function(fn):
    """VALUE: Excel's number texts (currency, thousands separators, percent, parentheses) here; a text
    that may be a date or a time goes to ``formulas`` (``fn``); one with a digit and nothing of a date is
    reported; one without a digit is #VALUE!."""

    def one(v: object) -> object:
        if type(v) is not str:
            return _UNSET  # numbers, logicals, errors: formulas' own
        x = excel_number(v)
        if x is not None:
            return x
        if _DATE_LIKE.search(v):
            return _UNSET
        if any(ch.isdigit() for ch in v):
            raise Unsupported(f"VALUE({v[:40]!r}): a number text Excel may read otherwise")
        return fx().errors["#VALUE!"]

    def scalar(v: object) -> object:
        x = one(v)
        if x is not _UNSET:
            return x
        res = fn(v)
        return res.reshape(-1)[0] if isinstance(res, np.ndarray) and res.size == 1 else res

    def call(value):
        return _elementwise(scalar, value)

    return call


_UNSET = object()

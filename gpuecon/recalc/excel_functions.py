"""Excel functions whose ``formulas`` implementation differs from Excel's, replaced for recalc only
(:func:`override` is called by :class:`~gpuecon.recalc.program.Program` per function call; the
``formulas`` package's own registry is left as it is). Each replacement follows Excel's documented
behaviour, and the cases it is not sure of raise :class:`Unsupported`, so that the cell is reported
(``error``) rather than shown with a guess:

* ``INDEX(array, row, 0)`` / ``INDEX(array, 0, col)``: the whole row or column (``formulas`` took the
  first cell); ``INDEX(range, n)`` of a two-dimensional *reference* is ``#REF!``.
* ``ROWS`` / ``COLUMNS`` of a range or array (``formulas`` needs its own ``Ranges`` object).
* ``LOOKUP(value, array)``: searches the first row when the array is wider than tall, else the first
  column, and returns from the last row/column; ``LOOKUP(value, vector, result)`` with a
  two-dimensional lookup vector searches its first column (row when wider), a two-dimensional result
  is ``#N/A``.
* ``IPMT``: any sign of present value (``formulas`` gave ``#NUM!`` whenever the interest was positive:
  ``IPMT(12.5%,1,10,-10000)`` is 1250); ``#NUM!`` when the period is outside 1..nper.
* ``TEXT`` with a number format (sections by sign, zero and text; ``0 # ?`` placeholders with literals
  between them, thousands and scaling commas, ``%``, ``E+``, quoted and escaped text, ``_x`` and
  ``*x``, colours, ``[$€-409]``); rounding half away from zero as Excel does. Date and time formats
  go to ``formulas``' implementation, except codes with AM/PM (12-hour clock), which are reported.

`SOLVER_ABS_TOL` gives the documented precision of Excel's iterative solvers (XIRR, IRR): a value
recalculated within it of the saved one is Excel's own result (see ``Workbook._check``).
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .bridge import fx

__all__ = ["RANGE_TO", "SOLVER_ABS_TOL", "Unsupported", "override", "range_to", "text_number"]

#: Excel's documented accuracy of iterative solvers, absolute on the rate: XIRR "accurate within
#: 0.000001 percent", IRR "within 0.00001 percent" (Microsoft's function reference)
SOLVER_ABS_TOL = {"XIRR": 1e-8, "IRR": 1e-7}


class Unsupported(Exception):
    """A case a replacement does not reproduce exactly: the cell is reported, not guessed."""


#: recalc's own function for ``REF:INDEX(range, row, col)`` (:func:`range_to`), written by the analyser
RANGE_TO = "GPUECON.RANGE_TO"


def override(name: str, fn, reference_args: list[bool]):
    """The function recalc calls for ``name`` (bare, upper case): a replacement or ``fn`` itself.
    ``reference_args[i]``: the i-th argument is a reference in the formula (not a computed value)."""
    first_ref = bool(reference_args) and reference_args[0]
    if name == RANGE_TO:
        return range_to
    if name == "INDEX":
        return functools.partial(index, fn, reference=first_ref)
    if name in ("ROWS", "COLUMNS"):
        return functools.partial(rows_columns, axis=0 if name == "ROWS" else 1, reference=first_ref)
    if name == "LOOKUP":
        return functools.partial(lookup, fn)
    if name == "IPMT":
        return _ipmt()
    if name == "TEXT":
        return _text()
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


# --- TEXT -------------------------------------------------------------------------------------------

_COLOURS = {"black", "blue", "cyan", "green", "magenta", "red", "white", "yellow"}
#: letters that are date, time, era or General codes (anything else unquoted is shown as written)
_DATE_LETTERS = set("ymdhsegbanYMDHSEGBAN")
_AMPM = re.compile(r"AM/PM|A/P", re.IGNORECASE)


def _text():
    """TEXT: numbers with a number format by :func:`text_number`, the rest by ``formulas``; element
    by element over arrays. Not through ``formulas``' wrappers, which turn :class:`Unsupported` into
    a silent ``#VALUE!``."""
    from formulas.errors import FoundError
    from formulas.functions.text import xtext

    def one(value, format_code):
        f = fx()
        for a in (value, format_code):
            if isinstance(a, f.XlError):
                return a
        v = 0.0 if value is f.EMPTY or value is None else value
        code = "" if format_code is f.EMPTY or format_code is None else format_code
        if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_):
            out = text_number(float(v), str(code))
            if out is not None:
                return out
        try:
            return xtext(v, code)
        except FoundError as exc:  # an Excel error, as formulas' own wrapper returns it
            return exc.err
        except Exception:  # noqa: BLE001 - formulas' wrapper makes any failure #VALUE! (compared on save)
            return f.errors["#VALUE!"]

    def text(value, format_code):
        if any(isinstance(a, np.ndarray) and a.size > 1 for a in (value, format_code)):
            return np.vectorize(one, otypes=[object])(value, format_code).view(fx().Array)
        return one(_one(value), _one(format_code))

    return text


def _sections(code: str) -> list[str]:
    out, cur, i = [], "", 0
    while i < len(code):
        ch = code[i]
        if ch == '"':
            j = code.find('"', i + 1)
            j = len(code) - 1 if j < 0 else j
            cur += code[i:j + 1]
            i = j + 1
            continue
        if ch in "\\_*" and i + 1 < len(code):
            cur += code[i:i + 2]
            i += 2
            continue
        if ch == ";":
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur)
    return out


def _tokens(section: str) -> list[tuple[str, str]] | None:
    """A number section -> tokens (digit, point, comma, percent, exp, at, lit); None when it is a date,
    time or General section, or has something this formatter does not reproduce."""
    toks: list[tuple[str, str]] = []
    i, n = 0, len(section)
    point = False
    while i < n:
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            if j < 0:
                return None
            toks.append(("lit", section[i + 1:j]))
            i = j + 1
        elif ch == "\\" and i + 1 < n:
            toks.append(("lit", section[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < n:
            toks.append(("lit", " "))
            i += 2
        elif ch == "*" and i + 1 < n:
            i += 2  # a fill character: TEXT does not repeat it
        elif ch == "[":
            j = section.find("]", i)
            if j < 0:
                return None
            inner = section[i + 1:j]
            if inner.casefold() in _COLOURS or re.fullmatch(r"colou?r\d{1,2}", inner, re.IGNORECASE):
                pass
            elif m := re.fullmatch(r"\$([^-\]]*)(?:-[0-9A-Fa-f]+)?", inner):
                toks.append(("lit", m.group(1)))
            else:
                return None  # conditions, elapsed time, locales
            i = j + 1
        elif ch in "0#?":
            toks.append(("digit", ch))
            i += 1
        elif ch == ".":
            toks.append(("lit", ".") if point else ("point", "."))
            point = True
            i += 1
        elif ch == ",":
            toks.append(("comma", ","))
            i += 1
        elif ch == "%":
            toks.append(("percent", "%"))
            i += 1
        elif ch in "Ee" and i + 1 < n and section[i + 1] in "+-":
            toks.append(("exp", section[i:i + 2].upper()))
            i += 2
        elif ch == "@":
            toks.append(("at", "@"))
            i += 1
        elif ch in _DATE_LETTERS or ch == "/":
            return None
        else:
            toks.append(("lit", ch))
            i += 1
    return toks


def _pick(sections: list[str], x: float) -> tuple[str, bool]:
    """The section for ``x`` and whether a minus sign is to be shown (Excel: one section for all,
    positive;negative[;zero[;text]], a section with @ is the text section)."""
    nums = [s for s in sections]
    if len(nums) > 1 and "@" in _strip_quoted(nums[-1]):
        nums = nums[:-1]
    if x < 0 and len(nums) >= 2:
        return nums[1], False
    if x == 0 and len(nums) >= 3:
        return nums[2], False
    return nums[0], x < 0


def _strip_quoted(s: str) -> str:
    return re.sub(r'"[^"]*"|\\.', "", s)


def text_number(x: float, code: str) -> str | None:
    """``TEXT(x, code)`` for a number and a number format, as Excel shows it; None when ``code`` is
    a date, time, General or conditional format (left to ``formulas``)."""
    sections = _sections(code)
    if len(sections) > 4:
        raise Unsupported(f"number format with {len(sections)} sections")
    section, minus = _pick(sections, x)
    if _AMPM.search(_strip_quoted(section)):
        raise Unsupported("TEXT with an AM/PM format (the 12-hour clock is not reproduced)")
    if _strip_quoted(section).strip().casefold() == "general":
        return _general(x, section)
    toks = _tokens(section)
    if toks is None:
        return None
    if any(t[0] == "at" for t in toks):
        raise Unsupported("a number through a text (@) section")
    return _render(abs(x), toks, minus, x)


def _general(x: float, section: str) -> str:
    """The General format where it shows the number as written: up to 10 significant digits, from
    1e-4 up to 1e11 (longer numbers are rounded to the column width, which is not reproduced)."""
    if section.strip().casefold() != "general":
        raise Unsupported("General with text around it")
    if x == 0:
        return "0"
    text = repr(abs(x))
    sig = len(Decimal(text).normalize().as_tuple().digits)
    if "e" in text or not 1e-4 <= abs(x) < 1e11 or sig > 10:
        raise Unsupported(f"General format of {x!r} (Excel rounds it to its column width)")
    text = text.removesuffix(".0")
    return ("-" if x < 0 else "") + text


def _comma_roles(toks: list[tuple[str, str]]) -> list[str]:
    """Each comma: 'thousands' (between digit placeholders before the point), 'scale' (after the last
    digit placeholder), 'drop' (after a digit, before anything else) or 'lit' (after a non-digit)."""
    roles = []
    digits_at = [i for i, t in enumerate(toks) if t[0] == "digit"]
    last_digit = digits_at[-1] if digits_at else -1
    point_at = next((i for i, t in enumerate(toks) if t[0] in ("point", "exp")), len(toks))
    for i, t in enumerate(toks):
        if t[0] != "comma":
            continue
        j = i - 1
        while j >= 0 and toks[j][0] == "comma":
            j -= 1
        if j < 0 or toks[j][0] != "digit":
            roles.append("lit")
        elif i > last_digit:
            roles.append("scale")
        elif i < point_at and i + 1 < len(toks) and toks[i + 1][0] == "digit":
            roles.append("thousands")
        else:
            roles.append("drop")
    return roles


def _render(ax: float, toks: list[tuple[str, str]], minus: bool, x: float) -> str:
    roles = iter(_comma_roles(toks))
    comma_kinds = [next(roles) if t[0] == "comma" else "" for t in toks]
    thousands = "thousands" in comma_kinds
    scale = 1000 ** comma_kinds.count("scale")
    pct = 100 ** sum(1 for t in toks if t[0] == "percent")
    exp_at = next((i for i, t in enumerate(toks) if t[0] == "exp"), None)
    end = exp_at if exp_at is not None else len(toks)
    point_at = next((i for i in range(end) if toks[i][0] == "point"), end)
    int_idx = [i for i in range(point_at) if toks[i][0] == "digit"]
    dec_idx = [i for i in range(point_at, end) if toks[i][0] == "digit"]
    exp_idx = [i for i in range(end, len(toks)) if toks[i][0] == "digit"]
    value = Decimal(repr(ax)) * pct / scale
    exponent = 0
    if exp_at is not None:
        if not int_idx or not exp_idx:
            raise Unsupported("scientific format without digits before the point or in the exponent")
        k = len(int_idx)
        grouped = any(toks[i][1] != "0" for i in int_idx)  # ##0.0E+0: exponent a multiple of 3

        def power(v: Decimal) -> int:
            return v.adjusted() // k * k if grouped else v.adjusted() - (k - 1)

        if value != 0:
            exponent = power(value)
            rounded = value.scaleb(-exponent).quantize(Decimal(1).scaleb(-len(dec_idx)), rounding=ROUND_HALF_UP)
            exponent = power(rounded.scaleb(exponent))  # 9.999 -> 10.00: the exponent moves on
            value = value.scaleb(-exponent)
    rounded = value.quantize(Decimal(1).scaleb(-len(dec_idx)), rounding=ROUND_HALF_UP)
    if minus and rounded == 0:
        raise Unsupported("TEXT of a negative number that rounds to zero (Excel's sign is not reproduced)")
    digits = f"{rounded:f}"
    int_str, _, frac_str = digits.partition(".")
    int_str = int_str.lstrip("0")
    out = [""] * len(toks)
    # integer digits: right to left onto the placeholders, the first one takes what is left
    placed = {}
    rest = int_str
    for k, i in enumerate(reversed(int_idx)):
        if k == len(int_idx) - 1:
            chunk, rest = rest, ""
        else:
            chunk, rest = rest[-1:], rest[:-1]
        placed[i] = chunk or {"0": "0", "#": "", "?": " "}[toks[i][1]]
    count = sum(len(placed[i].strip()) for i in int_idx)
    seen = 0
    for i in int_idx:  # thousands separators by digit position from the right
        s = placed[i]
        if thousands and s.strip():
            buf = ""
            for ch in s:
                buf += ch
                seen += 1
                left = count - seen
                if left > 0 and left % 3 == 0:
                    buf += ","
            s = buf
        out[i] = s
    last_sig = len(frac_str.rstrip("0"))
    for k, i in enumerate(dec_idx):
        if k < last_sig:
            out[i] = frac_str[k]
        else:
            out[i] = {"0": "0", "#": "", "?": " "}[toks[i][1]]
    if exp_at is not None:
        e = f"{abs(exponent):0{max(1, sum(toks[i][1] == '0' for i in exp_idx))}d}"
        sign = "-" if exponent < 0 else ("+" if toks[exp_at][1] == "E+" else "")
        out[exp_at] = "E" + sign
        for k, i in enumerate(exp_idx):
            out[i] = e if k == 0 else ""
            e = ""
    for i, t in enumerate(toks):
        if t[0] in ("lit", "percent", "point"):
            out[i] = t[1]
        elif t[0] == "comma":
            out[i] = "," if comma_kinds[i] == "lit" else ""
    if not int_idx and point_at < end and int_str:  # '.#' still shows the integer part
        out[point_at] = int_str + "."
    return ("-" if minus else "") + "".join(out)

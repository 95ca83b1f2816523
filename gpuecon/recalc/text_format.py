"""Excel's TEXT function for numbers with a number format, as recalc computes it (``formulas``' TEXT
differs from Excel for common codes: ``#,##0;(#,##0)``, ``0.0,,"M"``, General, half-way rounding).
Sections by sign, zero and text; ``0 # ?`` placeholders with literals between them, thousands and
scaling commas, ``%``, ``E+``/``E-`` (``##0.0E+0`` engineering), quoted and escaped text, ``_x`` and
``*x``, colours, ``[$€-409]``; rounding half away from zero as Excel does. Elapsed time (``[h]``,
``[mm]:ss``, ``[h]:mm:ss.00``) is computed here; other date and time formats go to ``formulas``'
implementation (its one-letter codes fixed in :mod:`.excel_values`), #VALUE! before day 0 and after
9999-12-31 as in Excel. Text that is a number is formatted as its number (``TEXT("1", "0.00")``).
Codes with AM/PM (12-hour clock) raise :class:`~gpuecon.recalc.errors.Unsupported` (the cell is
reported), as do the other cases not reproduced: a negative number that rounds to zero, a number
through a text section, a time written as text (formulas dated it today), text through a text section,
a date code in a format of several sections, day 0 and 1900-02-29.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .bridge import fx
from .errors import Unsupported

__all__ = ["text_function", "text_number"]


def _single(v: object) -> object:
    """A 1x1 array (a single-cell range) -> its value."""
    return v.reshape(-1)[0] if isinstance(v, np.ndarray) and v.size == 1 else v


_COLOURS = {"black", "blue", "cyan", "green", "magenta", "red", "white", "yellow"}
#: letters that are date, time, era or General codes (anything else unquoted is shown as written)
_DATE_LETTERS = set("ymdhsegbanYMDHSEGBAN")
_AMPM = re.compile(r"AM/PM|A/P", re.IGNORECASE)


def text_function():
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
        if isinstance(v, str) and not isinstance(v, f.XlError) and _NUMBER_TEXT.fullmatch(v.strip()):
            v = float(v)  # a number as text is its number (TEXT("1", "0.00") is 1.00)
        if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_):
            out = text_number(float(v), str(code))
            if out is not None:
                return out
            return date_time_text(float(v), str(code), xtext)
        if isinstance(v, str) and _TEXT_TIME.search(v):
            raise Unsupported("TEXT of a time written as text (Excel's reading of it is not reproduced)")
        if isinstance(v, str) and any("@" in _strip_quoted(sec) for sec in _sections(str(code))[1:]) \
                or len(_sections(str(code))) == 4:
            raise Unsupported("TEXT of text through a text section")
        try:
            return xtext(v, code)
        except FoundError as exc:  # an Excel error, as formulas' own wrapper returns it
            return exc.err
        except Exception:  # noqa: BLE001 - formulas' wrapper makes any failure #VALUE! (compared on save)
            return f.errors["#VALUE!"]

    def text(value, format_code):
        if any(isinstance(a, np.ndarray) and a.size > 1 for a in (value, format_code)):
            return np.vectorize(one, otypes=[object])(value, format_code).view(fx().Array)
        return one(_single(value), _single(format_code))

    return text


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TEXT_TIME = re.compile(r"\d\s*:|\d\s*[ap]m", re.IGNORECASE)  # formulas adds today's date to a time text
#: date and time codes outside quotes and escapes (y m d h s); an elapsed time code is [h] [mm] [ss]
_DATE_CODE = re.compile(r"[ymdhs]", re.IGNORECASE)
_ELAPSED = re.compile(r"^\[(h+|m+|s+)\](?::(m{1,2}))?(?::(s{1,2}))?(?:\.(0+))?$", re.IGNORECASE)
#: the last day Excel's date codes show (9999-12-31)
_LAST_DATE = 2958465


def date_time_text(x: float, code: str, xtext) -> object:
    """TEXT of a number with a date or time format: elapsed time (``[h]:mm``) here, other codes by
    ``formulas``' ``xtext`` where it is Excel's; what is not reproduced raises :class:`Unsupported`."""
    f = fx()
    sections = _sections(code)
    section = _pick(sections, x)[0] if len(sections) > 1 else code
    bare = _strip_quoted(section)
    if not _DATE_CODE.search(bare):  # a conditional or odd number format: formulas' (its failure: #VALUE!)
        try:
            return xtext(x, code)
        except Exception:  # noqa: BLE001 - as formulas' own wrapper (compared on save)
            return f.errors["#VALUE!"]
    if len(sections) > 1:
        raise Unsupported("a date or time code in a format with several sections")
    if _ELAPSED.match(bare.strip()):
        return _elapsed(x, bare.strip())
    if "[" in bare:
        raise Unsupported("a date or time format with a condition or an elapsed code mixed in")
    if re.search(r"[0#?]", re.sub(r"s+\.0+", "", bare, flags=re.IGNORECASE)):
        return f.errors["#VALUE!"]  # digit placeholders among date codes: Excel refuses the format
    if x < 0 or x >= _LAST_DATE + 1:
        return f.errors["#VALUE!"]  # Excel: no date before 1900-01-00 or after 9999-12-31
    if x < 1 and re.search(r"[yd]", bare, re.IGNORECASE) or 60 <= x < 61:
        raise Unsupported("the date codes of day 0 or 1900-02-29 (Excel's own dates) are not reproduced")
    try:
        return xtext(x, code)
    except Exception as exc:  # noqa: BLE001 - formulas fails where Excel shows a date (seconds rounding up)
        raise Unsupported(f"TEXT({x!r}, {code!r}) with a date or time code: {type(exc).__name__}") from None


def _elapsed(x: float, code: str) -> str:
    """An elapsed-time format (``[h]``, ``[mm]:ss``, ``[h]:mm:ss.00``): the time rounded to the smallest
    unit shown, then whole hours / minutes / seconds, the first unit not wrapped. A negative number shows
    a minus with a single code (Excel: TEXT(-1, "[h]") is -24) and is #VALUE! with more."""
    m = _ELAPSED.match(code)
    assert m is not None
    first, minutes, seconds, frac = m.groups()
    unit = first[0].lower()
    if x < 0 and (minutes or seconds or frac):
        return fx().errors["#VALUE!"]
    digits = len(frac or "")
    per_day = {"h": 24, "m": 1440, "s": 86400}
    if minutes is None and seconds is None and not frac:  # [h], [m] or [s] alone: whole units (seconds rounded)
        total_s = Decimal(repr(abs(x))) * 86400
        whole = int(total_s.quantize(Decimal(1), rounding=ROUND_HALF_UP)) // (86400 // per_day[unit])
        if x < 0 and Decimal(repr(x)) * per_day[unit] != -whole:
            raise Unsupported("an elapsed time of a negative fraction")
        return ("-" if x < 0 and whole else "") + f"{whole:0{len(first)}d}"
    if x < 0:
        raise Unsupported("an elapsed time of a negative number")
    ticks = int((Decimal(repr(x)) * 86400 * 10 ** digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sec, fraction = divmod(ticks, 10 ** digits)
    parts = []
    if unit == "h":
        parts.append(f"{sec // 3600:0{len(first)}d}")
        rest = sec % 3600
        if minutes is not None:
            parts.append(f"{rest // 60:0{len(minutes)}d}")
        if seconds is not None:
            parts.append(f"{rest % 60:0{len(seconds)}d}")
    elif unit == "m":
        parts.append(f"{sec // 60:0{len(first)}d}")
        if seconds is not None:
            parts.append(f"{sec % 60:0{len(seconds)}d}")
    else:
        parts.append(f"{sec:0{len(first)}d}")
    text = ":".join(parts)
    return text + (f".{fraction:0{digits}d}" if digits else "")


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

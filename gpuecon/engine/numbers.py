"""One number parser for every surface: ``--set``, scenario cells, Excel cells, recalc inputs.

``"15%"`` -> 0.15, ``"1,250.5"`` -> 1250.5, ``" 8 "`` -> 8.0. A value typed with a percent sign
comes back as :class:`Percent` (a ``float``), which marks it as meant: ``"800%"`` is 8.0 taken
as typed, past the percent-typo guard on rate fields (see :mod:`gpuecon.assumptions`).
Booleans are not numbers anywhere.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .errors import GpueconError

_PCT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%$")
_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?%?$")


class Percent(float):
    """A number that was typed with a percent sign ("800%" -> 8.0): taken as typed."""

    __slots__ = ()


class ExplicitArray(np.ndarray):
    """An array of values typed as meant (every large rate in it was written with '%')."""


def explicit(values) -> np.ndarray:
    """Mark an array (or scalar) as typed as meant, so the percent-typo guard lets it through.

    A scalar becomes a :class:`Percent`, an array an :class:`ExplicitArray` view; the values are
    unchanged. In Python this is how to pass ``hurdle_irr_annual = 8`` meaning 800%, as typing
    ``800%`` does in Excel or ``--set``.

    Parameters
    ----------
    values : float or array
        The values, as decimals (8.0 = 800%).

    Returns
    -------
    Percent or ExplicitArray
        The same values, marked (a ``float`` or ``ndarray`` subclass).

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> float(Assumptions("VR NVL72", hurdle_irr_annual=explicit(8.0)).hurdle_irr_annual)  # 800%, as meant
    8.0
    >>> explicit([0.1, 8.0]).tolist()
    [0.1, 8.0]
    """
    if np.ndim(values) == 0:
        return Percent(float(values))
    return np.asarray(values, dtype=float).view(ExplicitArray)


def is_explicit(value: object) -> bool:
    """True if ``value`` was typed as meant: a :class:`Percent` or an :class:`ExplicitArray`.

    Parameters
    ----------
    value : object
        Any value.

    Returns
    -------
    bool
        Whether the percent-typo guard is to let it through.

    Examples
    --------
    >>> is_explicit(parse_number("800%")), is_explicit(8.0), is_explicit(explicit([8.0]))
    (True, False, True)
    """
    return isinstance(value, Percent | ExplicitArray)


def parse_number(text: str, name: str = "value") -> float:
    """Text -> float; ``"x%"`` -> :class:`Percent` (``x / 100``); thousands separators allowed.

    Spaces (also non-breaking) are dropped, ``"1,250.5"`` -> 1250.5 (commas only as thousands
    groups), ``"15%"`` -> 0.15. The one parser for ``--set``, scenario cells, Excel cells and recalc
    inputs; Excel's own reading of ``15%`` typed in a cell gives the same 0.15.

    Parameters
    ----------
    text : str
        The number as typed.
    name : str
        Field name for the error message.

    Returns
    -------
    float
        The value; a :class:`Percent` (a ``float``) if typed with ``%``.

    Raises
    ------
    GpueconError
        Not a finite number (the message names ``name`` and shows an example).

    Examples
    --------
    >>> parse_number("15%"), parse_number("1,250.5")
    (0.15, 1250.5)
    >>> parse_number("abc", "hurdle_irr_annual")
    Traceback (most recent call last):
    ...
    gpuecon.engine.errors.GpueconError: hurdle_irr_annual must be a number (e.g. 0.15 or 15%), got 'abc'
    """
    s = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if _GROUPED.match(s):
        s = s.replace(",", "")
    try:
        if _PCT.match(s):
            return Percent(float(s[:-1]) / 100.0)
        if _NUM.match(s) or s.lower() in ("nan", "inf", "-inf", "+inf"):
            x = float(s)
            if math.isfinite(x):
                return x
            raise GpueconError(name, text, "a finite number")
    except ValueError:
        pass
    raise GpueconError(name, text, "a number (e.g. 0.15 or 15%)")


def try_number(value: object) -> object:
    """Text that reads as a number -> the number (``Percent`` for '%'); anything else unchanged.

    :func:`parse_number` without the error: for cells that may hold a number or text (a system name).

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object
        The number if ``value`` is text that parses, else ``value`` itself.

    Examples
    --------
    >>> try_number("15%"), try_number("GB300 NVL72"), try_number(3)
    (0.15, 'GB300 NVL72', 3)
    """
    if isinstance(value, str):
        try:
            return parse_number(value)
        except GpueconError:
            return value
    return value


def parse_value(text: str) -> object:
    """Typed text as a spreadsheet input: a number (``15%`` -> 0.15), TRUE/FALSE, or the text itself.

    Quotes around the text are removed (``'"GB300 NVL72"'`` -> ``GB300 NVL72``); the same reading
    for ``recalc --set`` and scenario cells sent to a workbook, as Excel reads what is typed in a cell.

    Parameters
    ----------
    text : str
        The value as typed.

    Returns
    -------
    float, bool or str
        The number (a :class:`Percent` if typed with ``%``), the boolean, or the text.

    Examples
    --------
    >>> parse_value("15%"), parse_value("TRUE"), parse_value('"VR NVL72"')
    (0.15, True, 'VR NVL72')
    """
    s = text.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    x = try_number(s)
    if not isinstance(x, str):
        return x
    if s.upper() in ("TRUE", "FALSE"):
        return s.upper() == "TRUE"
    return s


def parse_cells(cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column of cells -> (floats, typed-with-'%' mask, not-a-number mask); blanks are NaN, not bad.

    Numbers pass as they are; text goes through :func:`parse_number` (so "20%", "1,250" and
    " 8 " read as on every other surface); booleans, other text and infinities are not numbers.
    Used for scenario tables and Excel ranges alike.

    Parameters
    ----------
    cells : pandas.Series, sequence or scalar
        The cells (object, numeric or boolean dtype).

    Returns
    -------
    tuple of ndarray, each (n,)
        ``(values, typed_with_percent, bad)``: floats (NaN for blanks and bad cells), True where
        typed with '%', True where the cell is not a number.

    Examples
    --------
    >>> vals, pct, bad = parse_cells(["20%", "1,250", None, "abc", True])
    >>> vals.tolist(), pct.tolist(), bad.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ([0.2, 1250.0, nan, nan, nan], [True, False, False, False, False],
     [False, False, False, True, True])
    """
    import pandas as pd

    s = cells if isinstance(cells, pd.Series) else pd.Series(list(cells) if np.ndim(cells) else [cells], dtype=object)
    n = len(s)
    pct = np.zeros(n, bool)
    if s.dtype == bool or str(s.dtype) == "boolean":
        bad = s.notna().to_numpy()
        return np.full(n, np.nan), pct, bad
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = np.array(s.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        return np.where(np.isinf(vals), np.nan, vals), pct, np.isinf(vals)
    obj = s.astype(object)
    is_bool = obj.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    vals = np.array(pd.to_numeric(obj.where(~is_bool), errors="coerce"), dtype=float)  # a writable copy
    blank = obj.isna().to_numpy() | obj.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    bad = is_bool.copy()
    for i in np.flatnonzero(np.isnan(vals) & ~blank & ~is_bool):
        try:
            x = parse_number(str(obj.iloc[i]))
        except GpueconError:
            bad[i] = True
            continue
        vals[i], pct[i] = x, isinstance(x, Percent)
    inf = np.isinf(vals)
    vals[inf], bad[inf] = np.nan, True
    return vals, pct, bad

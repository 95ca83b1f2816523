"""Excel-shaped calls into the engine: the logic behind the Excel functions (UDFs).

This module is pure Python on the engine (no xlwings import, no file I/O), so the classic
xlwings add-in (``addin/gpuecon_udfs.py``) and the xlwings Lite edition (``addin/lite/main.py``)
are both thin decorator layers over the same functions here.

What Excel sends, and how it is read
------------------------------------
* a blank cell or an omitted optional argument arrives as ``None``: it takes the default
  (the value in the ``assumptions`` range if that names the field, else the engine default);
* whole numbers arrive as floats (``5.0``), percentages as fractions (15% -> ``0.15``);
  numeric text such as ``" 15.6% "`` or ``"5"`` is read as a number too;
* a range arrives as a nested list (rows of cells); a 1-D list is read as a column;
* names of systems, bases, items and fields are case-, space- and punctuation-insensitive.

Arrays (broadcasting)
---------------------
Every argument may be a range. The arguments are broadcast together like Excel (and numpy)
broadcast arrays: a 1x1 value goes everywhere, a column and a row make a grid, equal shapes
pair cell by cell. The result has the broadcast shape; a 1x1 result is returned as a plain
value. All rows go through *one* vectorized engine call (per distinct basis or item at
most), never a Python loop over rows. A bad value fails only its own cell.

Error policy
------------
A cell never shows a Python traceback and no function ever raises. A failure is returned as
the cell's value: text that starts with an Excel error code and then a short reason:

* ``#VALUE! <reason>``: a bad argument (which argument or field, the value, what is
  allowed), e.g. ``#VALUE! hurdle_irr must be in (-1, 10], got -2``;
* ``#N/A <reason>``: a figure that is not marketed or not public (e.g. the FP4 ceiling of an
  H100, or ``GPU_SPEC`` of a blank catalog cell);
* ``#NUM! <reason>``: no result exists (e.g. no IRR: the cash flows do not change sign),
  like Excel's own ``IRR`` returning ``#NUM!``.

Scalar and array calls give the same text for the same bad value. An error that concerns the
whole call (a bad ``assumptions`` range, ranges of incompatible shapes) is a single cell of
text; a bad value in any other argument (a single system name
included) marks every result cell it reaches. Any unexpected exception is caught and
shortened to one line, ``#VALUE! internal error (TypeName: message)``. Text is used because
xlwings' generated VBA can only pass a value or ``Err.Description`` back to the cell, not a
true Excel error value; downstream arithmetic on the text still gives ``#VALUE!`` in Excel, so
no number is silently wrong. Test a cell with ``=ISNUMBER(A1)``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from .. import __version__
from ..engine import model as _model
from ..engine.assumptions import ALIASES, FIELDS, REQUIRED_FOR_CUSTOM, Assumptions, canonical_field, defaults
from ..engine.catalog import System, catalog_frame, get_system, normalize, system_names
from ..engine.errors import GpueconError
from ..engine.numbers import Percent, parse_number
from ..engine.rows import engine_values, resolve_rows

ERR_VALUE = "#VALUE!"
ERR_NA = "#N/A"
ERR_NUM = "#NUM!"
MAX_REASON_CHARS = 1000  # the unknown-field message lists all ~30 field names

#: Engine defaults that are not assumption fields.
DEFAULT_USD_PER_PFLOP_HOUR = _model.REFERENCE_USD_PER_PFLOP_HOUR
DEFAULT_BASIS = "FP8"
DEFAULT_ITEM = "total"
TCO_ITEMS = ("total",) + _model.TCO_ITEMS
CUSTOM_NAMES = ("", "custom")

_NUMBER_TYPES = (float, int, np.floating, np.integer)


# --- error text -------------------------------------------------------------------------------

def cell_error(reason: object, code: str = ERR_VALUE) -> str:
    """``"#VALUE! <reason>"`` on one line, at most ``MAX_REASON_CHARS`` characters of reason."""
    text = " ".join(str(reason).split())
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 3] + "..."
    return f"{code} {text}"


def is_error(value: object) -> bool:
    """True if a cell value is one of this module's error texts."""
    return isinstance(value, str) and value.startswith((ERR_VALUE, ERR_NA, ERR_NUM))


def _internal(err: BaseException) -> str:
    msg = " ".join(str(err).split())[:160]
    return cell_error(f"internal error ({type(err).__name__}: {msg})" if msg else f"internal error ({type(err).__name__})")


class _CellError(Exception):
    """A whole-call error with an Excel code other than #VALUE!."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


#: Results of small calls (<= _MEMO_CELLS argument cells) that gave a single value, keyed by
#: the exact arguments. The engine is deterministic and the catalog is fixed at import, so a
#: recalculation of unchanged formulas costs a dict look-up. ``cache_clear()`` empties it.
_MEMO: dict[tuple, object] = {}
_MEMO_MAX = 4096
_MEMO_CELLS = 64


def cache_clear() -> None:
    """Forget memoized results (for benchmarks and tests)."""
    _MEMO.clear()


def _freeze(x: object, budget: list[int]) -> object:
    budget[0] -= 1
    if budget[0] < 0:
        raise TypeError("too large to memoize")
    if isinstance(x, list | tuple):
        return tuple(_freeze(v, budget) for v in x)
    if x is None or isinstance(x, str | float | int | bool):
        return (type(x), x)  # 1, 1.0 and True stay distinct
    raise TypeError("not memoizable")


def guarded(fn: Callable) -> Callable:
    """Never raise: engine errors become ``#VALUE! reason``, anything else a one-line internal
    error. Single-value results of small calls are memoized."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = None
        if not kwargs:
            try:
                key = (fn.__name__, _freeze(args, [_MEMO_CELLS]))
                hit = _MEMO.get(key, _MEMO)
                if hit is not _MEMO:
                    return hit
            except TypeError:
                key = None
        try:
            with np.errstate(all="ignore"):
                result = fn(*args, **kwargs)
        except GpueconError as err:
            result = cell_error(err)
        except _CellError as err:
            result = cell_error(err, err.code)
        except Exception as err:  # noqa: BLE001 - the add-in must never crash a cell
            result = _internal(err)
        if key is not None and not isinstance(result, list):
            if len(_MEMO) >= _MEMO_MAX:
                _MEMO.clear()
            _MEMO[key] = result
        return result

    return wrapper


# --- shapes -----------------------------------------------------------------------------------

def _is_seq(x: object) -> bool:
    return isinstance(x, list | tuple | np.ndarray) or type(x).__name__ in ("Series", "DataFrame")


def grid(raw: object, name: str = "argument") -> list[list[object]]:
    """A value as rows of cells: scalar -> [[x]], 1-D -> a column, 2-D -> as is."""
    if type(raw).__name__ == "DataFrame":
        raw = raw.to_numpy().tolist()
    elif isinstance(raw, np.ndarray) or type(raw).__name__ == "Series":
        raw = np.asarray(raw, dtype=object).tolist()
    if not isinstance(raw, list | tuple):
        return [[raw]]
    if len(raw) == 0:
        return [[None]]
    kinds = set(map(type, raw))
    if not kinds & {list, tuple}:
        return [[v] for v in raw]  # 1-D: a column
    rows = raw if kinds == {list} else [r if isinstance(r, list | tuple) else [r] for r in raw]
    widths = set(map(len, rows))
    if len(widths) != 1 or 0 in widths:
        raise GpueconError(name, "a ragged range", "a rectangular range",
                           f"{name} must be a rectangular range (rows of equal length)")
    return rows  # type: ignore[return-value]


def _no_nested(name: str, types: set[type]) -> None:
    if types & {list, tuple}:
        raise GpueconError(name, "a nested range", "a range of cells",
                           f"{name} must be a range of cells, not a range of ranges")


def _shape(rows: list[list[object]]) -> tuple[int, int]:
    return len(rows), len(rows[0])


def _is_scalar(raw: object) -> bool:
    if isinstance(raw, list | tuple):
        if len(raw) != 1:
            return False
        first = raw[0]
        if isinstance(first, list | tuple):
            return len(first) == 1 and not _is_seq(first[0])
        return not _is_seq(first)
    if not _is_seq(raw):
        return True
    return getattr(raw, "size", 0) == 1


def _scalar(raw: object) -> object:
    return grid(raw)[0][0] if _is_seq(raw) else raw


# --- reading one cell -------------------------------------------------------------------------

def _show(v: object) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, _NUMBER_TYPES):
        return f"{float(v):g}"
    if isinstance(v, str):
        return repr(v.strip()) if v.strip() else "''"
    return type(v).__name__


def msg_not_number(name: str, v: object) -> str:
    return f"{name} must be a number, got {_show(v)}"


def msg_range(name: str, field: str, v: float) -> str:
    return FIELDS[field].message(v, name)


def msg_nonneg(name: str, v: float) -> str:
    return f"{name} must be a number >= 0, got {_show(float(v))}"


_BLANK = object()


def read_number(name: str, v: object) -> float | object:
    """One cell as a float, ``_BLANK`` for a blank; GpueconError for anything else."""
    if v is None:
        return _BLANK
    if isinstance(v, bool):
        raise GpueconError(name, v, "a number", msg_not_number(name, v))
    if isinstance(v, _NUMBER_TYPES):
        x = float(v)
        if math.isnan(x):
            return _BLANK
        if math.isinf(x):
            raise GpueconError(name, v, "a finite number", f"{name} must be a finite number, got {_show(x)}")
        return x
    if isinstance(v, str):
        if v.strip() == "":
            return _BLANK
        try:
            return parse_number(v, name)
        except GpueconError:
            raise GpueconError(name, v, "a number", msg_not_number(name, v)) from None
    raise GpueconError(name, v, "a number", msg_not_number(name, v))


def _field_ok(field: str, x: float) -> bool:
    return FIELDS[field].ok(x, isinstance(x, Percent))


def _check_field(name: str, field: str, x: float) -> None:
    if not _field_ok(field, x):
        raise GpueconError(name, x, FIELDS[field].allowed, msg_range(name, field, x))


def scalar_number(name: str, raw: object, *, field: str | None = None, nonneg: bool = False) -> float | None:
    """A scalar argument: None if blank, else a validated float (field range or >= 0)."""
    x = read_number(name, raw)
    if x is _BLANK:
        return None
    if field is not None:
        _check_field(name, field, x)
    if nonneg and x < 0:
        raise GpueconError(name, x, "a number >= 0", msg_nonneg(name, x))
    return x


def _key(text: object) -> str:
    return str(text).strip().lower().replace(" ", "_").replace("-", "_")


def read_basis(v: object) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return DEFAULT_BASIS
    if not isinstance(v, str):
        raise GpueconError("basis", v, "text", f"basis must be one of {', '.join(_model.BASES)}, got {_show(v)}")
    try:
        return _model.normalize_basis(v)
    except GpueconError:
        raise GpueconError("basis", v, "a basis", f"basis must be one of {', '.join(_model.BASES)}, got {_show(v)}") from None


def read_item(v: object) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return DEFAULT_ITEM
    key = normalize(v) if isinstance(v, str) else None
    for item in TCO_ITEMS + ("breakdown",):
        if key == item:
            return item
    raise GpueconError("item", v, "an item",
                       f"item must be one of {', '.join(TCO_ITEMS)} or breakdown, got {_show(v)}")


def _is_custom_name(v: object) -> bool:
    return v is None or (isinstance(v, str) and normalize(v) in CUSTOM_NAMES)


def read_system(v: object, overrides: dict[str, float]) -> System | None:
    """A catalog system; None for a custom system (blank, "custom", or an unknown name whose
    figures are all given in the assumptions range)."""
    if isinstance(v, bool) or isinstance(v, _NUMBER_TYPES):
        raise GpueconError("system", v, "a name", f"system must be a name, got {_show(v)}")
    if not isinstance(v, str | None):
        raise GpueconError("system", v, "a name", f"system must be a name, got {_show(v)}")
    if _is_custom_name(v):
        missing = [f for f in REQUIRED_FOR_CUSTOM if f not in overrides]
        if missing:
            raise GpueconError("system", v, "a catalog name",
                               f"system is blank or custom: the assumptions range must give {' and '.join(missing)}")
        return None
    try:
        return get_system(v)
    except GpueconError:
        if all(f in overrides for f in REQUIRED_FOR_CUSTOM):
            return None  # a named system described entirely by the assumptions range
        raise


# --- the assumptions range --------------------------------------------------------------------

_HEADER_NAMES = {"name", "field", "assumption", "parameter", "item"}


def read_assumptions(raw: object) -> dict[str, float]:
    """A two-column range of name and value -> ``{engine field: value}`` (validated).

    Blank rows and blank values are skipped (the default applies); a header row such as
    ``name | value`` is skipped; a two-row range (names across) is read too. Names are
    engine field names or their aliases, any case; an unknown name lists the valid ones.
    """
    if raw is None:
        return {}
    if not _is_seq(raw):
        if isinstance(raw, str) and not raw.strip():
            return {}
        raise GpueconError("assumptions", raw, "a range",
                           "assumptions must be a two-column range of name and value")
    rows = grid(raw, "assumptions")
    nrows, ncols = _shape(rows)
    if ncols != 2 and nrows == 2:
        rows = [list(r) for r in zip(*rows, strict=True)]
    elif ncols != 2:
        if nrows == 1 and ncols == 1 and rows[0][0] is None:
            return {}
        raise GpueconError("assumptions", f"{nrows}x{ncols}", "two columns",
                           f"assumptions must be a two-column range of name and value, got {nrows}x{ncols} cells")
    out: dict[str, float] = {}
    for i, (name, value) in enumerate(rows):
        if name is None or (isinstance(name, str) and not name.strip()):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            raise GpueconError("assumptions", value, "a name",
                               f"assumptions row {i + 1} has a value ({_show(value)}) but no name")
        if not isinstance(name, str):
            raise GpueconError("assumptions", name, "a name",
                               f"assumptions row {i + 1}: the name must be text, got {_show(name)}")
        if i == 0 and _key(name) in _HEADER_NAMES and (value is None or isinstance(value, str)):
            continue  # header row
        field = canonical_field(name)
        x = read_number(field, value)
        if x is _BLANK:
            continue
        _check_field(field, field, x)
        out[field] = x
    return out


# --- arrays: parse, broadcast, compute, assemble -------------------------------------------------

class Cells:
    """One argument as a 2-D array of values with a parallel array of cell errors ('' = ok)."""

    __slots__ = ("values", "errors")

    def __init__(self, values: np.ndarray, errors: np.ndarray) -> None:
        self.values = values
        self.errors = errors

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape


def number_cells(name: str, raw: object, *, field: str | None = None, nonneg: bool = False,
                 default: float = math.nan) -> Cells:
    """A numeric argument as Cells; blanks become ``default`` (NaN: "use the default")."""
    rows = grid(raw, name)
    shape = _shape(rows)
    flat = [v for r in rows for v in r]
    errors = np.full(len(flat), "", dtype=object)
    types = set(map(type, flat))
    _no_nested(name, types)
    if types <= {float, int, type(None)}:
        vals = np.array(flat, dtype=float)  # None -> nan
        bad_inf = np.isinf(vals)
        if bad_inf.any():
            for i in np.flatnonzero(bad_inf):
                errors[i] = cell_error(f"{name} must be a finite number, got {_show(vals[i])}")
            vals[bad_inf] = np.nan
    else:
        vals = np.full(len(flat), np.nan)
        for i, v in enumerate(flat):
            try:
                x = read_number(name, v)
            except GpueconError as err:
                errors[i] = cell_error(err)
                continue
            if x is not _BLANK:
                vals[i] = x
    given = ~np.isnan(vals)
    if field is not None:
        bad = FIELDS[field].bad_mask(vals) & given
        for i in np.flatnonzero(bad):
            errors[i] = cell_error(msg_range(name, field, vals[i]))
        vals[bad] = np.nan
    if nonneg:
        bad = (vals < 0) & given
        for i in np.flatnonzero(bad):
            errors[i] = cell_error(msg_nonneg(name, vals[i]))
        vals[bad] = np.nan
    vals = np.where(np.isnan(vals), default, vals)
    return Cells(vals.reshape(shape), errors.reshape(shape))


def text_cells(name: str, raw: object, read: Callable[[object], object]) -> Cells:
    """A text argument as Cells of parsed values (one parse per distinct cell value)."""
    rows = grid(raw, name)
    shape = _shape(rows)
    flat = [v for r in rows for v in r]
    _no_nested(name, set(map(type, flat)))
    values = np.empty(len(flat), dtype=object)
    errors = np.full(len(flat), "", dtype=object)
    seen: dict[object, tuple[object, str]] = {}
    for i, v in enumerate(flat):
        k = (type(v), v) if isinstance(v, str | float | int | bool | type(None)) else id(v)
        if k not in seen:
            try:
                seen[k] = (read(v), "")
            except GpueconError as err:
                seen[k] = (None, cell_error(err))
        values[i], errors[i] = seen[k]
    return Cells(values.reshape(shape), errors.reshape(shape))


def broadcast_shape(args: dict[str, Cells]) -> tuple[int, int]:
    """Excel/numpy broadcasting of the arguments' 2-D shapes; error names the clash."""
    try:
        return np.broadcast_shapes(*(c.shape for c in args.values()))  # type: ignore[return-value]
    except ValueError:
        shown = ", ".join(f"{k} {c.shape[0]}x{c.shape[1]}" for k, c in args.items() if c.shape != (1, 1))
        raise GpueconError("arguments", shown, "matching shapes",
                           f"ranges have incompatible shapes ({shown}); use ranges of the same size, "
                           "or one column and one row") from None


class Batch:
    """Arguments broadcast and flattened to rows, with each row's first error."""

    def __init__(self, args: dict[str, Cells]) -> None:
        self.shape = broadcast_shape(args)
        self.n = int(np.prod(self.shape))
        self.values = {k: np.broadcast_to(c.values, self.shape).reshape(-1) for k, c in args.items()}
        err = np.full(self.n, "", dtype=object)
        for c in args.values():
            e = np.broadcast_to(c.errors, self.shape).reshape(-1)
            err = np.where(err == "", e, err)
        self.errors = err

    @property
    def ok(self) -> np.ndarray:
        return self.errors == ""

    def fail(self, mask: np.ndarray, text: str | Callable[[int], str]) -> None:
        rows = np.flatnonzero(mask & self.ok)
        if callable(text):
            for i in rows:
                self.errors[i] = text(int(i))
        elif rows.size:
            self.errors[rows] = text

    def output(self, result: np.ndarray, nan_text: str | np.ndarray = "") -> object:
        """Rows back to the broadcast shape: floats, or the row's error text; 1x1 -> a value."""
        values = np.asarray(result, dtype=float)
        bad_nan = self.ok & np.isnan(values)
        if bad_nan.any():
            fallback = cell_error("no result", ERR_NUM)
            nan_text = np.broadcast_to(np.asarray(nan_text, dtype=object), (self.n,))
            for i in np.flatnonzero(bad_nan):
                self.errors[i] = nan_text[i] or fallback
        err = np.flatnonzero(self.errors != "")
        if self.shape == (1, 1):
            return self.errors[0] if err.size else float(values[0])
        out = values.reshape(self.shape).tolist()
        width = self.shape[1]
        for i in err:
            out[i // width][i % width] = self.errors[i]
        return out


def _isolate(batch: Batch, rows: np.ndarray, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``compute(rows)`` in one call; if the engine rejects the batch, split it in halves
    (recursively) so that only the offending rows fail, with the engine's reason."""
    result = np.full(batch.n, np.nan)
    stack = [rows]
    while stack:
        idx = stack.pop()
        if idx.size == 0:
            continue
        try:
            result[idx] = compute(idx)
        except GpueconError as err:
            if idx.size == 1:
                batch.errors[idx[0]] = cell_error(err)
            else:
                half = idx.size // 2
                stack.extend([idx[:half], idx[half:]])
    return result


@functools.cache
def _defaults_by_name(name: str | None) -> dict[str, float]:
    return defaults(name)


def _system_cells(raw: object, overrides: dict[str, float]) -> Cells:
    return text_cells("system", raw, lambda v: read_system(v, overrides))


def row_fields(batch: Batch, overrides: dict[str, float], per_row: dict[str, tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Every engine field as a row array: the row's system defaults, then the assumptions range,
    then the per-row arguments (``field -> (argument name, values with NaN = not given)``), checked
    by :func:`gpuecon.engine.rows.resolve_rows`. Rows out of range are failed with the argument's
    name; failed rows get placeholder values."""
    systems = batch.values["system"]
    codes = np.zeros(batch.n, dtype=np.int64)
    keyed: dict[object, int] = {}
    tables: list[dict[str, float]] = []
    for i, s in enumerate(systems):
        k = s.name if isinstance(s, System) else None
        if k not in keyed:
            keyed[k] = len(keyed)
            tables.append(_defaults_by_name(k))
        codes[i] = keyed[k]
    given: dict[str, np.ndarray] = {}
    typed: dict[str, np.ndarray] = {}
    for field in FIELDS:
        row_given = _given(per_row, field, batch.n)
        if field in overrides:
            given[field] = np.full(batch.n, float(overrides[field]))
            if isinstance(overrides[field], Percent):
                typed[field] = ~row_given
        if field in per_row:
            given[field] = np.where(row_given, per_row[field][1], given.get(field, np.nan))
    rows = resolve_rows(codes, tables, given, typed)
    for field, bad in rows.bad.items():
        name = per_row[field][0] if field in per_row else field
        batch.fail(bad & batch.ok, lambda i, a=rows.values[field], nm=name, f=field: cell_error(msg_range(nm, f, a[i])))
    return engine_values(rows, batch.ok)


def _given(per_row: dict[str, tuple[str, np.ndarray]], field: str, n: int) -> np.ndarray:
    """Rows where a per-row argument gives ``field`` (it then overrides the assumptions range)."""
    return ~np.isnan(per_row[field][1]) if field in per_row else np.zeros(n, bool)


def _sub(fields: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    n = len(next(iter(fields.values())))
    if idx.size == n:  # all rows (idx is sorted and unique): no copy
        return fields
    return {f: a[idx] for f, a in fields.items()}


def _fail_missing_figure(batch: Batch, fields: dict[str, np.ndarray], basis: np.ndarray) -> None:
    systems = batch.values["system"]
    for b, field in _model.BASES.items():
        rows = (basis == b) & ~(fields[field] > 0)
        if rows.any():
            batch.fail(rows, lambda i, b=b, f=field: cell_error(
                f"{_sys_name(systems[i])} has no marketed {b} figure ({f})", ERR_NA))


def _sys_name(s: object) -> str:
    return s.name if isinstance(s, System) else "this system"


def _array_call(system: object, overrides: dict[str, float], cells: dict[str, Cells],
                per_row_fields: dict[str, str]) -> tuple[Batch, dict[str, np.ndarray]]:
    """Build the batch and the per-row fields; ``per_row_fields``: argument -> engine field."""
    batch = Batch({"system": _system_cells(system, overrides), **cells})
    per_row = {field: (arg, batch.values[arg]) for arg, field in per_row_fields.items()}
    fields = row_fields(batch, overrides, per_row)
    return batch, fields


def _scalars(*args: object) -> bool:
    return all(_is_scalar(a) for a in args)


# --- the functions ------------------------------------------------------------------------------
# Each public function takes Excel-shaped arguments in the UDF's order and never raises.

@guarded
def gpu_tco(system, item=None, assumptions=None):
    """TCO per GPU-hour (USD), one item or the total; ``item="breakdown"`` gives an item/value table."""
    overrides = read_assumptions(assumptions)
    if _scalars(system, item):
        it = read_item(_scalar(item))
        a = Assumptions(read_system(_scalar(system), overrides), **overrides)
        tco = _model.tco_breakdown(a)
        if it == "breakdown":
            return [["item", "usd_per_gpu_hour"]] + [[k, float(tco[k])] for k in _model.TCO_ITEMS] + [["total", float(tco["total"])]]
        return float(tco[it])
    batch, fields = _array_call(system, overrides, {"item": text_cells("item", item, read_item)}, {})
    items = batch.values["item"]
    batch.fail(items == "breakdown", cell_error('item "breakdown" needs a single system and item (it spills a table)'))
    ok = np.flatnonzero(batch.ok)
    result = np.full(batch.n, np.nan)
    for k in TCO_ITEMS:  # one engine call per distinct item, not per row
        rows = ok[items[ok] == k]
        if rows.size:
            vals = _isolate(batch, rows, lambda idx, k=k: np.broadcast_to(
                _model.tco_breakdown(Assumptions(None, **_sub(fields, idx)))[k], idx.shape))
            result[rows] = vals[rows]
    return batch.output(result)


@guarded
def floor_rent(system, hurdle_irr=None, term_years=None, prepay=None, assumptions=None):
    """Floor rent (USD per GPU-hour): the rent at which the project IRR equals the hurdle."""
    overrides = read_assumptions(assumptions)
    if _scalars(system, hurdle_irr, term_years, prepay):
        args = dict(overrides)
        for name, raw, field in (("hurdle_irr", hurdle_irr, "hurdle_irr_annual"),
                                 ("term_years", term_years, "contract_term_years"),
                                 ("prepay", prepay, "prepay_frac_contract")):
            x = scalar_number(name, _scalar(raw), field=field)
            if x is not None:
                args[field] = x
        value = float(_model.floor_rent(Assumptions(read_system(_scalar(system), overrides), **args)))
        if value < 0:
            raise _CellError(ERR_NUM, _model.negative_floor_reason(value))
        return value
    cells = {"hurdle_irr": number_cells("hurdle_irr", hurdle_irr, field="hurdle_irr_annual"),
             "term_years": number_cells("term_years", term_years, field="contract_term_years"),
             "prepay": number_cells("prepay", prepay, field="prepay_frac_contract")}
    batch, fields = _array_call(system, overrides, cells, {"hurdle_irr": "hurdle_irr_annual",
                                                           "term_years": "contract_term_years",
                                                           "prepay": "prepay_frac_contract"})
    result = _isolate(batch, np.flatnonzero(batch.ok),
                      lambda idx: np.broadcast_to(_model.floor_rent(Assumptions(None, **_sub(fields, idx))), idx.shape))
    neg = np.flatnonzero(result < 0)
    if neg.size == 0:
        return batch.output(result)
    nan_text = np.full(batch.n, "", dtype=object)
    nan_text[neg] = [cell_error(_model.negative_floor_reason(float(result[i])), ERR_NUM) for i in neg]
    result[neg] = np.nan
    return batch.output(result, nan_text)


@guarded
def ceiling_rent(system, usd_per_pflop_hour=None, basis=None, assumptions=None):
    """Ceiling rent (USD per GPU-hour) = reference USD per PFLOP-hour x marketed dense PFLOPS."""
    overrides = read_assumptions(assumptions)
    if _scalars(system, usd_per_pflop_hour, basis):
        b = read_basis(_scalar(basis))
        price = scalar_number("usd_per_pflop_hour", _scalar(usd_per_pflop_hour), nonneg=True)
        s = read_system(_scalar(system), overrides)
        a = Assumptions(s, **overrides)
        field = _model.BASES[b]
        if not float(a[field]) > 0:
            raise _CellError(ERR_NA, f"{_sys_name(s)} has no marketed {b} figure ({field})")
        return float(_model.ceiling_rent(a, DEFAULT_USD_PER_PFLOP_HOUR if price is None else price, b))
    cells = {"usd_per_pflop_hour": number_cells("usd_per_pflop_hour", usd_per_pflop_hour, nonneg=True,
                                                default=DEFAULT_USD_PER_PFLOP_HOUR),
             "basis": text_cells("basis", basis, read_basis)}
    batch, fields = _array_call(system, overrides, cells, {})
    return _per_basis(batch, fields, lambda a, idx, b: _model.ceiling_rent(a, batch.values["usd_per_pflop_hour"][idx], b))


def _per_basis(batch: Batch, fields: dict[str, np.ndarray], fn) -> object:
    basis = batch.values["basis"]
    _fail_missing_figure(batch, fields, basis)
    result = np.full(batch.n, np.nan)
    ok = batch.ok
    for b in _model.BASES:  # one engine call per distinct basis, not per row
        rows = np.flatnonzero(ok & (basis == b))
        if rows.size:
            vals = _isolate(batch, rows, lambda idx, b=b: np.broadcast_to(
                fn(Assumptions(None, **_sub(fields, idx)), idx, b), idx.shape))
            result[rows] = vals[rows]
    return batch.output(result)


@guarded
def socamm_cost(capacity_gb_or_system, usd_per_gb=None, gross_margin=None):
    """SOCAMM memory cost (margin 0) or price, cost / (1 - margin), in USD."""
    if _scalars(capacity_gb_or_system, usd_per_gb, gross_margin):
        gb = _socamm_gb(_scalar(capacity_gb_or_system))
        usd = scalar_number("usd_per_gb", _scalar(usd_per_gb), field="socamm_usd_per_gb")
        m = scalar_number("gross_margin", _scalar(gross_margin), field="socamm_gross_margin_frac")
        return float(_model.socamm_cost(gb, 10.0 if usd is None else usd, 0.0 if m is None else m))
    cap = text_cells("capacity_gb_or_system", capacity_gb_or_system, _socamm_gb)
    cap.values = cap.values.astype(object)
    cells = {"capacity_gb_or_system": cap,
             "usd_per_gb": number_cells("usd_per_gb", usd_per_gb, field="socamm_usd_per_gb", default=10.0),
             "gross_margin": number_cells("gross_margin", gross_margin, field="socamm_gross_margin_frac", default=0.0)}
    batch = Batch(cells)
    gb = np.array([np.nan if v is None else v for v in batch.values["capacity_gb_or_system"]], dtype=float)
    ok = np.flatnonzero(batch.ok)
    result = _isolate(batch, ok, lambda idx: _model.socamm_cost(
        gb[idx], batch.values["usd_per_gb"][idx], batch.values["gross_margin"][idx]))
    return batch.output(result)


def _socamm_gb(v: object) -> float:
    name = "capacity_gb_or_system"
    if isinstance(v, str):
        try:
            x = read_number(name, v)
        except GpueconError:
            s = get_system(v)
            if not s.cpu_mem_socamm:
                raise GpueconError(name, v, "a system with SOCAMM",
                                   f"{s.name} has no socketed SOCAMM memory (its CPU memory is soldered); "
                                   "give a capacity in GB") from None
            return float(s.figures["cpu_mem_gb_per_gpu"])
    else:
        x = read_number(name, v)
    if x is _BLANK:
        raise GpueconError(name, None, "given", f"{name} is required: a capacity in GB or a system name")
    _check_field(name, "socamm_gb_per_gpu", x)
    return float(x)


@guarded
def project_irr(system, rent_usd_per_gpu_hour, term_years=None, prepay=None, assumptions=None):
    """Project IRR (annual effective) at a rent in USD per GPU-hour."""
    overrides = read_assumptions(assumptions)
    if _scalars(system, rent_usd_per_gpu_hour, term_years, prepay):
        rent = _required_rent(scalar_number("rent_usd_per_gpu_hour", _scalar(rent_usd_per_gpu_hour), nonneg=True))
        args = dict(overrides)
        for name, raw, field in (("term_years", term_years, "contract_term_years"),
                                 ("prepay", prepay, "prepay_frac_contract")):
            x = scalar_number(name, _scalar(raw), field=field)
            if x is not None:
                args[field] = x
        d = _model.project_irr_detail(Assumptions(read_system(_scalar(system), overrides), **args), rent)
        value = float(d.annual)
        if math.isnan(value):
            raise _CellError(ERR_NUM, str(d.reason) or "no IRR")
        return value
    cells = {"rent_usd_per_gpu_hour": number_cells("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour, nonneg=True),
             "term_years": number_cells("term_years", term_years, field="contract_term_years"),
             "prepay": number_cells("prepay", prepay, field="prepay_frac_contract")}
    batch, fields = _array_call(system, overrides, cells, {"term_years": "contract_term_years",
                                                           "prepay": "prepay_frac_contract"})
    rent = batch.values["rent_usd_per_gpu_hour"]
    batch.fail(np.isnan(rent), cell_error("rent_usd_per_gpu_hour is required (USD per GPU-hour)"))
    reasons = np.full(batch.n, "", dtype=object)

    def compute(idx):
        d = _model.project_irr_detail(Assumptions(None, **_sub(fields, idx)), rent[idx])
        reasons[idx] = np.broadcast_to(d.reason, idx.shape)
        return np.broadcast_to(d.annual, idx.shape)

    result = _isolate(batch, np.flatnonzero(batch.ok), compute)
    nan_text = np.array([cell_error(r, ERR_NUM) if r else "" for r in reasons], dtype=object) if np.isnan(result).any() else ""
    return batch.output(result, nan_text)


def _required_rent(x: float | None) -> float:
    if x is None:
        raise GpueconError("rent_usd_per_gpu_hour", None, "given", "rent_usd_per_gpu_hour is required (USD per GPU-hour)")
    return x


@guarded
def rent_per_pflop(system, rent_usd_per_gpu_hour, basis=None):
    """Rent per PFLOP-hour (USD) at a basis: rent / marketed dense PFLOPS (per TB/s for MEM_BW)."""
    if _scalars(system, rent_usd_per_gpu_hour, basis):
        rent = _required_rent(scalar_number("rent_usd_per_gpu_hour", _scalar(rent_usd_per_gpu_hour), nonneg=True))
        b = read_basis(_scalar(basis))
        s = read_system(_scalar(system), {})
        a = Assumptions(s)
        field = _model.BASES[b]
        if not float(a[field]) > 0:
            raise _CellError(ERR_NA, f"{_sys_name(s)} has no marketed {b} figure ({field})")
        return float(_model.rent_per_pflop(a, rent, b))
    cells = {"rent_usd_per_gpu_hour": number_cells("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour, nonneg=True),
             "basis": text_cells("basis", basis, read_basis)}
    batch, fields = _array_call(system, {}, cells, {})
    rent = batch.values["rent_usd_per_gpu_hour"]
    batch.fail(np.isnan(rent), cell_error("rent_usd_per_gpu_hour is required (USD per GPU-hour)"))
    return _per_basis(batch, fields, lambda a, idx, b: _model.rent_per_pflop(a, rent[idx], b))


_SPEC_COLUMNS: tuple[str, ...] | None = None


def _spec_columns() -> tuple[str, ...]:
    global _SPEC_COLUMNS
    if _SPEC_COLUMNS is None:
        _SPEC_COLUMNS = tuple(catalog_frame().columns)
    return _SPEC_COLUMNS


def read_spec_field(v: object) -> str:
    cols = _spec_columns()
    if isinstance(v, str) and v.strip():
        key = _key(v)
        key = ALIASES.get(key, key)
        if key in cols:
            return key
    raise GpueconError("field", v, "a catalog column",
                       f"field must be a catalog column, got {_show(v)}; valid: {', '.join(cols)}")


def _catalog_system(v: object) -> System:
    if _is_custom_name(v):
        raise GpueconError("system", v, "a catalog name", "system is required: a catalog name (see GPU_SYSTEMS())")
    if not isinstance(v, str):
        raise GpueconError("system", v, "a name", f"system must be a name, got {_show(v)}")
    return get_system(v)


@functools.cache
def _spec_value(system_name: str, field: str) -> object:
    row = catalog_frame().set_index("name").loc[system_name]
    if field == "name":
        return system_name
    v = row[field]
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return cell_error(f"{system_name} has no public {field} figure", ERR_NA)
        return float(v)
    if v is None or (isinstance(v, str) and not v.strip()):
        return cell_error(f"{system_name} has no {field} entry", ERR_NA)
    return str(v)


@guarded
def gpu_spec(system, field):
    """A catalog value for a system (per GPU): a figure, a flag, or a source note."""
    if _scalars(system, field):
        try:
            s = _catalog_system(_scalar(system))
        except GpueconError as err:
            first = cell_error(err)
        else:
            first = ""
        if first:
            return first
        return _spec_value(s.name, read_spec_field(_scalar(field)))
    sys_cells = text_cells("system", system, _catalog_system)
    field_cells = text_cells("field", field, read_spec_field)
    batch = Batch({"system": sys_cells, "field": field_cells})
    out = np.empty(batch.n, dtype=object)
    for i in range(batch.n):  # catalog look-ups, cached per (system, field)
        if batch.errors[i]:
            out[i] = batch.errors[i]
        else:
            out[i] = _spec_value(batch.values["system"][i].name, batch.values["field"][i])
    if batch.shape == (1, 1):
        return out[0]
    return out.reshape(batch.shape).tolist()


@guarded
def gpu_systems():
    """The catalog's system names, as a column."""
    return [[name] for name in system_names()]


ONE_CHART_HEADER = ["rent_usd_per_gpu_hour", "irr_annual", "floor_usd_per_gpu_hour", "ceiling_usd_per_gpu_hour"]


@guarded
def one_chart(system, rents=None, assumptions=None):
    """The One Chart's data: header row, then rent, IRR, floor and ceiling per row."""
    overrides = read_assumptions(assumptions)
    if not _is_scalar(system):
        raise GpueconError("system", "a range", "one system name", "system must be a single name for ONE_CHART")
    a = Assumptions(read_system(_scalar(system), overrides), **overrides)
    if rents is None or (_is_scalar(rents) and read_number("rents", _scalar(rents)) is _BLANK):
        chart = _model.one_chart(a)
        grid_rents = chart.rents_usd_per_gpu_hour
        errors = np.full(grid_rents.size, "", dtype=object)
    else:
        rows = grid(rents, "rents")
        flat = [v for r in rows for v in r]
        cells = number_cells("rents", [[v] for v in flat], nonneg=True)
        keep = ~(np.isnan(cells.values[:, 0]) & (cells.errors[:, 0] == ""))  # drop blank cells
        grid_rents = cells.values[keep, 0]
        errors = cells.errors[keep, 0]
        if grid_rents.size == 0:
            raise GpueconError("rents", None, "at least one rent", "rents must hold at least one rent (USD per GPU-hour)")
        chart = _model.one_chart(a, rents=np.where(errors == "", grid_rents, 0.0))
    irr = chart.irr_annual
    out: list[list[object]] = [list(ONE_CHART_HEADER)]
    for i in range(grid_rents.size):
        if errors[i]:
            out.append([errors[i], errors[i], chart.floor_usd_per_gpu_hour, chart.ceiling_usd_per_gpu_hour])
            continue
        v = float(irr[i])
        why = str(chart.irr_reason[i]) or "no IRR at this rent"
        out.append([float(grid_rents[i]), v if not math.isnan(v) else cell_error(why, ERR_NUM),
                    chart.floor_usd_per_gpu_hour, chart.ceiling_usd_per_gpu_hour])
    return out


@guarded
def version():
    """The gpuecon engine version."""
    return __version__


#: Excel function name -> implementation (the contract the add-ins expose).
FUNCTIONS: dict[str, Callable] = {
    "GPU_TCO": gpu_tco,
    "FLOOR_RENT": floor_rent,
    "CEILING_RENT": ceiling_rent,
    "SOCAMM_COST": socamm_cost,
    "PROJECT_IRR": project_irr,
    "RENT_PER_PFLOP": rent_per_pflop,
    "GPU_SPEC": gpu_spec,
    "GPU_SYSTEMS": gpu_systems,
    "ONE_CHART": one_chart,
    "GPUECON_VERSION": version,
}

#: The functions of :data:`FUNCTIONS` that work element-wise over ranges (one result per row), and
#: how many leading arguments may be columns (the ``assumptions`` name/value range never is one).
#: Headless recalculation (``gpuecon.recalc``) evaluates a column of such cells as one call; the
#: other functions (tables such as ``ONE_CHART``, no-argument ``GPU_SYSTEMS``) are called per cell.
ELEMENTWISE_ARGS: dict[str, int] = {"GPU_TCO": 2, "FLOOR_RENT": 4, "CEILING_RENT": 3, "SOCAMM_COST": 3,
                                    "PROJECT_IRR": 4, "RENT_PER_PFLOP": 3, "GPU_SPEC": 2}


#: One-line argument descriptions with units, shown by Excel's function wizard (classic
#: xlwings passes them to ``Application.MacroOptions``, which cuts at 255 characters).
ARG_DOCS: dict[str, str] = {
    "system": 'System name from the catalog, any case (e.g. "VR NVL72"), or a range of names; '
              'blank or "custom" for a system described entirely in assumptions.',
    "item": 'Optional TCO item: "total" (default), "capital", "power", "colocation", "maintenance", '
            '"other", or "breakdown" (spills an item/value table). USD per GPU-hour.',
    "assumptions": "Optional two-column range of name and value overriding default assumptions "
                   "(engine field names or aliases, e.g. pue_ratio, power_usd_per_kwh, hurdle_irr).",
    "hurdle_irr": "Optional hurdle project IRR, annual fraction (default 0.156 = 15.6%). A range gives one result per cell.",
    "term_years": "Optional contract term in years, whole months (default 5). A range gives one result per cell.",
    "prepay": "Optional prepay at signing, fraction of total contract value (default 0.15 = 15%). Ranges allowed.",
    "usd_per_pflop_hour": "Optional reference price, USD per PFLOP-hour (default 0.70); with basis MEM_BW, "
                          "USD per TB/s-hour. Ranges allowed.",
    "basis": "Optional performance basis: BF16, FP8 (default), FP4, FP4_SPARSE (marketed dense PFLOPS) "
             "or MEM_BW (memory bandwidth, TB/s).",
    "capacity_gb_or_system": "SOCAMM capacity in GB, or a system name (uses its SOCAMM GB per GPU from the catalog). "
                             "Ranges allowed.",
    "usd_per_gb": "Optional SOCAMM cost in USD per GB (default 10). Ranges allowed.",
    "gross_margin": "Optional vendor gross margin, fraction (default 0 = cost; 0.6 = price at a 60% margin). "
                    "Ranges allowed.",
    "rent_usd_per_gpu_hour": "Rent in USD per GPU-hour. A range gives one result per cell.",
    "field": "Catalog column, e.g. tflops_fp8_dense, hbm_gb, mem_bw_tb_per_s, chip_tdp_w, it_w_per_gpu, "
             "cpu_mem_gb_per_gpu, market_rent_usd_per_gpu_hour, source_specs.",
    "rents": "Optional range of rents, USD per GPU-hour (default: 41 rents from 0.6 x floor to 1.1 x ceiling).",
}


__all__ = ["ARG_DOCS", "ELEMENTWISE_ARGS", "FUNCTIONS", "cache_clear", "ERR_VALUE", "ERR_NA", "ERR_NUM", "cell_error", "is_error",
           "read_assumptions", "gpu_tco", "floor_rent", "ceiling_rent", "socamm_cost", "project_irr",
           "rent_per_pflop", "gpu_spec", "gpu_systems", "one_chart", "version"]

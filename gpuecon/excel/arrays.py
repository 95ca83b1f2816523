"""Arrays: argument ranges parsed into cells, broadcast together, the per-row fields (through
:func:`gpuecon.engine.rows.resolve_rows`), a failed row isolated from the rest, and
:func:`rows_call` (all of it around one engine call, for the functions of one system and numbers)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ..engine import model as _model
from ..engine.assumptions import FIELDS, Assumptions, defaults
from ..engine.catalog import System
from ..engine.errors import GpueconError
from ..engine.numbers import Percent
from ..engine.rows import engine_values, resolve_rows
from .errors import ERR_NA, ERR_NUM, CellError, cell_error
from .reading import (
    BLANK,
    grid,
    grid_shape,
    is_scalar,
    msg_nonneg,
    msg_range,
    no_nested,
    read_assumptions,
    read_number,
    read_system,
    show,
    single_value,
)

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
    if is_scalar(raw):  # one cell: read as :func:`cell_number` reads it (the same checks and texts)
        try:
            x, error = cell_number(name, single_value(raw), field, nonneg), ""
        except GpueconError as err:
            x, error = math.nan, cell_error(err)
        return Cells(np.array([[default if x != x else x]]), np.array([[error]], dtype=object))
    rows = grid(raw, name)
    shape = grid_shape(rows)
    flat = [v for r in rows for v in r]
    errors = np.full(len(flat), "", dtype=object)
    types = set(map(type, flat))
    no_nested(name, types)
    if types <= {float, int, type(None)}:
        vals = np.array(flat, dtype=float)  # None -> nan
        bad_inf = np.isinf(vals)
        if bad_inf.any():
            for i in np.flatnonzero(bad_inf):
                errors[i] = cell_error(f"{name} must be a finite number, got {show(vals[i])}")
            vals[bad_inf] = np.nan
    else:
        vals = np.full(len(flat), np.nan)
        for i, v in enumerate(flat):
            try:
                x = read_number(name, v)
            except GpueconError as err:
                errors[i] = cell_error(err)
                continue
            if x is not BLANK:
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
    shape = grid_shape(rows)
    flat = [v for r in rows for v in r]
    no_nested(name, set(map(type, flat)))
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
        if all(c.shape == (1, 1) for c in args.values()):  # one cell: nothing to broadcast
            self.shape, self.n = (1, 1), 1
            self.values = {k: c.values.reshape(1) for k, c in args.items()}
            first = next((c.errors[0, 0] for c in args.values() if c.errors[0, 0]), "")
            self.errors = np.array([first], dtype=object)
            return
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


def isolate(batch: Batch, rows: np.ndarray, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
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


def sub(fields: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    n = len(next(iter(fields.values())))
    if idx.size == n:  # all rows (idx is sorted and unique): no copy
        return fields
    return {f: a[idx] for f, a in fields.items()}


def fail_missing_figure(batch: Batch, fields: dict[str, np.ndarray], basis: np.ndarray) -> None:
    systems = batch.values["system"]
    for b, field in _model.BASES.items():
        rows = (basis == b) & ~(fields[field] > 0)
        if rows.any():
            batch.fail(rows, lambda i, b=b, f=field: cell_error(
                f"{sys_name(systems[i])} has no marketed {b} figure ({f})", ERR_NA))


def sys_name(s: object) -> str:
    return s.name if isinstance(s, System) else "this system"


def array_call(system: object, overrides: dict[str, float], cells: dict[str, Cells],
                per_row_fields: dict[str, str]) -> tuple[Batch, dict[str, np.ndarray]]:
    """Build the batch and the per-row fields; ``per_row_fields``: argument -> engine field."""
    batch = Batch({"system": _system_cells(system, overrides), **cells})
    per_row = {field: (arg, batch.values[arg]) for arg, field in per_row_fields.items()}
    fields = row_fields(batch, overrides, per_row)
    return batch, fields


def scalars(*args: object) -> bool:
    return all(is_scalar(a) for a in args)


def rows_call(system, assumptions, numbers: dict[str, tuple[object, str | None, bool]],
              compute: Callable[[Assumptions, dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]],
              required: tuple[str, ...] = (), market_rent_default: bool = False) -> object:
    """One vectorized engine call over the broadcast rows; ``numbers``: argument -> (cells, field, nonneg).

    ``compute(a, values)`` returns (result, reason per row); a NaN result shows ``#NUM! reason``.
    ``market_rent_default``: a blank rent is the row's system's public market rent (``#N/A`` where
    there is none).
    """
    overrides = read_assumptions(assumptions)
    if is_scalar(system) and all(is_scalar(raw) for raw, _, _ in numbers.values()):
        return _scalar_row(system, overrides, numbers, compute, required, market_rent_default)
    cells = {name: number_cells(name, raw, field=field, nonneg=nonneg) for name, (raw, field, nonneg) in numbers.items()}
    batch, fields = array_call(system, overrides, cells, {k: f for k, (_, f, _) in numbers.items() if f})
    for name in required:
        batch.fail(np.isnan(batch.values[name]), cell_error(f"{name} is required"))
    if market_rent_default:
        rent = batch.values["rent_usd_per_gpu_hour"]
        systems = batch.values["system"]
        market = np.array([s.figures.get("market_rent_usd_per_gpu_hour", np.nan) if isinstance(s, System) else np.nan
                           for s in systems], dtype=float)
        market = np.where(market > 0, market, np.nan)
        batch.values["rent_usd_per_gpu_hour"] = rent = np.where(np.isnan(rent), market, rent)
        batch.fail(np.isnan(rent), lambda i: cell_error(
            f"{sys_name(systems[i])} has no public market rent in the catalog: give rent_usd_per_gpu_hour", ERR_NA))
    reasons = np.full(batch.n, "", dtype=object)

    def run(idx: np.ndarray) -> np.ndarray:
        values = {k: batch.values[k][idx] for k, (_, f, _) in numbers.items() if not f}
        result, why = compute(Assumptions(None, **sub(fields, idx)), values)
        reasons[idx] = np.broadcast_to(np.asarray(why, dtype=object), idx.shape)
        return np.broadcast_to(np.asarray(result, dtype=float), idx.shape)

    result = isolate(batch, np.flatnonzero(batch.ok), run)
    nan_text = np.array([cell_error(r, ERR_NUM) if r else "" for r in reasons], dtype=object)
    return batch.output(result, nan_text)


def cell_number(name: str, raw: object, field: str | None = None, nonneg: bool = False) -> float:
    """One cell read as :func:`number_cells` reads it (same checks, same error texts): the float,
    NaN for a blank; GpueconError for a bad value. Text typed with '%' is read as its value, as a
    cell of a range is."""
    x = read_number(name, raw)
    if x is BLANK:
        return math.nan
    x = float(x)
    if field is not None and not FIELDS[field].ok(x):
        raise GpueconError(name, x, FIELDS[field].allowed, msg_range(name, field, x))
    if nonneg and x < 0:
        raise GpueconError(name, x, "a number >= 0", msg_nonneg(name, x))
    return x


def _scalar_row(system, overrides: dict[str, float], numbers: dict[str, tuple[object, str | None, bool]],
                compute, required: tuple[str, ...], market_rent_default: bool) -> object:
    """:func:`rows_call` for one cell: the same reading, checks, error texts and engine call, on
    scalars (no broadcasting, no per-row tables)."""
    s = read_system(single_value(system), overrides)
    values: dict[str, float] = {}
    fields = dict(overrides)
    for name, (raw, field, nonneg) in numbers.items():
        x = cell_number(name, single_value(raw), field, nonneg)
        if field:
            if x == x:
                fields[field] = x
        else:
            values[name] = np.float64(x)
    for name in required:
        if values[name] != values[name]:
            raise GpueconError(name, None, "given", f"{name} is required")
    if market_rent_default and not values["rent_usd_per_gpu_hour"] == values["rent_usd_per_gpu_hour"]:
        market = s.figures.get("market_rent_usd_per_gpu_hour", np.nan) if isinstance(s, System) else np.nan
        if not market > 0:
            raise CellError(ERR_NA, f"{sys_name(s)} has no public market rent in the catalog: give rent_usd_per_gpu_hour")
        values["rent_usd_per_gpu_hour"] = np.float64(market)
    result, why = compute(Assumptions(s, **fields), values)
    value = float(result) if type(result) in (float, np.float64) else float(np.asarray(result, dtype=float).reshape(-1)[0])
    if value != value:
        why = why if type(why) is str else str(np.asarray(why, dtype=object).reshape(-1)[0])
        raise CellError(ERR_NUM, why or "no result")
    return value

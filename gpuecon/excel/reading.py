"""Reading what Excel sends: shapes of ranges, one cell as a number, name or choice, and the
``assumptions`` name/value range."""

from __future__ import annotations

import math

import numpy as np

from ..engine import model as _model
from ..engine.assumptions import FIELDS, REQUIRED_FOR_CUSTOM, canonical_field
from ..engine.catalog import System, get_system, normalize
from ..engine.errors import GpueconError
from ..engine.numbers import Percent, parse_number

#: Engine defaults that are not assumption fields.
DEFAULT_USD_PER_PFLOP_HOUR = _model.REFERENCE_USD_PER_PFLOP_HOUR
DEFAULT_BASIS = "FP8"
DEFAULT_ITEM = "total"
TCO_ITEMS = ("total",) + _model.TCO_ITEMS
CUSTOM_NAMES = ("", "custom")

_NUMBER_TYPES = (float, int, np.floating, np.integer)


# --- shapes -----------------------------------------------------------------------------------

_CELL_TYPES = frozenset({str, float, int, bool, type(None)})  # what one Excel cell arrives as


def _is_seq(x: object) -> bool:
    if type(x) in _CELL_TYPES:
        return False
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


def no_nested(name: str, types: set[type]) -> None:
    if types & {list, tuple}:
        raise GpueconError(name, "a nested range", "a range of cells",
                           f"{name} must be a range of cells, not a range of ranges")


def grid_shape(rows: list[list[object]]) -> tuple[int, int]:
    return len(rows), len(rows[0])


def is_scalar(raw: object) -> bool:
    if type(raw) in _CELL_TYPES:
        return True
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


def single_value(raw: object) -> object:
    return grid(raw)[0][0] if _is_seq(raw) else raw


# --- reading one cell -------------------------------------------------------------------------

def show(v: object) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, _NUMBER_TYPES):
        return f"{float(v):g}"
    if isinstance(v, str):
        return repr(v.strip()) if v.strip() else "''"
    return type(v).__name__


def msg_not_number(name: str, v: object) -> str:
    return f"{name} must be a number, got {show(v)}"


def msg_range(name: str, field: str, v: float) -> str:
    return FIELDS[field].message(v, name)


def msg_nonneg(name: str, v: float) -> str:
    return f"{name} must be a number >= 0, got {show(float(v))}"


BLANK = object()


def read_number(name: str, v: object) -> float | object:
    """One cell as a float, ``BLANK`` for a blank; GpueconError for anything else."""
    if v is None:
        return BLANK
    if isinstance(v, bool):
        raise GpueconError(name, v, "a number", msg_not_number(name, v))
    if isinstance(v, _NUMBER_TYPES):
        x = float(v)
        if math.isnan(x):
            return BLANK
        if math.isinf(x):
            raise GpueconError(name, v, "a finite number", f"{name} must be a finite number, got {show(x)}")
        return x
    if isinstance(v, str):
        if v.strip() == "":
            return BLANK
        try:
            return parse_number(v, name)
        except GpueconError:
            raise GpueconError(name, v, "a number", msg_not_number(name, v)) from None
    raise GpueconError(name, v, "a number", msg_not_number(name, v))


def _field_ok(field: str, x: float) -> bool:
    return FIELDS[field].ok(x, isinstance(x, Percent))


def check_field(name: str, field: str, x: float) -> None:
    if not _field_ok(field, x):
        raise GpueconError(name, x, FIELDS[field].allowed, msg_range(name, field, x))


def scalar_number(name: str, raw: object, *, field: str | None = None, nonneg: bool = False) -> float | None:
    """A scalar argument: None if blank, else a validated float (field range or >= 0)."""
    x = read_number(name, raw)
    if x is BLANK:
        return None
    if field is not None:
        check_field(name, field, x)
    if nonneg and x < 0:
        raise GpueconError(name, x, "a number >= 0", msg_nonneg(name, x))
    return x


def name_key(text: object) -> str:
    return str(text).strip().lower().replace(" ", "_").replace("-", "_")


def read_basis(v: object) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return DEFAULT_BASIS
    if not isinstance(v, str):
        raise GpueconError("basis", v, "text", f"basis must be one of {', '.join(_model.BASES)}, got {show(v)}")
    try:
        return _model.normalize_basis(v)
    except GpueconError:
        raise GpueconError("basis", v, "a basis", f"basis must be one of {', '.join(_model.BASES)}, got {show(v)}") from None


def read_item(v: object) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return DEFAULT_ITEM
    key = normalize(v) if isinstance(v, str) else None
    for item in TCO_ITEMS + ("breakdown",):
        if key == item:
            return item
    raise GpueconError("item", v, "an item",
                       f"item must be one of {', '.join(TCO_ITEMS)} or breakdown, got {show(v)}")


def is_custom_name(v: object) -> bool:
    return v is None or (isinstance(v, str) and normalize(v) in CUSTOM_NAMES)


def read_system(v: object, overrides: dict[str, float]) -> System | None:
    """A catalog system; None for a custom system (blank, "custom", or an unknown name whose
    figures are all given in the assumptions range)."""
    if isinstance(v, bool) or isinstance(v, _NUMBER_TYPES):
        raise GpueconError("system", v, "a name", f"system must be a name, got {show(v)}")
    if not isinstance(v, str | None):
        raise GpueconError("system", v, "a name", f"system must be a name, got {show(v)}")
    if is_custom_name(v):
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


_FIELD_OF: dict[str, str] = {}  # a name as typed -> its field (names repeat from cell to cell)


def _field_of(name: str) -> str:
    field = canonical_field(name)  # an unknown name raises, with the closest names
    if len(_FIELD_OF) < 4096:
        _FIELD_OF[name] = field
    return field


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
    nrows, ncols = grid_shape(rows)
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
                               f"assumptions row {i + 1} has a value ({show(value)}) but no name")
        if not isinstance(name, str):
            raise GpueconError("assumptions", name, "a name",
                               f"assumptions row {i + 1}: the name must be text, got {show(name)}")
        if i == 0 and name_key(name) in _HEADER_NAMES and (value is None or isinstance(value, str)):
            continue  # header row
        field = _FIELD_OF.get(name) or _field_of(name)
        x = read_number(field, value)
        if x is BLANK:
            continue
        check_field(field, field, x)
        out[field] = x
    return out

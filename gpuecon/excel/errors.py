"""Error text in cells (``#VALUE! <reason>``), the guard that keeps every failure a cell value,
and the memo of recent scalar calls."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ..engine.errors import GpueconError

ERR_VALUE = "#VALUE!"
ERR_NA = "#N/A"
ERR_NUM = "#NUM!"
MAX_REASON_CHARS = 1000  # the unknown-field message lists all ~30 field names

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


class CellError(Exception):
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
_ATOMS = frozenset({str, float, int, bool, type(None)})


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
                types = tuple(map(type, args))  # single cells: the arguments themselves, typed
                key = (fn.__name__, types, args) if _ATOMS.issuperset(types) else (fn.__name__, _freeze(args, [_MEMO_CELLS]))
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
        except CellError as err:
            result = cell_error(err, err.code)
        except Exception as err:  # noqa: BLE001 - the add-in must never crash a cell
            result = _internal(err)
        if key is not None and not isinstance(result, list):
            if len(_MEMO) >= _MEMO_MAX:
                _MEMO.clear()
            _MEMO[key] = result
        return result

    return wrapper

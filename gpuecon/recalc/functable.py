"""``formulas.get_functions()`` without importing scipy at start-up.

The ``formulas`` function modules import scipy at module level: ``scipy.stats`` and ``scipy.linalg``
(deferred with the standard library's ``importlib.util.LazyLoader``: they run on first attribute
access) and ``from scipy.interpolate import interp1d``, which the lazy loader cannot defer (the
``from`` import reads the attribute) and which costs about half a second (scipy.interpolate brings
scipy.special and scipy.optimize). :func:`load_functions` builds the table while a stand-in answers that
one import: a function that imports the real ``interp1d`` at its first call (``PERCENTILE``,
``QUARTILE``, ``CONFIDENCE``...). The stand-in is removed from ``sys.modules`` right after, so any other
``import scipy.interpolate`` in the process gets the real module.

``IRR`` is answered by the engine's vectorized solver (:func:`gpuecon.engine.finance.irr`) when the
flows have exactly one sign change, so one real root, which both find: ``formulas`` calls
``numpy_financial.irr``, the eigenvalues of an n x n companion matrix (about 7 ms for 481 monthly
flows, against well under a millisecond). Every other call (several sign changes, text, logicals,
errors or blanks among the flows, a guess that is not a number, no root found) goes to ``formulas``'
own ``IRR`` unchanged, so results and errors are as before.

The type of each value that ``MATCH``, ``XMATCH``, ``LOOKUP`` and ``FILTER`` read (number, text,
logical, an error, blank) is found by ``formulas`` with ``np.vectorize`` of a Python function, about
1.4 us a value at every call: 12 million values, 18 s of book 37's recalculation (3,500 lookups in
columns of 3,500). :func:`type_ids` gives the same numbers with the exact type of each value looked up
in a table in C loops, as are ``formulas``' own error values and blank (by identity), and ``formulas``'
own function for anything else.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import math
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["DEFERRED", "load_functions", "type_ids", "unique_root_irr"]

#: modules run lazily (on first attribute access) when the ``formulas`` functions are loaded
DEFERRED: tuple[str, ...] = ("scipy.stats", "scipy.linalg")


def load_functions() -> dict:
    """``formulas.get_functions()`` (cached by ``formulas``; the dict the parser and compiler use)."""
    for name in DEFERRED:
        _defer_import(name)
    import formulas.functions

    with _called_on_first_use("scipy.interpolate", "interp1d"):
        funcs = formulas.functions.get_functions()
    _route_irr(funcs)
    import formulas.functions.look as look

    if getattr(look, "_vect_get_type_id", None) is not None:
        look._vect_get_type_id = type_ids
    return funcs


#: the exact types whose ``formulas`` type id is known without calling it (0 number, 1 text, 2 logical)
_TYPE_IDS = {float: 0, int: 0, np.float64: 0, np.int64: 0, str: 1, np.str_: 1, bool: 2, np.bool_: 2}


_SINGLETONS: dict[int, int] = {}  # id() of formulas' error values and blank -> their type id


def type_ids(values: object) -> np.ndarray:
    """``formulas.functions.look._get_type_id`` of every element of ``values`` (same shape, int)."""
    from formulas.functions.look import Error, _get_type_id, sh

    if not _SINGLETONS:
        _SINGLETONS.update({id(v): _get_type_id(v) for v in (*Error.errors.values(), sh.EMPTY)})
    arr = np.asarray(values, dtype=object)
    flat = arr.ravel()
    out = np.fromiter(map(_TYPE_IDS.get, map(type, flat), itertools.repeat(-1)), dtype=int, count=flat.size)
    rest = np.flatnonzero(out < 0)
    if rest.size:
        out[rest] = np.fromiter(map(_SINGLETONS.get, map(id, flat[rest]), itertools.repeat(-1)), dtype=int,
                                count=rest.size)
        for i in rest[out[rest] < 0]:
            out[i] = _get_type_id(flat[i])
    return out.reshape(arr.shape)


_NUMBER_TYPES = (float, int, np.float64, np.int64)


def unique_root_irr(values: object, guess: object = 0.1) -> float | None:
    """The periodic IRR of ``values`` by the engine when the flows are plain numbers with exactly one
    sign change and ``guess`` is a number; None for anything else (left to ``formulas``' IRR)."""
    from ..engine.finance import IRR_OK, irr

    if type(guess) not in _NUMBER_TYPES:
        return None
    flat = values.ravel() if isinstance(values, np.ndarray) else None
    if flat is None or flat.size < 2 or not all(type(v) in _NUMBER_TYPES for v in flat):
        return None
    flows = flat.astype(float)
    signs = np.sign(flows[flows != 0])
    if np.count_nonzero(signs[1:] != signs[:-1]) != 1:
        return None
    result = irr(flows)
    rate = float(result.rate[0])
    return rate if int(result.reason[0]) == IRR_OK and math.isfinite(rate) else None


def _route_irr(funcs: dict) -> None:
    """``IRR`` in the table: :func:`unique_root_irr`, else ``formulas``' own (see the module docstring)."""
    from formulas.functions import Array, wrap_func
    from formulas.functions.financial import xirr as formulas_xirr

    def xirr(values, guess=0.1):
        rate = unique_root_irr(values, guess)
        if rate is None:
            return formulas_xirr(values, guess)
        return np.array(rate, dtype=object).view(Array)  # what formulas_xirr returns for one guess

    funcs["IRR"] = wrap_func(xirr)


def _defer_import(name: str) -> None:
    """Register ``name`` with ``importlib.util.LazyLoader``: the module runs on first attribute access."""
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)


@contextmanager
def _called_on_first_use(module: str, attr: str) -> Iterator[None]:
    """Within the block, ``from module import attr`` gets a function that imports the real ``attr``
    when called (``attr`` must be used only by calling it); ``module`` itself is not imported."""
    if module in sys.modules:
        yield
        return

    def stand_in(*args: object, **kwargs: object) -> object:
        return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    stub = types.ModuleType(module, f"stand-in for {module}.{attr} while formulas loads")
    setattr(stub, attr, stand_in)
    sys.modules[module] = stub
    try:
        yield
    finally:
        if sys.modules.get(module) is stub:
            del sys.modules[module]
        parent = sys.modules.get(module.rpartition(".")[0])
        child = module.rpartition(".")[2]
        if parent is not None and vars(parent).get(child) is stub:  # not getattr: scipy imports on it
            delattr(parent, child)

"""A formula *shape* compiled once and run for every cell that has it. Every reference of a formula is
replaced by a placeholder (``A1``, ``A2``, ...), so ``=B2*C2`` and ``=B3*C3`` are one :class:`Program`
``=A1*A2``. The ``formulas`` parser turns the shape into its dependency graph, which is flattened into
a straight list of function calls (the functions are the ``formulas`` package's own, and the gpuecon
UDFs; only its per-call scheduler is bypassed). A program also knows whether it is element-wise
(arithmetic, comparisons, IF, ROUND, ... and the UDFs over their leading arguments), so that a column
of its cells may be evaluated as one array call (``Program(operands, vector=True)``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .bridge import UDF_NAMES, UDF_VECTOR_ARGS, fx
from .excel_functions import OMITTED_AS_NONE, SCALAR_ARGS, SOLVER_ABS_TOL, override
from .fastops import FAST_OPERATORS, fast_operator

__all__ = ["ELEMENTWISE", "Program"]

#: native functions and operators that work element-wise on arrays with Excel's semantics
ELEMENTWISE = {"+", "-", "*", "/", "^", "&", "=", "<>", "<", ">", "<=", ">=", "U-", "U+", "%", "IF", "IFERROR",
               "ROUND", "ROUNDUP", "ROUNDDOWN", "ABS", "SQRT", "EXP", "LN", "INT", "MOD", "POWER", "ISNUMBER",
               "ISERROR", "ISBLANK", "NOT"}
#: functions of one value per argument that are not element-wise over arrays (AND reduces a range, the
#: financial ones take scalars): in a batch of cells they are called once per row (:func:`_per_row`)
PER_ROW = {"AND", "OR", "PV", "FV", "PMT", "PPMT", "IPMT"}
#: functions that ignore text and logicals reached through a reference (not typed in the formula):
#: their single-cell arguments are passed as 1x1 ranges, as Excel passes references
REFERENCE_ARGS = {"SUM", "SUMSQ", "PRODUCT", "AVERAGE", "AVERAGEA", "COUNT", "COUNTA", "MAX", "MAXA", "MIN", "MINA",
                  "MEDIAN", "STDEV", "STDEV.S", "STDEV.P", "STDEVA", "STDEVP", "STDEVPA", "VAR", "VAR.S", "VAR.P",
                  "VARA", "VARP", "VARPA", "MODE", "MODE.SNGL", "MODE.MULT", "GEOMEAN", "HARMEAN", "AVEDEV",
                  "DEVSQ", "KURT", "SKEW", "NPV"}
_SLOT = re.compile(r"A\d+")  # a placeholder: a reference in the formula
_OMITTED = "<omitted>"  # the value of an omitted argument of an OMITTED_AS_NONE function: None
_NODE_KEYS = {"type", "function", "inputs", "outputs", "wait_inputs", "index", "solve_cycle", "extra_inputs"}


class Program:
    """A compiled formula shape: placeholders in, one value out."""

    __slots__ = ("inputs", "slots", "consts", "ops", "vector_ops", "out", "vector_ok", "problem", "scalar_slots",
                 "range_slots", "cancel", "solver_tol")

    def __init__(self, canonical: str) -> None:
        f = fx()
        self.problem = ""
        self.inputs: list[str] = []
        self.slots: list[int] = []
        self.consts: dict[str, object] = {}
        self.ops: list[tuple[object, list[str], str]] = []
        self.vector_ops: list[tuple[object, list[str], str]] = []  # the same, UDFs called over columns
        self.out = ""
        self.vector_ok = True
        self.scalar_slots: set[int] = set()  # placeholders Excel reads by implicit intersection
        self.range_slots: set[int] = set()  # placeholders passed as ranges (REFERENCE_ARGS)
        self.cancel: tuple[str, str, float] | None = None  # the final + or -: its operands (see cancel())
        self.solver_tol = 0.0  # the result is an iterative solver's (XIRR, IRR): Excel's precision on the rate
        try:
            _, builder = f.formulas.Parser().ast("=" + canonical)
            builder.finish()
        except Exception as exc:  # noqa: BLE001 - any parser failure is reported, not raised
            self.problem = f"cannot parse formula ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
            return
        dsp = builder.dsp
        names: list[str] = []
        for key, node in dsp.nodes.items():
            if node["type"] == "data":
                if key in dsp.default_values:
                    self.consts[key] = dsp.default_values[key]["value"]
                elif not dsp.dmap.pred[key]:
                    self.inputs.append(key)
                continue
            name = re.sub(r"<\d+>$", "", str(key)).upper()
            fn = node["function"]
            inputs = [i for i in node.get("inputs") or [] if i is not f.sh.START]  # NA(), PI(): no argument
            bare = name.removeprefix("_XLUDF.").removeprefix("_XLL.")
            plain = bare.removeprefix("_XLFN.").removeprefix("_XLWS.")
            new = override(plain, fn, [bool(_SLOT.fullmatch(str(i))) for i in inputs if i in _args(node)])
            if fn is f.not_implemented and new is fn:
                self.problem = f"unsupported function {name}"
                return
            if new is fn and (set(node) - _NODE_KEYS or any(k not in dsp.default_values
                                                            for k in node.get("extra_inputs", ()))):
                self.problem = f"unsupported function {name} (needs cell context)"
                return
            if new is not fn:  # a replacement takes the formula's arguments only
                fn, inputs = new, [i for i in inputs if i in _args(node)]
                if plain in OMITTED_AS_NONE and "" in inputs:  # LINEST(y,x,,TRUE): an omitted argument
                    self.consts[_OMITTED] = None
                    inputs = [_OMITTED if i == "" else i for i in inputs]
            if name in FAST_OPERATORS:
                fn = fast_operator(name, fn, f.Array)  # all-number arrays in numpy (.fastops)
            vfn = fn
            if bare in UDF_NAMES:
                vfn = f.vector_udfs[bare]
                if len(inputs) > UDF_VECTOR_ARGS.get(bare, -1):
                    self.vector_ok = False
            elif plain in PER_ROW and new is fn:
                vfn = _per_row(fn, {k for k, i in enumerate(inputs) if not _SLOT.fullmatch(str(i))}, f.Array)
            elif name not in ELEMENTWISE and fn is not f.sh.bypass:  # bypass: a shared subexpression's copy
                self.vector_ok = False
            names.append(plain)
            self.ops.append((fn, inputs, node["outputs"][0]))
            self.vector_ops.append((vfn, inputs, node["outputs"][0]))
        self.out = builder.get_node_id(builder[-1])
        if any(isinstance(v, np.ndarray) for v in self.consts.values()):
            self.vector_ok = False  # an array constant is no column of one value per cell
        for name in self.inputs:
            m = re.fullmatch(r"A(\d+)", name)
            if not m:
                self.problem = f"cannot map formula input {name}"
                return
            self.slots.append(int(m.group(1)) - 1)
        self._contexts(names, _wrapped(canonical))

    def _contexts(self, names: list[str], wrapped: bool) -> None:
        """Which placeholders are read as a scalar (only element-wise operations between them and the
        result: Excel intersects a range there with the formula's row or column), which are arguments
        of a function that ignores text in references, and whether the result is a final + or -."""
        users: dict[str, list[int]] = {}
        for k, (_, ins, _) in enumerate(self.ops):
            for i in ins:
                users.setdefault(i, []).append(k)
        memo: dict[str, bool] = {}

        def scalar(data: str) -> bool:
            if data not in memo:
                memo[data] = data == self.out or bool(users.get(data)) and all(
                    (names[k] in ELEMENTWISE or _value_argument(names[k], self.ops[k][1], data))
                    and scalar(self.ops[k][2]) for k in users[data])
            return memo[data]

        for name, slot in zip(self.inputs, self.slots, strict=True):
            if scalar(name):
                self.scalar_slots.add(slot)
            if any(names[k] in REFERENCE_ARGS for k in users.get(name, ())):
                self.range_slots.add(slot)
        last = next((k for k, op in enumerate(self.ops) if op[2] == self.out), None)
        if last is not None:
            self.solver_tol = SOLVER_ABS_TOL.get(names[last], 0.0)
        if last is not None and names[last] in ("+", "-") and len(self.ops[last][1]) == 2 and not wrapped:
            self.cancel = (self.ops[last][1][0], self.ops[last][1][1], 1.0 if names[last] == "+" else -1.0)

    def __call__(self, operands: Sequence[object], *, vector: bool = False) -> object:
        """``operands``: the values of the placeholders A1, A2, ... in order; ``vector``: they are
        columns of one value per cell, and the UDFs are called once over all of them."""
        env = dict(self.consts)
        for name, k in zip(self.inputs, self.slots, strict=True):
            v = operands[k]
            if k in self.range_slots and not isinstance(v, np.ndarray):
                v = np.array([[v]], dtype=object).view(fx().Array)
            env[name] = v
        for fn, ins, out in self.vector_ops if vector else self.ops:
            env[out] = fn(*[env[i] for i in ins])
        if self.cancel is not None:
            x, y, sign = self.cancel
            return cancel(env[self.out], env[x], env[y], sign)
        return env[self.out]


def _value_argument(name: str, inputs: list[str], data: str) -> bool:
    """``data`` is passed to ``name`` only where Excel takes a single value (:data:`SCALAR_ARGS`)."""
    if name not in SCALAR_ARGS:
        return False
    positions = SCALAR_ARGS[name]
    return positions is None or all(i in positions for i, x in enumerate(inputs) if x == data)


def _args(node: dict) -> list:
    """A function node's inputs that are the formula's arguments (not ``formulas``' compile flags)."""
    extra = node.get("extra_inputs") or {}
    return [i for i in node.get("inputs") or [] if i not in extra]


def _wrapped(text: str) -> bool:
    """The whole formula is in parentheses: ``(1-0.9-0.1)``."""
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth == 0 and i < len(text) - 1:
                return False
    return True


def _digits15(x: float) -> float:
    return float(f"{x:.14e}")


def _item(v: object) -> object:
    if isinstance(v, np.ndarray) and v.ndim == 0 or isinstance(v, np.generic):
        return v.item()
    return v


def _cancel1(r: object, x: object, y: object, sign: float) -> object:
    if type(r) is float and (r == 0.0 or r > 1e-3 or r < -1e-3):
        return r  # the common case, decided before anything else
    r0, x, y = r, _item(x), _item(y)
    r = _item(r)
    if type(r) is float and r != 0.0 and type(x) in (float, int) and type(y) in (float, int) \
            and abs(r) <= 1e-14 * max(abs(x), abs(y)) and _digits15(x) == _digits15(-sign * y):
        return 0.0
    return r0


def cancel(result: object, x: object, y: object, sign: float) -> object:
    """Excel's final addition or subtraction: a result whose operands are equal to 15 significant
    digits (``=G1-G2-G3`` with G1 = G2 + G3 in decimal) is 0, not the binary remainder (-1.16e-10).
    Excel does this for the last operation of a formula only (``=(1-0.9-0.1)`` keeps -2.8e-17);
    ``sign``: +1 for ``x + y``, -1 for ``x - y``."""
    if isinstance(result, np.ndarray) and result.ndim:
        if result.dtype != object or result.ndim != 2:
            return result
        xs = x if isinstance(x, np.ndarray) and x.shape == result.shape else None
        ys = y if isinstance(y, np.ndarray) and y.shape == result.shape else None
        out = result.copy()
        for idx, r in np.ndenumerate(result):
            out[idx] = _cancel1(r, xs[idx] if xs is not None else x, ys[idx] if ys is not None else y, sign)
        return out
    return _cancel1(result, x, y, sign)


_MISS = object()
_MEMO_TYPES = frozenset({bool, int, float, str, np.bool_, np.float64})


def _per_row(fn, computed: set, array_type: type):
    """``fn`` over a batch's columns, called once per row with what a single cell passes it: a cell's
    value as it is, an operation's result as the 0-d array the operations return. A result that is
    not one value raises, and the batch is evaluated cell by cell."""

    def call(*args: object) -> object:
        shapes = {a.shape for a in args if isinstance(a, np.ndarray) and a.ndim == 2}
        if len(shapes) != 1 or next(iter(shapes))[1] != 1:
            raise ValueError("not one column of one value per cell")
        n = next(iter(shapes))[0]
        cols = [k for k, a in enumerate(args) if isinstance(a, np.ndarray) and a.ndim == 2]
        out = np.empty((n, 1), dtype=object)
        seen: dict[tuple, object] = {}  # the functions are pure: rows with the same values, one call
        for i in range(n):
            items = [args[k][i, 0] for k in cols]  # type: ignore[index]
            key = tuple((type(v), v, v == 0 and str(v)) for v in items) \
                if all(type(v) in _MEMO_TYPES for v in items) else None  # str: -0.0 is not 0.0 here
            r = seen.get(key, _MISS) if key is not None else _MISS
            if r is _MISS:
                row = list(args)
                for k, v in zip(cols, items, strict=True):
                    row[k] = np.array(v, dtype=object).view(array_type) if k in computed else v
                r = fn(*row)
                if isinstance(r, np.ndarray):
                    if r.size != 1:
                        raise ValueError("not one value per row")
                    r = r.reshape(-1)[0]
                if key is not None:
                    seen[key] = r
            out[i, 0] = r
        return out.view(array_type)

    return call

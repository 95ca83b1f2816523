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

from .bridge import UDF_NAMES, UDF_VECTOR_ARGS, fx

__all__ = ["ELEMENTWISE", "Program"]

#: native functions and operators that work element-wise on arrays with Excel's semantics
ELEMENTWISE = {"+", "-", "*", "/", "^", "&", "=", "<>", "<", ">", "<=", ">=", "U-", "U+", "%", "IF", "IFERROR",
               "ROUND", "ROUNDUP", "ROUNDDOWN", "ABS", "SQRT", "EXP", "LN", "INT", "MOD", "POWER", "ISNUMBER",
               "ISERROR", "ISBLANK", "NOT"}
_NODE_KEYS = {"type", "function", "inputs", "outputs", "wait_inputs", "index", "solve_cycle", "extra_inputs"}


class Program:
    """A compiled formula shape: placeholders in, one value out."""

    __slots__ = ("inputs", "slots", "consts", "ops", "vector_ops", "out", "vector_ok", "problem")

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
        try:
            _, builder = f.formulas.Parser().ast("=" + canonical)
            builder.finish()
        except Exception as exc:  # noqa: BLE001 - any parser failure is reported, not raised
            self.problem = f"cannot parse formula ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
            return
        dsp = builder.dsp
        for key, node in dsp.nodes.items():
            if node["type"] == "data":
                if key in dsp.default_values:
                    self.consts[key] = dsp.default_values[key]["value"]
                elif not dsp.dmap.pred[key]:
                    self.inputs.append(key)
                continue
            name = re.sub(r"<\d+>$", "", str(key)).upper()
            fn = node["function"]
            if fn is f.not_implemented:
                self.problem = f"unsupported function {name}"
                return
            if set(node) - _NODE_KEYS or any(k not in dsp.default_values for k in node.get("extra_inputs", ())):
                self.problem = f"unsupported function {name} (needs cell context)"
                return
            inputs = [i for i in node.get("inputs") or [] if i is not f.sh.START]  # NA(), PI(): no argument
            bare = name.removeprefix("_XLUDF.").removeprefix("_XLL.")
            vfn = fn
            if bare in UDF_NAMES:
                vfn = f.vector_udfs[bare]
                if len(inputs) > UDF_VECTOR_ARGS.get(bare, -1):
                    self.vector_ok = False
            elif name not in ELEMENTWISE:
                self.vector_ok = False
            self.ops.append((fn, inputs, node["outputs"][0]))
            self.vector_ops.append((vfn, inputs, node["outputs"][0]))
        self.out = builder.get_node_id(builder[-1])
        for name in self.inputs:
            m = re.fullmatch(r"A(\d+)", name)
            if not m:
                self.problem = f"cannot map formula input {name}"
                return
            self.slots.append(int(m.group(1)) - 1)

    def __call__(self, operands: Sequence[object], *, vector: bool = False) -> object:
        """``operands``: the values of the placeholders A1, A2, ... in order; ``vector``: they are
        columns of one value per cell, and the UDFs are called once over all of them."""
        env = dict(self.consts)
        for name, k in zip(self.inputs, self.slots, strict=True):
            env[name] = operands[k]
        for fn, ins, out in self.vector_ops if vector else self.ops:
            env[out] = fn(*[env[i] for i in ins])
        return env[self.out]

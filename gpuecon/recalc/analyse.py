"""Formula analysis: a formula cell's text -> its shape's :class:`~gpuecon.recalc.program.Program` and its
operands. openpyxl's formula ``Tokenizer`` finds the references and functions, once per shape with the
digits masked (``=B2*C2`` and ``=B3*C3`` share one tokenization, re-filled with each formula's own
digit runs). Each reference or defined name is resolved to cells and replaced by a placeholder;
``ROW()`` and ``COLUMN()`` become numbers; functions that need the reference itself (OFFSET,
INDIRECT, ...) make the cell unsupported. Programs are compiled once per canonical text.
"""

from __future__ import annotations

import re

from .bridge import UDF_NAMES, freeze
from .cells import Node
from .program import Program
from .refs import References

__all__ = ["REF_FUNCTIONS", "Analyser", "tokens"]

#: functions that need the reference itself (not its values); ROW/COLUMN are rewritten to numbers
REF_FUNCTIONS = {"OFFSET", "INDIRECT", "CELL", "ISREF", "AREAS", "INFO", "FORMULATEXT", "SHEET", "SHEETS"}
_DIGITS = re.compile(r"\d+")


def tokens(text: str, shapes: dict[str, object]) -> list[tuple[str, str, str]]:
    """openpyxl's Tokenizer, run once per formula *shape* (``shapes`` caches the recipes)."""
    from openpyxl.formula.tokenizer import Tokenizer

    shape = _DIGITS.sub("#", text)
    recipe = shapes.get(shape)
    if recipe is None or recipe is False:
        toks = [(t.type, t.subtype, t.value) for t in Tokenizer("=" + text).items]
        if recipe is None:
            ok = "".join(v for _, _, v in toks) == text
            pieces = [(ty, st, _DIGITS.split(v)) for ty, st, v in toks]
            ok = ok and sum(len(p) - 1 for _, _, p in pieces) == len(_DIGITS.findall(text))
            shapes[shape] = pieces if ok else False
        return toks
    runs = _DIGITS.findall(text)
    out = []
    k = 0
    for ty, st, pieces in recipe:  # type: ignore[union-attr]
        if len(pieces) == 1:
            out.append((ty, st, pieces[0]))
            continue
        v = pieces[0]
        for j in range(1, len(pieces)):
            v += runs[k] + pieces[j]
            k += 1
        out.append((ty, st, v))
    return out


class Analyser:
    """Analyses the formula cells of one workbook (tokenizations and programs shared by shape)."""

    def __init__(self, refs: References) -> None:
        self.refs = refs
        self.programs: dict[str, Program] = {}
        self.shapes: dict[str, object] = {}

    def analyse(self, node: Node) -> None:
        """Tokenize, resolve references, pick or compile the shape's program; or set ``node.problem``."""
        try:
            items = tokens(node.text, self.shapes)
        except Exception as exc:  # noqa: BLE001
            node.problem = f"cannot tokenize formula ({' '.join(str(exc).split())[:120]})"
            return
        parts: list[str] = []
        operands: list[object] = []
        slots: dict[object, int] = {}

        def slot(operand: object) -> str:
            k = slots.get(operand)
            if k is None:
                k = slots[operand] = len(operands)
                operands.append(operand)
            return f"A{k + 1}"

        i = 0
        n = len(items)
        while i < n:
            t, st, v = items[i]
            if t == "FUNC" and st == "OPEN":
                fname = v[:-1].upper()
                bare = fname.removeprefix("_XLFN.").removeprefix("_XLWS.")
                if bare in REF_FUNCTIONS:
                    node.problem = f"unsupported function {bare} (needs the reference, not its values)"
                    return
                if bare in ("ROW", "COLUMN"):  # ROW(ref)/ROW() become numbers
                    j = i + 1
                    target = None
                    if j < n and items[j][:2] == ("OPERAND", "RANGE"):
                        target = items[j][2]
                        j += 1
                    if j < n and items[j][:2] == ("FUNC", "CLOSE"):
                        rect = self.refs.resolve(target, node.sheet) if target else (
                            node.sheet, node.row, node.col, node.row, node.col)
                        if isinstance(rect, str):
                            node.problem = rect
                            return
                        _, r1, c1, r2, c2 = rect
                        if bare == "ROW":
                            val = [[float(r)] for r in range(r1, r2 + 1)] if r2 > r1 else float(r1)
                        else:
                            val = [[float(c) for c in range(c1, c2 + 1)]] if c2 > c1 else float(c1)
                        parts.append(slot(("value", freeze(val))))
                        i = j + 1
                        continue
                    node.problem = f"unsupported use of {bare}()"
                    return
                udf = fname.removeprefix("_XLUDF.").removeprefix("_XLL.")
                parts.append(udf + "(")
                if udf in UDF_NAMES:
                    node.udf = True
            elif t == "OPERAND" and st == "RANGE":
                res = self.refs.resolve(v, node.sheet)
                if isinstance(res, str):
                    node.problem = res
                    return
                parts.append(slot(res))
            elif t == "WHITE-SPACE":
                parts.append(" ")
            else:
                parts.append(v)
            i += 1
        canonical = "".join(parts)
        prog = self.programs.get(canonical)
        if prog is None:
            prog = self.programs[canonical] = Program(canonical)
        if prog.problem:
            node.problem = prog.problem
            return
        node.key = canonical
        node.program = prog
        node.operands = operands

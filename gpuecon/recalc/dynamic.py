"""INDIRECT: a reference built from text while the workbook is calculated. The dependency graph cannot
see where it points, so a cell that calls INDIRECT is *dynamic*: it is evaluated in the usual order and
re-evaluated whenever anything is recalculated (Excel treats INDIRECT as volatile for the same reason),
and each read is checked at run time: a range holding a formula cell that this calculation has not
computed yet is not read (the cell is reported) rather than read stale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from .bridge import fx
from .errors import Unsupported

__all__ = ["NotYetComputed", "evaluating", "indirect", "rerun_order"]

class NotYetComputed(Unsupported):
    """INDIRECT pointed at a formula cell the calculation has not reached (``cell``): the reading cell
    is evaluated again once the pass is over, after that cell (:func:`rerun_order`), and reported if
    that does not settle it."""

    def __init__(self, message: str, cell: object) -> None:
        super().__init__(message)
        self.cell = cell


_CONTEXT: ContextVar[tuple[object, object] | None] = ContextVar("gpuecon_recalc_indirect", default=None)


@contextmanager
def evaluating(wb, node) -> Iterator[None]:
    """While ``node`` of ``wb`` (a :class:`~gpuecon.recalc.workbook.Workbook`) is evaluated, INDIRECT
    resolves its text as written in that cell and reads ``wb``'s current values."""
    token = _CONTEXT.set((wb, node))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def indirect(ref_text, a1=True):
    """Excel's INDIRECT(ref_text, [a1]) in A1 style: the values of the reference the text names
    (``#REF!`` when it names none); R1C1 text and references recalc cannot resolve are reported."""
    f = fx()
    context = _CONTEXT.get()
    if context is None:
        raise Unsupported("INDIRECT outside a cell's evaluation")
    wb, node = context
    text = ref_text.reshape(-1)[0] if isinstance(ref_text, np.ndarray) and ref_text.size == 1 else ref_text
    style = a1.reshape(-1)[0] if isinstance(a1, np.ndarray) and a1.size == 1 else a1
    for v in (text, style):
        if isinstance(v, f.XlError):
            return v
    if style is False or (isinstance(style, int | float) and not isinstance(style, bool) and style == 0):
        raise Unsupported("INDIRECT with R1C1 text")
    if not isinstance(text, str) or not text.strip():
        return f.errors["#REF!"]
    res = wb.refs.resolve(text.strip().lstrip("="), node.sheet, at=(node.row, node.col))
    if isinstance(res, str):
        if res.startswith(("unknown name", "reference ")) and "not supported" not in res:
            return f.errors["#REF!"]  # no such name or sheet: Excel's #REF!
        raise Unsupported(f"INDIRECT({text!r}): {res}")
    if res[0] == "value":
        return f.errors["#REF!"]  # a name for a constant is no reference
    for cell in wb.formula_cells_in(res):
        if not wb.computed(cell):
            raise NotYetComputed(f"INDIRECT({text!r}) reads {wb.address(cell)} before it is computed", cell)
    return wb.range_value(res)


def rerun_order(run: list, found: dict[int, list]) -> tuple[list, list]:
    """The cells of ``run`` (formula nodes) in an order where each comes after the cells it reads:
    its precedents in ``run`` (through their ``users``) and the cells its INDIRECT was found to read
    (``found``: node id -> nodes). Returns the order and the cells left on a cycle."""
    ids = {id(n): n for n in run}
    preds: dict[int, set[int]] = {k: set() for k in ids}
    for n in run:
        for u in n.users:
            if id(u) in ids:
                preds[id(u)].add(id(n))
        for t in found.get(id(n), ()):
            if id(t) in ids and t is not n:
                preds[id(n)].add(id(t))
    users: dict[int, list[int]] = {k: [] for k in ids}
    for k, ps in preds.items():
        for p in ps:
            users[p].append(k)
    indeg = {k: len(ps) for k, ps in preds.items()}
    ready = [k for k in ids if indeg[k] == 0]
    order = []
    while ready:
        k = ready.pop()
        order.append(ids[k])
        for u in users[k]:
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    left = [ids[k] for k, d in indeg.items() if d > 0]
    return order, left

"""INDIRECT and OFFSET: a reference built while the workbook is calculated (from text, or from a base
reference moved by computed rows and columns). The dependency graph cannot see where it points, so a
cell that calls INDIRECT or OFFSET is *dynamic*: it is evaluated in the usual order and
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
from .cells import Hub
from .errors import Unsupported

__all__ = ["OFFSET", "NotYetComputed", "evaluating", "indirect", "offset", "offset_base", "rerun_order"]

#: recalc's own function for ``OFFSET(ref, ...)``: the analyser passes the base reference as its corners
#: (:func:`offset_base`), so that the function can move it (:func:`offset`)
OFFSET = "GPUECON.OFFSET"
_MAX_ROWS, _MAX_COLS = 1_048_576, 16_384

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
    return _read(wb, res, f"INDIRECT({text!r})")


def _read(wb, rect: tuple, what: str) -> object:
    """The values of ``rect``, once every formula cell in it has been computed in this calculation."""
    for cell in wb.formula_cells_in(rect):
        if not wb.computed(cell):
            raise NotYetComputed(f"{what} reads {wb.address(cell)} before it is computed", cell)
    return wb.range_value(rect)


def offset_base(rect: tuple) -> str:
    """The base reference of an OFFSET as the analyser passes it: ``"sheet,r1,c1,r2,c2"`` (for
    ``X:OFFSET(...)`` followed by ``"|"`` and X's corners in the same form)."""
    return ",".join(str(int(x)) for x in rect)


def _count(v: object, f, default: int | None) -> int | object:
    """An OFFSET row/column count or size: an int (Excel truncates), or the Excel error it is."""
    if isinstance(v, np.ndarray):
        if v.size != 1:
            raise Unsupported("OFFSET with an array of rows, columns, heights or widths")
        v = v.reshape(-1)[0]
    if v is None:
        return default
    if isinstance(v, f.XlError):
        return v
    if v is f.EMPTY:
        return 0 if default is None or default == 0 else f.errors["#REF!"]
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return f.errors["#VALUE!"]
    if isinstance(v, bool | np.bool_):
        return int(v)
    if not isinstance(v, int | float | np.number) or not np.isfinite(v):
        return f.errors["#VALUE!"]
    return int(v)


def offset(base, rows=None, cols=None, height=None, width=None):
    """Excel's OFFSET(reference, rows, cols, [height], [width]): the values of the reference ``rows``
    below and ``cols`` right of ``base`` (:func:`offset_base`), ``height`` x ``width`` cells (the
    base's size when omitted); ``#REF!`` off the sheet or for a size of 0. A negative size (which
    Excel takes as extending up or left) and arrays of offsets are reported, not guessed."""
    f = fx()
    context = _CONTEXT.get()
    if context is None:
        raise Unsupported("OFFSET outside a cell's evaluation")
    wb, _ = context
    code, _, start = str(base).partition("|")
    si, r1, c1, r2, c2 = (int(x) for x in code.split(","))
    dr, dc = _count(rows, f, 0), _count(cols, f, 0)
    h, w = _count(height, f, r2 - r1 + 1), _count(width, f, c2 - c1 + 1)
    for v in (dr, dc, h, w):
        if isinstance(v, f.XlError):
            return v
    if h < 0 or w < 0:  # type: ignore[operator]
        raise Unsupported("OFFSET with a negative height or width")
    top, left = r1 + dr, c1 + dc  # type: ignore[operator]
    bottom, right = top + h - 1, left + w - 1  # type: ignore[operator]
    if h == 0 or w == 0 or top < 1 or left < 1 or bottom > _MAX_ROWS or right > _MAX_COLS:
        return f.errors["#REF!"]
    if start:  # X:OFFSET(...): the range from X to the reference OFFSET returns
        _, s1, t1, s2, t2 = (int(x) for x in start.split(","))
        top, left, bottom, right = min(top, s1), min(left, t1), max(bottom, s2), max(right, t2)
    if (bottom - top + 1) * (right - left + 1) > wb.pkg.max_cells:
        raise Unsupported(f"OFFSET covers more than {wb.pkg.max_cells} cells")
    return _read(wb, (si, top, left, bottom, right), "OFFSET")


def rerun_order(run: list, found: dict[int, list]) -> tuple[list, list]:
    """The cells of ``run`` (formula nodes) in an order where each comes after the cells it reads:
    its precedents in ``run`` (through their ``users``) and the cells its INDIRECT was found to read
    (``found``: node id -> nodes). Returns the order and the cells left on a cycle."""
    ids = {id(n): n for n in run}
    cells = set(ids)
    for n in run:  # the hubs (.cells.Hub) between them are nodes of this graph too, left out of the order
        for u in n.users:
            if isinstance(u, Hub) and id(u) not in ids:
                ids[id(u)] = u
    preds: dict[int, set[int]] = {k: set() for k in ids}
    for n in list(ids.values()):
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
        if k in cells:
            order.append(ids[k])
        for u in users[k]:
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    left = [ids[k] for k, d in indeg.items() if d > 0 and k in cells]
    return order, left

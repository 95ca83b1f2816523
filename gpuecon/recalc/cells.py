"""A workbook's cells as recalc holds them: constant values by ``(sheet, row, column)``, and a
:class:`Node` for every formula cell (its text, compiled program, operands, users and value).
:func:`read_cells` reads them from a checked package: shared formulas are expanded with openpyxl's
``Translator``, an array (CSE) formula owns every cell of its range, and data tables or shared formulas
without a master cell become nodes with a ``problem`` (reported, shown as ``#NAME?``). The values cached
in the file are kept, so that only the cells whose value changes are rewritten.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from .bridge import load_value
from .refs import CELL, cell_rc

__all__ = ["HUB_CELLS", "Cells", "Hub", "Node", "read_cells"]

Key = tuple[int, int, int]  # sheet index, row, column


#: a range holding at least this many formula cells is one :class:`Hub` in the dependency graph
HUB_CELLS = 32


class Hub:
    """A range that many formulas read, as one node of the dependency graph: the formula cells inside
    it have the hub among their users, and the hub has the formulas that read the range, so that an
    edge is stored per cell and per reader rather than per pair (3,500 cells that each read a table
    column of 3,500 formulas are 7,000 edges, not 12 million). Only ``users`` is shared with
    :class:`Node`: code that walks ``users`` passes through hubs (``Workbook.downstream``)."""

    __slots__ = ("users",)

    def __init__(self) -> None:
        self.users: list[Node] = []


class Node:
    """A formula cell (an array formula: the top-left cell of its range)."""

    __slots__ = ("sheet", "row", "col", "text", "key", "operands", "program", "area", "problem", "note",
                 "users", "value", "cached", "udf", "volatile", "external", "dynamic")

    def __init__(self, sheet: int, row: int, col: int, text: str) -> None:
        self.sheet, self.row, self.col, self.text = sheet, row, col, text
        self.key = ""
        self.operands: list[object] = []  # Rect, or ("value", v) for ROW()/COLUMN()/named constants
        self.program = None  # the shape's Program
        self.area: tuple[int, int, int, int] | None = None  # array formula's range
        self.problem = ""  # static: unsupported or circular
        self.note = ""  # this calculation: evaluation failed
        self.users: list[Node | Hub] = []
        self.value: object = None
        self.cached: object = None
        self.udf = False
        self.volatile = False  # calls RAND, NOW, TODAY, ...
        self.external = ""  # reads values cached for a link to another workbook: which ones
        self.dynamic = False  # calls INDIRECT: re-evaluated at every calculation, reads checked (.dynamic)


@dataclass
class Cells:
    """What :func:`read_cells` found: values, cached formula results, formula nodes, used ranges."""

    values: dict[Key, object] = field(default_factory=dict)
    cached: dict[Key, object] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    node_at: dict[Key, Node] = field(default_factory=dict)  # every cell a formula writes (array ranges too)
    bounds: list[tuple[int, int]] = field(default_factory=list)
    cols: list[dict[int, list[int]]] = field(default_factory=list)  # sheet -> column -> rows of formula cells

    def add(self, node: Node, cached: object) -> None:
        key = (node.sheet, node.row, node.col)
        node.cached = cached
        self.cached[key] = cached
        self.nodes.append(node)
        self.node_at[key] = node


def read_cells(pkg, sheet_names: list[str], errors: dict) -> Cells:
    """Every cell of every sheet of ``pkg`` (``errors``: Excel error text -> formulas' error value)."""
    from openpyxl.formula.translate import Translator

    out = Cells()
    arrays: list[Node] = []
    for si, sheet in enumerate(sheet_names):
        shared: dict[str, tuple[str, str]] = {}
        max_r = max_c = 0
        cells = list(pkg.iter_cells(sheet))
        for cell in cells:  # shared masters first: a dependent may come before its master's row? never,
            if cell.formula_kind == "shared" and cell.formula:  # but be safe about it
                shared[cell.shared_index or ""] = (cell.formula, cell.ref)
        for cell in cells:
            r, c = (cell.row, cell.col) if cell.row else cell_rc(cell.ref)
            if r > max_r:
                max_r = r
            if c > max_c:
                max_c = c
            key = (si, r, c)
            value = load_value(cell.value, cell.type, errors)
            if cell.formula is None:
                if value is None:  # a styled blank cell
                    continue
                if key not in out.node_at:
                    out.values[key] = value
                else:
                    out.cached[key] = value
                continue
            text = cell.formula
            if cell.formula_kind == "shared" and not text:
                master = shared.get(cell.shared_index or "")
                if master is None:
                    node = Node(si, r, c, "")
                    node.problem = f"shared formula si={cell.shared_index} has no master cell"
                    out.add(node, value)
                    continue
                try:
                    text = Translator("=" + master[0], origin=master[1]).translate_formula(cell.ref)[1:]
                except Exception as exc:  # noqa: BLE001
                    node = Node(si, r, c, "")
                    node.problem = f"cannot expand shared formula ({exc})"
                    out.add(node, value)
                    continue
            node = Node(si, r, c, text)
            if cell.formula_kind == "dataTable":
                node.problem = "data tables (What-If Analysis, TABLE()) are not computed"
            if cell.formula_kind in ("array", "dataTable") and cell.formula_ref:
                m = re.fullmatch(rf"({CELL})(?::({CELL}))?", cell.formula_ref)
                if m:
                    r1, c1 = cell_rc(m.group(1))
                    r2, c2 = cell_rc(m.group(2) or m.group(1))
                    node.area = (min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))
                    arrays.append(node)
                    if cell.formula_kind == "dataTable":  # the table's cells follow from its border: the
                        node.operands = _table_border(si, node.area)  # formulas and input values
            out.add(node, value)
        out.bounds.append((max_r, max_c))
    members: set[int] = set()  # empty <f ca="1"/> cells inside an array range: members, not formulas
    for node in arrays:  # cells inside an array formula's range belong to it
        r1, c1, r2, c2 = node.area  # type: ignore[misc]
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                key = (node.sheet, r, c)
                other = out.node_at.get(key)
                if other is not None and other is not node:
                    if other.text or other.area is not None or other.problem:
                        continue
                    members.add(id(other))
                out.node_at[key] = node
                if key in out.values:
                    out.cached[key] = out.values.pop(key)
    if members:
        out.nodes = [n for n in out.nodes if id(n) not in members]
    out.cols = [defaultdict(list) for _ in sheet_names]
    for (si, r, c) in out.node_at:
        out.cols[si][c].append(r)
    for cols in out.cols:
        for rows in cols.values():
            rows.sort()
    return out


def _table_border(si: int, area: tuple[int, int, int, int]) -> list[tuple]:
    """The cells a data table over ``area`` reads: the row above it and the column left of it (its
    formulas and input values, whichever way it is laid out), so that a change to them makes it stale."""
    r1, c1, r2, c2 = area
    out: list[tuple] = []
    if c1 > 1:
        out.append((si, max(r1 - 1, 1), c1 - 1, r2, c1 - 1))
    if r1 > 1:
        out.append((si, r1 - 1, c1, r1 - 1, c2))
    return out

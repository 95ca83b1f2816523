"""The :class:`Workbook`: a workbook's cells and formulas, calculated in dependency order and written
back into a copy of the original file. Loading reads the package through :mod:`gpuecon.xlsx.package`
(zip-bomb, XXE and dimension guards; a hostile or malformed file is refused before anything is
computed), analyses every formula (:mod:`.analyse`) and orders the cells (:mod:`.graph`). Calculating
evaluates each batch of cells that share a shape in one array call when it is element-wise (the UDF
columns through one vectorized engine call) and every other cell alone; a cell's failure never stops
the rest. Named inputs and outputs (:mod:`.names`) and writing the cached values back
(``Package.write``: formulas keep their text, every other byte is copied) complete it.
docs/recalc.md has the design and the measurements behind it.

Longer than 500 lines: the class holds the evaluation state (values, flags, the calculation under way)
that the checks, the INDIRECT reads and the writer share; the parts that stand alone are modules
already (cells, analyse, program, graph, names, report, dynamic).
"""

from __future__ import annotations

import bisect
import math
import os
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine.numbers import parse_value
from ..xlsx.package import XlsxError, open_package
from .analyse import Analyser, check_subtotals
from .bridge import UDF_NAMES, as_array, from_py, fx, load_value, plain, same, scalar, thaw, writable
from .cells import HUB_CELLS, Hub, Node, read_cells
from .dynamic import NotYetComputed, evaluating, rerun_order
from .errors import Issue, RecalcError
from .gcpause import gc_paused
from .graph import schedule
from .names import NamedCells, check_field_value
from .program import Program
from .refs import Rect, References, a1, quote
from .report import close, collect_issues, problem_reason, show
from .rounding import NOTES

__all__ = ["Issue", "RecalcError", "RecalcResult", "Workbook", "recalc", "UDF_NAMES", "parse_value"]

Key = tuple[int, int, int]  # sheet index, row, column
_PLACEHOLDER = re.compile(r"\bA(\d+)\b")


class Workbook(NamedCells):
    """A workbook's cells and formulas, ready to calculate and to write back into the original file."""

    def __init__(self, pkg) -> None:
        self.pkg = pkg
        self.path: Path = pkg.path
        self.sheet_names: list[str] = list(pkg.sheets)
        self.inputs_set: dict[Key, object] = {}
        self.issues: list[Issue] = []
        self._ranges: dict[Rect, object] = {}
        self._batchable: set[int] = set()
        self._order: list[list[Node]] = []
        self.cyclic: set[int] = set()  # ids of the nodes in a circular reference
        self._volatile: set[int] = set()  # ids of volatile nodes and what depends on them
        self._dirty: set[int] = set()  # ids of the nodes downstream of a changed input
        self._stale: set[int] = set()  # ids of the nodes downstream of a changed cell that cannot be evaluated
        self._unverified: dict[int, str] = {}  # ids of the nodes not reproducing Excel unchanged (+ readers) -> why
        self.flags: dict[Key, tuple[str, str]] = {}  # cell -> (reason, detail): see .report
        self._done: set[int] = set()  # ids of the nodes evaluated by the calculation under way
        self._todo: set[int] | None = None  # what the calculation under way evaluates (None: all)
        self._calculated = False
        cells = read_cells(pkg, self.sheet_names, fx().errors)
        self.values: dict[Key, object] = cells.values
        self.cached: dict[Key, object] = cells.cached
        self.nodes: list[Node] = cells.nodes
        self.node_at: dict[Key, Node] = cells.node_at  # every cell a formula writes (array ranges too)
        self._cols = cells.cols
        self._has_saved = any(v is not None for v in self.cached.values())
        self.refs = References(pkg, self.sheet_names, cells.bounds)
        analyser = Analyser(self.refs, self.node_at)
        for node in self.nodes:
            if not node.problem:
                analyser.analyse(node)
        check_subtotals(self.nodes, self.formula_cells_in, lambda si: pkg.hidden_rows(self.sheet_names[si]))
        self._link()

    @classmethod
    def open(cls, path: str | os.PathLike[str], **limits) -> Workbook:
        """Read and check a workbook (refused with :class:`RecalcError` if malformed or hostile)."""
        p = Path(path)
        if not p.is_file():
            raise RecalcError(f"no such workbook: {p}")
        try:
            with gc_paused():
                return cls(open_package(p, **limits))
        except XlsxError as exc:
            raise RecalcError(f"{p.name}: refused: {exc}") from None

    # --- dependency graph ------------------------------------------------------------------------------

    def formula_cells_in(self, rect: Rect) -> Iterable[Node]:
        """The formula cells inside ``rect``."""
        si, r1, c1, r2, c2 = rect
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= 64:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    node = self.node_at.get((si, r, c))
                    if node is not None:
                        yield node
            return
        cols = self._cols[si]
        for c in range(c1, c2 + 1):
            rows = cols.get(c)
            if not rows:
                continue
            for k in range(bisect.bisect_left(rows, r1), bisect.bisect_right(rows, r2)):
                yield self.node_at[(si, rows[k], c)]

    @staticmethod
    def _single_cells(node: Node) -> bool:
        """Every operand is one cell or a value, and the formula is not an array formula."""
        return node.area is None and all(op[0] == "value" or (op[1] == op[3] and op[2] == op[4])
                                         for op in node.operands)

    def _link(self) -> None:
        """Users lists and the evaluation order (:func:`.graph.schedule`); circular references reported.

        Cells that share a formula shape in one column are one batch candidate, evaluated in a single
        array call when their program is element-wise.
        """
        nodes = self.nodes
        n = len(nodes)
        index = {id(node): i for i, node in enumerate(nodes)}
        preds: list[set[int]] = [set() for _ in nodes]
        inside: dict[object, list[int]] = {}  # a range -> its formula cells (many cells read one table column)
        hubs: dict[object, int] = {}  # a range with many formula cells -> its Hub's index (n, n + 1, ...)
        hub_nodes: list[Hub] = []
        node_at = self.node_at
        for i, node in enumerate(nodes):
            for op in node.operands:
                if op[0] == "value":
                    continue
                if op[1] == op[3] and op[2] == op[4]:  # one cell: its formula, if any
                    p = node_at.get(op[:3])  # type: ignore[index]
                    if p is not None:
                        preds[i].add(index[id(p)])
                    continue
                ids = inside.get(op)
                if ids is None:
                    ids = inside[op] = [index[id(p)] for p in self.formula_cells_in(op)]  # type: ignore[arg-type]
                if len(ids) < HUB_CELLS:
                    preds[i].update(ids)
                    continue
                h = hubs.get(op)
                if h is None:
                    h = hubs[op] = n + len(hub_nodes)
                    hub_nodes.append(Hub())
                    preds.append(set(ids))
                    for p in ids:
                        nodes[p].users.append(hub_nodes[-1])
                preds[i].add(h)
            for p in preds[i]:
                (nodes[p] if p < n else hub_nodes[p - n]).users.append(node)
        shapes: dict[tuple[str, int, int], list[int]] = defaultdict(list)  # one shape in one column
        self._batchable = set()  # ids of the nodes that may be part of a batch
        for i, node in enumerate(nodes):
            if not node.problem and node.program is not None and node.program.vector_ok and self._single_cells(node):
                shapes[(node.key, node.sheet, node.col)].append(i)
                self._batchable.add(id(node))
        order, comps = schedule(preds, shapes.values())
        order = [[i for i in batch if i < n] for batch in order]
        comps = [[k for k in comp if k < n] for comp in comps]  # hubs are no cells
        for comp in comps:
            path = " -> ".join(self.address(nodes[k]) for k in comp[:6]) + (" ..." if len(comp) > 6 else "")
            for k in comp:
                nodes[k].problem = nodes[k].problem or f"circular reference ({path})"
        self._order = [[nodes[i] for i in batch] for batch in order if batch]
        self.cyclic = {id(nodes[k]) for comp in comps for k in comp}
        self._volatile = self.downstream(n for n in nodes if n.volatile)

    @staticmethod
    def downstream(start: Iterable[Node]) -> set[int]:
        """Ids of ``start`` and of every node that depends on them, directly or not (e.g. every cell a UDF
        reaches: ``wb.downstream(n for n in wb.nodes if n.udf)``)."""
        seen: set[int] = set()
        stack = list(start)
        while stack:
            n = stack.pop()
            if id(n) not in seen:
                seen.add(id(n))
                stack.extend(n.users)
        return seen

    def members(self, node: Node) -> list[Key]:
        """The cells a formula writes: itself, or the cells of its array range it owns."""
        if node.area is None:
            return [(node.sheet, node.row, node.col)]
        r1, c1, r2, c2 = node.area
        return [(node.sheet, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
                if self.node_at.get((node.sheet, r, c)) is node]

    def address(self, node_or_key: Node | Key) -> str:
        """``Sheet!A1`` of a formula cell or a (sheet, row, column) key."""
        if isinstance(node_or_key, Node):
            si, r, c = node_or_key.sheet, node_or_key.row, node_or_key.col
        else:
            si, r, c = node_or_key
        return f"{quote(self.sheet_names[si])}!{a1(r, c)}"

    # --- evaluation ------------------------------------------------------------------------------------

    def range_value(self, rect: Rect) -> object:
        """The values of a range as formulas reads them (a single cell: its value)."""
        return self._range_value(rect)

    def _range_value(self, rect: Rect) -> object:
        f = fx()
        si, r1, c1, r2, c2 = rect
        if r1 == r2 and c1 == c2:
            return self.values.get((si, r1, c1), f.EMPTY)
        hit = self._ranges.get(rect)
        if hit is not None:
            return hit
        arr = np.empty((r2 - r1 + 1, c2 - c1 + 1), dtype=object)
        arr.fill(f.EMPTY)
        get = self.values.get
        empty = f.EMPTY
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                v = get((si, r, c), empty)
                if v is not empty:
                    arr[r - r1, c - c1] = v
        arr = arr.view(f.Array)
        self._ranges[rect] = arr
        return arr

    def _operand_value(self, op) -> object:
        if op[0] == "value":
            v = op[1]
            return from_py(thaw(v)) if isinstance(v, tuple) else v
        return self._range_value(op)

    def calculate(self, only: Iterable[Node] | None = None) -> None:
        """Evaluate every formula (or only ``only`` and what depends on them) in dependency order; cells
        whose INDIRECT read a cell not yet computed are evaluated again afterwards (up to 3 rounds)."""
        self._ranges.clear()
        self._done.clear()
        self._deferred: dict[int, list[Node]] = {}  # node id -> the cells its INDIRECT read too early
        todo = None if only is None else self.downstream([*only, *(n for n in self.nodes if n.dynamic)])
        self._todo = todo
        self._dirty = self.downstream(n for key in self.inputs_set for n in self._readers(key))
        self._stale = self.downstream(n for n in self.nodes if n.problem and id(n) in self._dirty)
        for level in self._order:
            groups: dict[str, list[Node]] = defaultdict(list)
            for node in level:
                if todo is not None and id(node) not in todo:
                    continue
                node.note = ""
                for key in self.members(node):
                    self.flags.pop(key, None)
                if node.problem:
                    self._keep_saved(node)
                    continue
                groups[node.key].append(node)
            for nodes in groups.values():
                prog = nodes[0].program
                assert prog is not None
                if len(nodes) > 1 and prog.vector_ok and all(id(n) in self._batchable for n in nodes) \
                        and self._vector(prog, nodes):
                    continue
                for node in nodes:
                    self._store(node, self._eval_one(prog, node))
        for _ in range(3):  # cells whose INDIRECT read a cell not yet computed: again, after that cell
            if not self._deferred:
                break
            self._rerun_deferred()

    def _rerun_deferred(self) -> None:
        """Evaluate the cells whose INDIRECT read too early, and what depends on them, once more in an
        order that puts each after the cells it was found to read (:func:`.dynamic.rerun_order`)."""
        found, self._deferred = self._deferred, {}
        run_ids = self.downstream(n for n in self.nodes if id(n) in found)
        run = [n for n in self.nodes if id(n) in run_ids]
        order, _ = rerun_order(run, found)
        self._todo, self._done = run_ids, set()
        self._ranges.clear()
        for node in order:
            for key in self.members(node):
                self.flags.pop(key, None)
            node.note = ""
            if node.problem:
                self._keep_saved(node)
            elif node.program is not None:
                self._store(node, self._eval_one(node.program, node))

    def computed(self, node: Node) -> bool:
        """Whether ``node`` has its value for the calculation under way (INDIRECT's check, .dynamic)."""
        return id(node) in self._done or (self._todo is not None and id(node) not in self._todo)

    def _eval_one(self, prog: Program, node: Node) -> object:
        NOTES.clear()
        try:
            with np.errstate(all="ignore"), evaluating(self, node) if node.dynamic else nullcontext():
                result = prog([self._operand_value(op) for op in node.operands])
            if NOTES:  # a result within rounding of zero (.rounding): reported
                node.note = NOTES[0]
            return result
        except Exception as exc:  # noqa: BLE001 - one cell's failure must not stop the rest
            if isinstance(exc, NotYetComputed):
                self._deferred.setdefault(id(node), []).append(exc.cell)  # type: ignore[arg-type]
            text = _PLACEHOLDER.sub(lambda m: self._operand_text(node, int(m.group(1)) - 1), " ".join(str(exc).split()))
            node.note = f"evaluation failed ({type(exc).__name__}: {text[:160]})"
            return fx().errors["#VALUE!"]

    def _operand_text(self, node: Node, k: int) -> str:
        """The k-th operand of a cell as the book would write it (never the shape's placeholder)."""
        if not 0 <= k < len(node.operands):
            return "?"
        op = node.operands[k]
        if op[0] == "value":
            return str(op[1])
        si, r1, c1, r2, c2 = op  # type: ignore[misc]
        ref = a1(r1, c1) + ("" if (r1, c1) == (r2, c2) else ":" + a1(r2, c2))
        return ref if si == node.sheet else f"{quote(self.sheet_names[si])}!{ref}"

    def _vector(self, prog: Program, nodes: list[Node]) -> bool:
        """One array call for a whole group; False (and nothing stored) if the result is not a column."""
        f = fx()
        n = len(nodes)
        cols = []
        get, empty = self.values.get, f.EMPTY
        for k in range(len(nodes[0].operands)):
            col = np.empty((n, 1), dtype=object)
            for i, node in enumerate(nodes):
                op = node.operands[k]
                # one cell (every operand of a batch is one, or a value): its value, as _range_value reads it
                col[i, 0] = get(op[:3], empty) if op[0] != "value" and op[1] == op[3] and op[2] == op[4] \
                    else self._operand_value(op)
            cols.append(col.view(f.Array))
        try:
            with np.errstate(all="ignore"):
                res = prog(cols, vector=True)
        except Exception:  # noqa: BLE001 - fall back to cell by cell
            return False
        if not isinstance(res, np.ndarray) or res.size != n:
            return False
        flat = np.asarray(res, dtype=object).reshape(-1)
        done, values = self._done, self.values
        for node, v in zip(nodes, flat, strict=True):
            if _plain(v):  # as _store and _put do with one plain value
                done.add(id(node))
                node.value = values[(node.sheet, node.row, node.col)] = v
                self._check(node)
            else:
                self._store(node, v)
        return True

    def _keep_saved(self, node: Node) -> None:
        """A cell the tool cannot evaluate keeps the value Excel saved (stale if a precedent changed)."""
        f = fx()
        keys = self.members(node)
        self._done.add(id(node))
        cyclic = id(node) in self.cyclic
        if self.cached.get(keys[0]) is None:
            self._store(node, f.errors["#VALUE!" if cyclic else "#NAME?"], check=False)
            flag = ("circular" if cyclic else "unsupported", node.problem)
        else:
            for key in keys:
                old = self.cached.get(key)
                self.values[key] = f.errors["#N/A"] if old is None else old
            node.value = self.values[keys[0]]
            if id(node) in self._dirty:
                flag = ("stale", f"a precedent changed, kept the saved value; {node.problem}")
            else:
                flag = (problem_reason(node.problem, cyclic), f"kept the saved value; {node.problem}")
        for key in keys:
            self.flags[key] = flag

    def _check(self, node: Node) -> None:
        """Flag a computed cell: volatile, stale, failed, or (inputs unchanged) not the value the book saved."""
        nid = id(node)
        if not self._has_saved and not self._volatile and not self._stale:
            if node.note:
                for key in self.members(node):
                    self.flags[key] = ("error", node.note)
            return  # a book with no saved values (written by a generator): nothing to compare
        keys = self.members(node) if node.area is not None else [(node.sheet, node.row, node.col)]
        flag = None
        if nid in self._volatile:
            flag = ("volatile", "calls a volatile function" if node.volatile else "depends on a volatile cell")
        elif nid in self._stale:
            flag = ("stale", "depends on a cell that cannot be recalculated after the change")
        elif node.note:
            flag = ("error", node.note)
            if nid not in self._dirty and self._keep_saved_on_error(node, keys):
                flag = ("error", f"{node.note}; kept the saved value")
        elif nid in self._dirty and nid in self._unverified:
            flag = ("stale", self._unverified[nid])
        elif node.external:
            flag = ("external link", f"computed from the values the book caches for {node.external}")
        if nid not in self._dirty and nid not in self._volatile:
            for key in keys:
                old = self.cached.get(key)
                new = self.values.get(key)
                if old is None or (new == old and type(new) is type(old)) or close(new, old):
                    continue
                if self._solver_agrees(node, key, new, old):
                    continue
                if flag is None:
                    self.flags[key] = ("mismatch", f"recalculated {show(new)}, the book saved {show(old)}")
        if flag is not None:
            for key in keys:
                self.flags[key] = flag

    def _keep_saved_on_error(self, node: Node, keys: list[Key]) -> bool:
        """The tool's own evaluation failed and no precedent changed: the value Excel saved is written
        (and read by the dependants) where the book has one. Whether any was kept."""
        kept = False
        for key in keys:
            old = self.cached.get(key)
            if old is not None:
                self.values[key] = old
                kept = True
        node.value = self.values.get((node.sheet, node.row, node.col) if node.area is None
                                     else (node.sheet, node.area[0], node.area[1]))
        return kept

    def _solver_agrees(self, node: Node, key: Key, new: object, old: object) -> bool:
        """An iterative solver's result (XIRR, IRR) within Excel's documented precision of the value
        Excel saved is Excel's own answer: the saved value is kept (and read by the dependants)."""
        tol = node.program.solver_tol if node.program is not None else 0.0
        if not tol or type(new) is not float or type(old) is not float or abs(new - old) > tol:
            return False
        self.values[key] = old
        if key == (node.sheet, node.row, node.col):
            node.value = old
        return True

    def _store(self, node: Node, result: object, check: bool = True) -> None:
        f = fx()
        self._done.add(id(node))
        try:
            self._put(node, result, f)
        except Exception as exc:  # noqa: BLE001 - one cell's odd result is that cell's problem
            node.note = f"unusable result ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
            self._put(node, f.errors["#VALUE!"], f)
        if check:
            self._check(node)

    def _put(self, node: Node, result: object, f) -> None:
        if node.area is None and _plain(result):
            node.value = result  # what scalar() makes of one plain value: itself
            self.values[(node.sheet, node.row, node.col)] = result
            return
        if node.area is None:
            size = getattr(as_array(result, f), "size", 1)
            if size > 1 and not node.note:  # never a silent top-left: Excel spills or intersects
                node.note = (f"returns {size} values in one cell (Excel spills them, or takes the one on the "
                             "formula's row or column); the first is shown")
            node.value = scalar(result, f)
            self.values[(node.sheet, node.row, node.col)] = node.value
            return
        r1, c1, r2, c2 = node.area
        arr = as_array(result, f)
        if not isinstance(arr, np.ndarray):
            arr = np.asarray([[arr]], dtype=object)
        h, w = arr.shape
        na = f.errors["#N/A"]
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                i, j = r - r1, c - c1
                # Excel repeats a single row/column across the range and fills the rest with #N/A
                ii = 0 if h == 1 else i
                jj = 0 if w == 1 else j
                v = arr[ii, jj] if ii < h and jj < w else na
                if self.node_at.get((node.sheet, r, c)) is node:
                    self.values[(node.sheet, r, c)] = scalar(v, f)
        node.value = self.values.get((node.sheet, r1, c1))

    # --- results -----------------------------------------------------------------------------------

    def formula_values(self) -> dict[Key, object]:
        """Computed value of every cell a formula writes."""
        return {k: self.values.get(k) for k in self.node_at}

    def collect_issues(self) -> list[Issue]:
        """Problems by cell: unsupported, circular, and error results (with where an error came from)."""
        return collect_issues(self)

    def flagged(self) -> list[Issue]:
        """Every cell whose value may not be what Excel computes, once, with its reason (``.report``);
        the address is ``Sheet name!A1`` as the book names the sheet, unquoted."""
        out = []
        for node in self.nodes:
            for key in self.members(node):
                flag = self.flags.get(key)
                if flag is not None:
                    out.append(Issue(f"{self.sheet_names[key[0]]}!{a1(key[1], key[2])}", *flag))
        return out

    def resolve(self, name: str) -> Rect:
        """A defined name (or a Sheet!A1 reference) -> its cells; RecalcError if it is not a plain reference."""
        text = name.strip()
        res = self.refs.resolve(text, 0) if "!" in name else self.refs.resolve_name(text, 0)
        if isinstance(res, str):
            raise RecalcError(res)
        if res[0] == "value":
            raise RecalcError(f"defined name {name} is a constant, not a cell")
        return res  # type: ignore[return-value]

    # --- inputs --------------------------------------------------------------------------------------

    def note_mismatches(self) -> None:
        """After calculating the unchanged book: a cell that did not give back the value Excel saved (a
        ``mismatch``), and every cell that reads it, is ``stale`` once a change reaches it, since its
        formula did not reproduce Excel on the book's own inputs (the value computed after the change is
        written, unverified)."""
        first = {id(n): (n, d) for k, (kind, d) in self.flags.items() if kind == "mismatch"
                 for n in [self.node_at.get(k)] if n is not None}
        if not first:
            return
        why = {nid: f"did not reproduce the value the book saved before the change ({d}); its value after "
                    "the change is not verified" for nid, (_, d) in first.items()}
        for nid in self.downstream(n for n, _ in first.values()):
            self._unverified[nid] = why.get(nid, "depends on a cell that did not reproduce the value the book "
                                                 "saved before the change; not verified after it")

    def check_inputs(self, values: Mapping[str, object]) -> dict[str, Key]:
        """Each named input's cell, every name and value checked (nothing changes)."""
        keys: dict[str, Key] = {}
        for name in values:  # every name checked before anything changes
            key = self.check_input(name)
            if key in keys.values():
                other = next(n for n, k in keys.items() if k == key)
                address = self.address(key)
                raise RecalcError(f"input {name}: the same cell as input {other} ({address}); give it once",
                                  "same_input", input=name, other=other, address=address)
            keys[name] = key
            check_field_value(name, self.input_cell(name)[0], values[name])
        return keys

    def set_inputs(self, values: Mapping[str, object]) -> list[Node]:
        """Change named inputs; returns the formula cells that read them (what to recompute)."""
        keys = self.check_inputs(values)
        touched: list[Node] = []
        for name, value in values.items():
            key = keys[name]
            if value is None:
                self.values.pop(key, None)
            else:
                self.values[key] = load_value(value, "", fx().errors)
            self.inputs_set[key] = value
            touched += self._readers(key)
        return touched

    def _readers(self, key: Key) -> list[Node]:
        si, r, c = key
        out = []
        for node in self.nodes:
            for op in node.operands:
                if op[0] != "value" and op[0] == si and op[1] <= r <= op[3] and op[2] <= c <= op[4]:
                    out.append(node)
                    break
        return out

    def named_values(self, names: Iterable[str]) -> dict[str, object]:
        """The values of defined names: one value for a single cell, rows of values for a range."""
        out: dict[str, object] = {}
        for name in names:
            si, r1, c1, r2, c2 = self.resolve(name)
            vals = [[plain(self.values.get((si, r, c))) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
            out[name] = vals[0][0] if (r1, c1) == (r2, c2) else vals
        return out

    def calculate_named(self, sets: Mapping[str, object], outputs: Sequence[str]) -> dict[str, object]:
        """Set named inputs, recompute what depends on them, return the named outputs (batch --workbook)."""
        if not self._calculated:
            self.calculate()
            self.note_mismatches()
            self._calculated = True
        touched = self.set_inputs(sets)
        if touched:
            self.calculate(only=touched)
        return self.named_values(outputs)

    # --- writing -----------------------------------------------------------------------------------

    def write(self, out: str | os.PathLike[str], *, in_place: bool = False) -> tuple[Path, int]:
        """Cached values into a copy of the original file (or the file itself, atomically)."""
        f = fx()
        cell_values: dict[tuple[str, object], object] = {}  # (sheet, (row, column)) -> value
        names = self.sheet_names
        cached = self.cached
        for key in self.node_at:
            new = self.values.get(key)
            old = cached.get(key)
            if (old is not None or new is None) and same(new, old, f):
                continue
            cell_values[(names[key[0]], (key[1], key[2]))] = new if type(new) is float else writable(new, f)
        inputs = {(self.sheet_names[k[0]], a1(k[1], k[2])): writable(v, f) if v is not None else None
                  for k, v in self.inputs_set.items()}
        try:
            path = self.pkg.write(out, cell_values, inputs, in_place=in_place)
        except XlsxError as exc:
            raise RecalcError(f"cannot write {out}: {exc}") from None
        return path, len(cell_values)


def _plain(v: object) -> bool:
    """A finite float, a text or a logical: a cell value as it is (:func:`.bridge.scalar` keeps it)."""
    return type(v) is float and math.isfinite(v) or type(v) is str or type(v) is bool


@dataclass
class RecalcResult:
    output: Path | None
    formulas: int
    written: int
    issues: list[Issue]
    named: dict[str, object]
    flagged: list[Issue] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def recalc(book: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
           sets: Mapping[str, object] | None = None, in_place: bool = False,
           outputs: Sequence[str] | None = None, **limits) -> RecalcResult:
    """Recalculate ``book`` and write the values into ``out`` (or ``book`` itself with ``in_place``).

    ``sets``: defined name -> value, applied before calculating. Returns the issues and the
    named outputs' values. Nothing is written if the workbook is refused or a ``sets`` name is bad.
    """
    src = Path(book)
    if in_place:
        if out is not None and Path(out).resolve() != src.resolve():
            raise RecalcError("in_place writes the workbook itself; do not give an output path as well",
                              "in_place_and_output")
        out = src
    if out is None:
        raise RecalcError("give an output path or in_place=True", "no_output")
    dst = Path(out)
    if not in_place and dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise RecalcError(f"refusing to overwrite the input {src}; recalculate it in-place (in_place=True)",
                          "overwrite", source=src)
    with gc_paused():
        return _recalc(src, dst, sets, in_place, outputs, limits)


def _recalc(src: Path, dst: Path, sets: Mapping[str, object] | None, in_place: bool,
            outputs: Sequence[str] | None, limits: dict) -> RecalcResult:
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    wb = Workbook.open(src, **limits)
    t1 = time.perf_counter()
    seconds["load"] = t1 - t0
    for name in outputs or ():
        wb.check_output(name)
    if sets and wb._has_saved:  # the unchanged book first: which formulas do not reproduce Excel's values
        wb.check_inputs(sets)  # a bad name or value is refused before any work
        wb.calculate()
        wb.note_mismatches()
        wb.calculate(only=wb.set_inputs(sets))  # then what the change reaches; the rest is as computed
    else:
        if sets:
            wb.set_inputs(sets)
        wb.calculate()
    t2 = time.perf_counter()
    seconds["calculate"] = t2 - t1
    issues = wb.collect_issues()
    names = list(outputs) if outputs else wb.output_names()
    named = wb.named_values(names)
    path, written = wb.write(dst, in_place=in_place)
    seconds["write"] = time.perf_counter() - t2
    return RecalcResult(path, len(wb.node_at), written, issues, named, flagged=wb.flagged(), seconds=seconds)

"""Recalculate a workbook without Excel: native formulas and the gpuecon UDFs, written back losslessly.

Design (docs/recalc.md has the reasoning and the measurements behind it):

* **Reading** goes through :mod:`gpuecon.xlsxpatch` (zip-bomb, XXE and dimension guards): a hostile
  or malformed file is refused before anything is computed or written.
* **Parsing** uses established parsers only: openpyxl's formula ``Tokenizer`` finds the references
  and functions of each formula and openpyxl's ``Translator`` expands shared formulas; the
  ``formulas`` package parses the formula itself and supplies the Excel functions.
* **Compiling** is done once per *formula shape*, not once per cell: every reference of a formula is
  replaced by a placeholder (``A1``, ``A2``, ...), so ``=B2*C2`` and ``=B3*C3`` compile to the same
  program ``=A1*A2``. The ``formulas`` AST is flattened into a straight list of its function calls
  (the functions are the ``formulas`` package's own; only its per-call scheduler is bypassed).
* **Ordering**: a dependency graph of formula cells (ranges included) is levelled topologically.
  Cells of one level that share a shape, whose references are single cells and whose functions
  are element-wise (arithmetic, comparisons, IF, ROUND, the gpuecon UDFs, ...) are evaluated in
  *one* array call (Excel array semantics); everything else is evaluated cell by cell. UDF cells
  are computed by the engine through :data:`gpuecon.excel.FUNCTIONS` (the same code the Excel
  add-in runs), and native cells that depend on UDF cells simply come later in the order.
* **Writing**: the computed values go into a copy of the *original* package as cached results with
  :func:`gpuecon.xlsxpatch.Package.write`: formulas keep their exact text and every other byte and
  zip member is copied unchanged; the output is written atomically.

Problems never stop the calculation: unsupported functions or references (``#NAME?``), circular
references (``#VALUE!``) and formulas that evaluate to an error are reported by cell address with
a reason, and everything else is still computed.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl.utils.cell import column_index_from_string as _col_index
from openpyxl.utils.cell import get_column_letter as _col_letters

from ..engine.errors import GpueconError
from ..engine.numbers import parse_value
from ..xlsx.names import INPUT_ALIASES, INPUT_SUFFIX, input_name_candidates
from ..xlsx.package import XlsxError, open_package

__all__ = ["Issue", "RecalcError", "RecalcResult", "Workbook", "recalc", "UDF_NAMES", "parse_value"]


class RecalcError(GpueconError):
    """The workbook is refused or a request is invalid (bad --set name, ...); nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__("workbook", None, "", message)


@dataclass(frozen=True)
class Issue:
    """A cell that could not be computed or computed to an error; ``kind``: unsupported, circular, error."""

    address: str
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.address}: {self.kind}: {self.reason}"


@dataclass
class RecalcResult:
    output: Path | None
    formulas: int
    written: int
    issues: list[Issue]
    named: dict[str, object]
    seconds: dict[str, float] = field(default_factory=dict)


# --- formulas package glue ------------------------------------------------------------------------

_FORMULAS: dict[str, object] = {}


_FX_LOCK = threading.Lock()


def _fx():
    """The formulas package, imported lazily (it takes ~1 s), with the gpuecon UDFs registered."""
    if "ready" in _FORMULAS:
        return _FORMULAS
    with _FX_LOCK:
        return _fx_load()


def _defer_import(name: str) -> None:
    """Register ``name`` with the standard library's ``importlib.util.LazyLoader``: the module runs
    on first attribute access. ``formulas`` imports scipy.stats and scipy.linalg at start-up for its
    statistics functions (~0.5 s); a workbook that calls none of them never pays for it."""
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


def _fx_load():
    if "ready" not in _FORMULAS:
        for name in ("scipy.stats", "scipy.linalg"):
            _defer_import(name)
        import formulas
        import schedula as sh
        from formulas.functions import Array, Error, XlError, not_implemented, wrap_ranges_func

        _FORMULAS.update(formulas=formulas, sh=sh, Array=Array, XlError=XlError, errors=Error.errors,
                         EMPTY=sh.EMPTY, not_implemented=not_implemented)
        funcs = formulas.get_functions()
        for name in UDF_NAMES:
            wrapper = wrap_ranges_func(_udf_wrapper(name))  # ExcelModel passes Ranges; values pass through
            for prefix in ("", "_XLUDF.", "_XLL."):
                funcs[prefix + name] = wrapper
        from ..excel import functions  # noqa: F401 - imported here, not while cells are evaluated

        _FORMULAS["ready"] = True
    return _FORMULAS


def _udf_impls() -> dict[str, object]:
    from ..excel.functions import FUNCTIONS

    return FUNCTIONS


UDF_NAMES = ("GPU_TCO", "FLOOR_RENT", "CEILING_RENT", "SOCAMM_COST", "PROJECT_IRR", "RENT_PER_PFLOP", "GPU_SPEC",
             "GPU_SYSTEMS", "ONE_CHART", "GPUECON_VERSION")
#: UDFs that broadcast element-wise over ranges, and how many leading arguments may be columns
#: (the ``assumptions`` name/value range is never one of them).
_UDF_VECTOR_ARGS = {"GPU_TCO": 2, "FLOOR_RENT": 4, "CEILING_RENT": 3, "SOCAMM_COST": 3, "PROJECT_IRR": 4,
                    "RENT_PER_PFLOP": 3, "GPU_SPEC": 2}
_ELEMENTWISE = {"+", "-", "*", "/", "^", "&", "=", "<>", "<", ">", "<=", ">=", "U-", "U+", "%", "IF", "IFERROR",
                "ROUND", "ROUNDUP", "ROUNDDOWN", "ABS", "SQRT", "EXP", "LN", "INT", "MOD", "POWER", "ISNUMBER",
                "ISERROR", "ISBLANK", "NOT"}
#: functions that need the reference itself (not its values); ROW/COLUMN are rewritten to numbers
_REF_FUNCTIONS = {"OFFSET", "INDIRECT", "CELL", "ISREF", "AREAS", "INFO", "FORMULATEXT", "SHEET", "SHEETS"}


_VECTOR = [False]  # True while a vectorized group is evaluated: UDF column arguments are rows


def _to_py(v: object) -> object:
    """A formulas value -> what the Excel UDFs expect (None for blank, floats, nested lists)."""
    fx = _fx()
    if v is fx["EMPTY"] or v is None:
        return None
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return _to_py(v.item())
        rows = v if v.ndim == 2 else v.reshape(-1, 1)
        return [[_to_py(x) for x in r] for r in rows]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _udf_wrapper(name: str):
    def call(*args):
        fx = _fx()
        for a in args:
            if isinstance(a, fx["XlError"]):
                return a
        impl = _udf_impls()[name]
        if _VECTOR[0] and any(isinstance(a, np.ndarray) and a.size > 1 for a in args):
            return _udf_vector(impl, args)
        return _from_py(impl(*[_to_py(a) for a in args]))

    call.__name__ = name
    return call


def _udf_vector(impl, args) -> object:
    """An element-wise UDF call over columns: rows with an Excel error in an argument get that error."""
    fx = _fx()
    n = max(a.size for a in args if isinstance(a, np.ndarray))
    err = np.full(n, None, dtype=object)
    conv = []
    for a in args:
        if isinstance(a, np.ndarray) and a.size == n:
            flat = a.reshape(-1)
            col = []
            for i, x in enumerate(flat):
                if isinstance(x, fx["XlError"]):
                    if err[i] is None:
                        err[i] = x
                    col.append(None)
                else:
                    col.append(_to_py(x))
            conv.append([[x] for x in col])
        else:
            conv.append(_to_py(a))
    out = impl(*conv)
    res = np.empty((n, 1), dtype=object)
    if isinstance(out, list) and len(out) == n:
        for i, row in enumerate(out):
            res[i, 0] = row[0] if isinstance(row, list) else row
    else:  # a whole-call error (one text) goes to every row
        res[:, 0] = out[0][0] if isinstance(out, list) else out
    from ..excel.functions import is_error

    for i in range(n):  # a row that failed is redone as Excel would call it, one cell at a time,
        if err[i] is None and is_error(res[i, 0]):  # so the reason is the scalar call's reason
            row = [c[i][0] if isinstance(c, list) and len(c) == n and isinstance(c[0], list) and
                   isinstance(args[k], np.ndarray) and args[k].size == n else c for k, c in enumerate(conv)]
            res[i, 0] = _scalar(_from_py(impl(*row)), fx)
    bad = np.flatnonzero(err != None)  # noqa: E711 - object array
    res[bad, 0] = err[bad]
    return res.view(fx["Array"])


def _from_py(v: object) -> object:
    fx = _fx()
    if isinstance(v, list):
        rows = [r if isinstance(r, list) else [r] for r in v]
        width = max((len(r) for r in rows), default=1)
        arr = np.empty((len(rows), width), dtype=object)
        arr.fill(fx["errors"]["#N/A"])
        for i, r in enumerate(rows):
            for j, x in enumerate(r):
                arr[i, j] = fx["EMPTY"] if x is None else x
        return arr.view(fx["Array"])
    return fx["EMPTY"] if v is None else v


class _Program:
    """A compiled formula shape: placeholders in, one value out."""

    __slots__ = ("inputs", "slots", "consts", "ops", "out", "vector_ok", "problem")

    def __init__(self, canonical: str) -> None:
        fx = _fx()
        self.problem = ""
        self.inputs: list[str] = []
        self.slots: list[int] = []
        self.consts: dict[str, object] = {}
        self.ops: list[tuple[object, list[str], str]] = []
        self.out = ""
        self.vector_ok = True
        try:
            _, builder = fx["formulas"].Parser().ast("=" + canonical)
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
            if fn is fx["not_implemented"]:
                self.problem = f"unsupported function {name}"
                return
            extra = set(node) - {"type", "function", "inputs", "outputs", "wait_inputs", "index", "solve_cycle",
                                 "extra_inputs"}
            if extra or any(k not in dsp.default_values for k in node.get("extra_inputs", ())):
                self.problem = f"unsupported function {name} (needs cell context)"
                return
            inputs = [i for i in node.get("inputs") or [] if i is not fx["sh"].START]  # NA(), PI(): no argument
            bare = name.removeprefix("_XLUDF.").removeprefix("_XLL.")
            if bare in UDF_NAMES:
                if len(inputs) > _UDF_VECTOR_ARGS.get(bare, -1):
                    self.vector_ok = False
            elif name not in _ELEMENTWISE:
                self.vector_ok = False
            self.ops.append((fn, inputs, node["outputs"][0]))
        self.out = builder.get_node_id(builder[-1])
        for name in self.inputs:
            m = re.fullmatch(r"A(\d+)", name)
            if not m:
                self.problem = f"cannot map formula input {name}"
                return
            self.slots.append(int(m.group(1)) - 1)

    def __call__(self, operands: Sequence[object]) -> object:
        """``operands``: the values of the placeholders A1, A2, ... in order."""
        env = dict(self.consts)
        for name, k in zip(self.inputs, self.slots, strict=True):
            env[name] = operands[k]
        for fn, ins, out in self.ops:
            env[out] = fn(*[env[i] for i in ins])
        return env[self.out]


# --- references -----------------------------------------------------------------------------------

_CELL = r"\$?[A-Za-z]{1,3}\$?\d+"
_REF_RE = re.compile(
    rf"^(?:(?:'(?P<qs>(?:[^']|'')+)'|(?P<s>[^'!:\[\]]+))!)?"
    rf"(?:(?P<c1>{_CELL})(?::(?P<c2>{_CELL}))?|(?P<col1>\$?[A-Za-z]{{1,3}}):(?P<col2>\$?[A-Za-z]{{1,3}})"
    rf"|(?P<row1>\$?\d+):(?P<row2>\$?\d+))$"
)
_NAME_RE = re.compile(r"^(?:(?:'(?P<qs>(?:[^']|'')+)'|(?P<s>[^'!:\[\]]+))!)?(?P<name>[A-Za-z_\\][\w.\\?]*)$")
_DIGITS = re.compile(r"\d+")
_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_MAX_ROWS, _MAX_COLS = 1_048_576, 16_384


def _a1(r: int, c: int) -> str:
    return f"{_col_letters(c)}{r}"


def _cell_rc(text: str) -> tuple[int, int]:
    m = _CELL_RE.fullmatch(text)
    assert m is not None
    return int(m.group(2)), _col_index(m.group(1))


def _quote(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_][\w.]*", sheet) else "'" + sheet.replace("'", "''") + "'"


Rect = tuple[int, int, int, int, int]  # sheet index, r1, c1, r2, c2


# --- the workbook model ---------------------------------------------------------------------------

class _Node:
    __slots__ = ("sheet", "row", "col", "text", "key", "operands", "program", "area", "problem", "note",
                 "users", "value", "cached", "udf")

    def __init__(self, sheet: int, row: int, col: int, text: str) -> None:
        self.sheet, self.row, self.col, self.text = sheet, row, col, text
        self.key = ""
        self.operands: list[object] = []  # Rect, or ("value", v) for ROW()/COLUMN()/named constants
        self.program: _Program | None = None
        self.area: tuple[int, int, int, int] | None = None  # array formula's range
        self.problem = ""  # static: unsupported or circular
        self.note = ""  # this calculation: evaluation failed
        self.users: list[_Node] = []
        self.value: object = None
        self.cached: object = None
        self.udf = False


class Workbook:
    """A workbook's cells and formulas, ready to calculate and to write back into the original file."""

    def __init__(self, pkg) -> None:
        self.pkg = pkg
        self.path: Path = pkg.path
        self.sheet_names: list[str] = list(pkg.sheets)
        self._sheet_index = {s.casefold(): i for i, s in enumerate(self.sheet_names)}
        self.values: dict[tuple[int, int, int], object] = {}
        self.cached: dict[tuple[int, int, int], object] = {}
        self.nodes: list[_Node] = []
        self.node_at: dict[tuple[int, int, int], _Node] = {}  # every cell a formula writes (array ranges too)
        self.inputs_set: dict[tuple[int, int, int], object] = {}
        self.issues: list[Issue] = []
        self._programs: dict[str, _Program] = {}
        self._name_cache: dict[tuple[str, int], object] = {}
        self._ranges: dict[Rect, object] = {}
        self._bounds: list[tuple[int, int]] = []
        self._cols: list[dict[int, list[int]]] = []
        self._order: list[list[_Node]] | None = None
        self._cyclic: set[int] = set()
        self._calculated = False
        self._load()

    # --- loading ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], **limits) -> Workbook:
        """Read and check a workbook (refused with :class:`RecalcError` if malformed or hostile)."""
        p = Path(path)
        if not p.is_file():
            raise RecalcError(f"no such workbook: {p}")
        try:
            return cls(open_package(p, **limits))
        except XlsxError as exc:
            raise RecalcError(f"{p.name}: refused: {exc}") from None

    def _load(self) -> None:
        from openpyxl.formula.translate import Translator

        fx = _fx()
        errors = fx["errors"]
        arrays: list[_Node] = []
        for si, sheet in enumerate(self.sheet_names):
            shared: dict[str, tuple[str, str]] = {}
            max_r = max_c = 0
            cells = list(self.pkg.iter_cells(sheet))
            for cell in cells:  # shared masters first: a dependent may come before its master's row? never,
                if cell.formula_kind == "shared" and cell.formula:  # but be safe about it
                    shared[cell.shared_index or ""] = (cell.formula, cell.ref)
            for cell in cells:
                r, c = _cell_rc(cell.ref)
                max_r, max_c = max(max_r, r), max(max_c, c)
                key = (si, r, c)
                value = _load_value(cell.value, cell.type, errors)
                if cell.formula is None:
                    if value is None:  # a styled blank cell
                        continue
                    if key not in self.node_at:
                        self.values[key] = value
                    else:
                        self.cached[key] = value
                    continue
                text = cell.formula
                if cell.formula_kind == "shared" and not text:
                    master = shared.get(cell.shared_index or "")
                    if master is None:
                        node = _Node(si, r, c, "")
                        node.problem = f"shared formula si={cell.shared_index} has no master cell"
                        self._add(node, value)
                        continue
                    try:
                        text = Translator("=" + master[0], origin=master[1]).translate_formula(cell.ref)[1:]
                    except Exception as exc:  # noqa: BLE001
                        node = _Node(si, r, c, "")
                        node.problem = f"cannot expand shared formula ({exc})"
                        self._add(node, value)
                        continue
                node = _Node(si, r, c, text)
                if cell.formula_kind == "dataTable":
                    node.problem = "data tables (What-If Analysis) are not supported"
                elif cell.formula_kind == "array" and cell.formula_ref:
                    m = re.fullmatch(rf"({_CELL})(?::({_CELL}))?", cell.formula_ref)
                    if m:
                        r1, c1 = _cell_rc(m.group(1))
                        r2, c2 = _cell_rc(m.group(2) or m.group(1))
                        node.area = (min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))
                        arrays.append(node)
                self._add(node, value)
            self._bounds.append((max_r, max_c))
        for node in arrays:  # cells inside an array formula's range belong to it
            r1, c1, r2, c2 = node.area  # type: ignore[misc]
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    key = (node.sheet, r, c)
                    if key in self.node_at and self.node_at[key] is not node:
                        continue
                    self.node_at[key] = node
                    if key in self.values:
                        self.cached[key] = self.values.pop(key)
        self._cols = [defaultdict(list) for _ in self.sheet_names]
        for (si, r, c) in self.node_at:
            self._cols[si][c].append(r)
        for cols in self._cols:
            for rows in cols.values():
                rows.sort()
        shapes: dict[str, object] = {}
        for node in self.nodes:
            if not node.problem:
                self._analyse(node, shapes)
        self._link()

    def _add(self, node: _Node, cached: object) -> None:
        key = (node.sheet, node.row, node.col)
        node.cached = cached
        self.cached[key] = cached
        self.nodes.append(node)
        self.node_at[key] = node

    # --- formula analysis --------------------------------------------------------------------------

    def _tokens(self, text: str, shapes: dict[str, object]) -> list[tuple[str, str, str]]:
        """openpyxl's Tokenizer, run once per formula *shape* (digits masked): ``=B2*C2`` and
        ``=B3*C3`` share one tokenization, re-filled with each formula's own digit runs."""
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

    def _analyse(self, node: _Node, shapes: dict[str, object]) -> None:
        """Tokenize, resolve references, pick or compile the shape's program."""
        try:
            items = self._tokens(node.text, shapes)
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
                if bare in _REF_FUNCTIONS:
                    node.problem = f"unsupported function {bare} (needs the reference, not its values)"
                    return
                if bare in ("ROW", "COLUMN"):  # ROW(ref)/ROW() become numbers
                    j = i + 1
                    target = None
                    if j < n and items[j][:2] == ("OPERAND", "RANGE"):
                        target = items[j][2]
                        j += 1
                    if j < n and items[j][:2] == ("FUNC", "CLOSE"):
                        rect = self._resolve(target, node) if target else (node.sheet, node.row, node.col, node.row, node.col)
                        if isinstance(rect, str):
                            node.problem = rect
                            return
                        _, r1, c1, r2, c2 = rect
                        if bare == "ROW":
                            val = [[float(r)] for r in range(r1, r2 + 1)] if r2 > r1 else float(r1)
                        else:
                            val = [[float(c) for c in range(c1, c2 + 1)]] if c2 > c1 else float(c1)
                        parts.append(slot(("value", _freeze(val))))
                        i = j + 1
                        continue
                    node.problem = f"unsupported use of {bare}()"
                    return
                parts.append(fname.removeprefix("_XLUDF.").removeprefix("_XLL.") + "(")
                if fname.removeprefix("_XLUDF.").removeprefix("_XLL.") in UDF_NAMES:
                    node.udf = True
            elif t == "OPERAND" and st == "RANGE":
                res = self._resolve(v, node)
                if isinstance(res, str):
                    node.problem = res
                    return
                parts.append(slot(res))
            elif t == "OPERAND" and st == "TEXT":
                parts.append(v)
            elif t == "WHITE-SPACE":
                parts.append(" ")
            else:
                parts.append(v)
            i += 1
        canonical = "".join(parts)
        prog = self._programs.get(canonical)
        if prog is None:
            prog = self._programs[canonical] = _Program(canonical)
        if prog.problem:
            node.problem = prog.problem
            return
        node.key = canonical
        node.program = prog
        node.operands = operands

    def _resolve(self, text: str, node: _Node) -> Rect | tuple | str:
        """A reference or defined name -> Rect (or ("value", v)); a string is the reason it is unsupported."""
        m = _REF_RE.match(text)
        if m:
            sheet = m.group("qs").replace("''", "'") if m.group("qs") else m.group("s")
            si = node.sheet if sheet is None else self._sheet_index.get(sheet.casefold())
            if si is None:
                return f"reference {text} names an unknown or non-worksheet sheet"
            if m.group("c1"):
                r1, c1 = _cell_rc(m.group("c1"))
                r2, c2 = _cell_rc(m.group("c2")) if m.group("c2") else (r1, c1)
            elif m.group("col1"):
                c1, c2 = _col_index(m.group("col1").lstrip("$")), _col_index(m.group("col2").lstrip("$"))
                r1, r2 = 1, max(self._bounds[si][0] if si < len(self._bounds) else _MAX_ROWS, 1)
            else:
                r1, r2 = int(m.group("row1").lstrip("$")), int(m.group("row2").lstrip("$"))
                c1, c2 = 1, max(self._bounds[si][1] if si < len(self._bounds) else _MAX_COLS, 1)
            r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
            if not (1 <= r1 and r2 <= _MAX_ROWS and 1 <= c1 and c2 <= _MAX_COLS):
                return f"reference {text} is outside the sheet"
            if (r2 - r1 + 1) * (c2 - c1 + 1) > self.pkg.max_cells:
                return f"reference {text} covers more than {self.pkg.max_cells} cells"
            return (si, r1, c1, r2, c2)
        m = _NAME_RE.match(text)
        if m and m.group("name").upper() not in ("TRUE", "FALSE"):
            return self._resolve_name(m.group("name"), node.sheet)
        if "[" in text:
            return f"reference {text}: structured (table) and external references are not supported"
        if ":" in text.split("!")[0] and "!" in text:
            return f"reference {text}: 3-D references across sheets are not supported"
        return f"reference {text} is not supported"

    def _resolve_name(self, name: str, sheet: int) -> Rect | tuple | str:
        key = (name.casefold(), sheet)
        hit = self._name_cache.get(key)
        if hit is None:
            hit = self._name_cache[key] = self._resolve_name_uncached(name, sheet)
        return hit

    def _resolve_name_uncached(self, name: str, sheet: int) -> Rect | tuple | str:
        sheet_name = self.sheet_names[sheet] if 0 <= sheet < len(self.sheet_names) else None
        local = self.pkg.sheet_order.index(sheet_name) if sheet_name in self.pkg.sheet_order else None
        found = [d for d in self.pkg.defined_names if d.name.casefold() == name.casefold()
                 and d.local_sheet_id in (None, local)]
        found.sort(key=lambda d: d.local_sheet_id is None)  # sheet-scoped first
        if not found:
            return f"unknown name {name} (#NAME?)"
        text = found[0].text.strip().lstrip("=")
        try:
            num = float(text)
            return ("value", num)
        except ValueError:
            pass
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return ("value", text[1:-1].replace('""', '"'))
        if _REF_RE.match(text) and "!" in text:
            probe = _Node(sheet, 1, 1, "")
            return self._resolve(text, probe)
        return f"defined name {name} = {text!r} is not a single cell or range reference (not supported)"

    # --- dependency graph ------------------------------------------------------------------------------

    def _formula_cells_in(self, rect: Rect) -> Iterable[_Node]:
        si, r1, c1, r2, c2 = rect
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= 64:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    node = self.node_at.get((si, r, c))
                    if node is not None:
                        yield node
            return
        import bisect

        cols = self._cols[si]
        for c in range(c1, c2 + 1):
            rows = cols.get(c)
            if not rows:
                continue
            for k in range(bisect.bisect_left(rows, r1), bisect.bisect_right(rows, r2)):
                yield self.node_at[(si, rows[k], c)]

    def _groupable(self, node: _Node) -> bool:
        prog = node.program
        return (not node.problem and prog is not None and prog.vector_ok and node.area is None
                and all(op[0] == "value" or (op[1] == op[3] and op[2] == op[4]) for op in node.operands))

    def _link(self) -> None:
        """Users lists and the evaluation order; circular references found and reported.

        Cells that share a formula shape (e.g. one column of a table) form one batch, evaluated in
        a single array call, when no cell of the batch depends on another one of it and the batches'
        own graph stays acyclic; otherwise they fall back to single cells.
        """
        nodes = self.nodes
        index = {id(n): i for i, n in enumerate(nodes)}
        preds: list[set[int]] = [set() for _ in nodes]
        for i, node in enumerate(nodes):
            for op in node.operands:
                if op[0] == "value":
                    continue
                for p in self._formula_cells_in(op):  # type: ignore[arg-type]
                    preds[i].add(index[id(p)])
            for p in preds[i]:
                nodes[p].users.append(node)
        rep = list(range(len(nodes)))
        members: dict[int, list[int]] = {i: [i] for i in range(len(nodes))}
        shapes: dict[tuple[str, int, int], list[int]] = defaultdict(list)  # one shape in one column
        for i, node in enumerate(nodes):
            if self._groupable(node):
                shapes[(node.key, node.sheet, node.col)].append(i)
        for ids in shapes.values():
            group = set(ids)
            if len(ids) < 2 or any(preds[i] & group for i in ids):
                continue  # a chain such as month = previous month + 1 is evaluated cell by cell
            for i in ids:
                rep[i] = ids[0]
                members.pop(i, None)
            members[ids[0]] = ids
        while True:
            order, left = _kahn(members, rep, preds, set())
            if not any(len(members[r]) > 1 for r in left):
                break
            rest = set(left)
            bpreds = {r: {rep[p] for i in members[r] for p in preds[i]} & rest for r in left}
            split = [r for comp in _cycles(rest, bpreds, None) for r in comp if len(members[r]) > 1]
            if not split:
                break
            for r in split:  # batches that would wait on each other: back to single cells
                for i in members.pop(r):
                    rep[i] = i
                    members[i] = [i]
        cyclic: set[int] = set()
        if left:
            rest = {i for r in left for i in members[r]}
            by_id = dict(enumerate(nodes))
            for comp in _cycles(rest, {i: preds[i] for i in rest}, by_id):
                path = " -> ".join(self.address(nodes[k]) for k in comp[:6]) + (" ..." if len(comp) > 6 else "")
                for k in comp:
                    cyclic.add(k)
                    nodes[k].problem = nodes[k].problem or f"circular reference ({path})"
            order.append(sorted(cyclic))
            tail, _ = _kahn({i: [i] for i in rest - cyclic}, list(range(len(nodes))), preds,
                            {i for i in range(len(nodes)) if i not in rest} | cyclic)
            order += tail
        self._order = [[nodes[i] for i in batch] for batch in order]
        self._cyclic = {id(nodes[k]) for k in cyclic}

    def address(self, node_or_key) -> str:
        if isinstance(node_or_key, _Node):
            si, r, c = node_or_key.sheet, node_or_key.row, node_or_key.col
        else:
            si, r, c = node_or_key
        return f"{_quote(self.sheet_names[si])}!{_a1(r, c)}"

    # --- evaluation ------------------------------------------------------------------------------------

    def _range_value(self, rect: Rect) -> object:
        fx = _fx()
        si, r1, c1, r2, c2 = rect
        if r1 == r2 and c1 == c2:
            return self.values.get((si, r1, c1), fx["EMPTY"])
        hit = self._ranges.get(rect)
        if hit is not None:
            return hit
        arr = np.empty((r2 - r1 + 1, c2 - c1 + 1), dtype=object)
        arr.fill(fx["EMPTY"])
        get = self.values.get
        empty = fx["EMPTY"]
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                v = get((si, r, c), empty)
                if v is not empty:
                    arr[r - r1, c - c1] = v
        arr = arr.view(fx["Array"])
        self._ranges[rect] = arr
        return arr

    def _operand_value(self, op) -> object:
        if op[0] == "value":
            v = op[1]
            return _from_py(_thaw(v)) if isinstance(v, tuple) else v
        return self._range_value(op)

    def calculate(self, only: Iterable[_Node] | None = None) -> None:
        """Evaluate every formula (or only ``only`` and what depends on them) in dependency order."""
        fx = _fx()
        self._ranges.clear()
        todo = None
        if only is not None:
            todo = set()
            stack = list(only)
            while stack:
                n = stack.pop()
                if id(n) in todo:
                    continue
                todo.add(id(n))
                stack.extend(n.users)
        assert self._order is not None
        for level in self._order:
            groups: dict[str, list[_Node]] = defaultdict(list)
            for node in level:
                if todo is not None and id(node) not in todo:
                    continue
                node.note = ""
                if node.problem:
                    self._store(node, fx["errors"]["#VALUE!" if id(node) in self._cyclic else "#NAME?"])
                    continue
                groups[node.key].append(node)
            for nodes in groups.values():
                prog = nodes[0].program
                assert prog is not None
                if len(nodes) > 1 and prog.vector_ok and all(
                        n.area is None and all(op[0] == "value" or (op[1] == op[3] and op[2] == op[4]) for op in n.operands)
                        for n in nodes) and self._vector(prog, nodes):
                    continue
                for node in nodes:
                    self._store(node, self._eval_one(prog, node))

    def _eval_one(self, prog: _Program, node: _Node) -> object:
        fx = _fx()
        try:
            with np.errstate(all="ignore"):
                return prog([self._operand_value(op) for op in node.operands])
        except Exception as exc:  # noqa: BLE001 - one cell's failure must not stop the rest
            node.note = f"evaluation failed ({type(exc).__name__}: {' '.join(str(exc).split())[:160]})"
            return fx["errors"]["#VALUE!"]

    def _vector(self, prog: _Program, nodes: list[_Node]) -> bool:
        """One array call for a whole group; False (and nothing stored) if the result is not a column."""
        fx = _fx()
        n = len(nodes)
        cols = []
        for k in range(len(nodes[0].operands)):
            col = np.empty((n, 1), dtype=object)
            for i, node in enumerate(nodes):
                col[i, 0] = self._operand_value(node.operands[k])
            cols.append(col.view(fx["Array"]))
        _VECTOR[0] = True
        try:
            with np.errstate(all="ignore"):
                res = prog(cols)
        except Exception:  # noqa: BLE001 - fall back to cell by cell
            return False
        finally:
            _VECTOR[0] = False
        if not isinstance(res, np.ndarray) or res.size != n:
            return False
        flat = np.asarray(res, dtype=object).reshape(-1)
        for node, v in zip(nodes, flat, strict=True):
            self._store(node, v)
        return True

    def _store(self, node: _Node, result: object) -> None:
        fx = _fx()
        if node.area is None:
            node.value = _scalar(result, fx)
            self.values[(node.sheet, node.row, node.col)] = node.value
            return
        r1, c1, r2, c2 = node.area
        arr = result if isinstance(result, np.ndarray) else np.asarray([[result]], dtype=object)
        if arr.ndim < 2:
            arr = arr.reshape(1, -1) if arr.ndim == 1 else arr.reshape(1, 1)
        h, w = arr.shape
        na = fx["errors"]["#N/A"]
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                i, j = r - r1, c - c1
                # Excel repeats a single row/column across the range and fills the rest with #N/A
                ii = 0 if h == 1 else i
                jj = 0 if w == 1 else j
                v = arr[ii, jj] if ii < h and jj < w else na
                if self.node_at.get((node.sheet, r, c)) is node:
                    self.values[(node.sheet, r, c)] = _scalar(v, fx)
        node.value = self.values.get((node.sheet, r1, c1))

    # --- results, inputs, names -------------------------------------------------------------------

    def formula_values(self) -> dict[tuple[int, int, int], object]:
        """Computed value of every cell a formula writes."""
        return {k: self.values.get(k) for k in self.node_at}

    def collect_issues(self) -> list[Issue]:
        """Problems by cell: unsupported, circular, and error results (with where an error came from)."""
        fx = _fx()
        out: list[Issue] = []
        from ..excel.functions import is_error

        for node in self.nodes:
            addr = self.address(node)
            if node.problem:
                kind = "circular" if id(node) in self._cyclic else "unsupported"
                out.append(Issue(addr, kind, node.problem))
                continue
            if node.note:
                out.append(Issue(addr, "error", node.note))
                continue
            v = node.value
            if isinstance(v, fx["XlError"]):
                src = self._error_source(node)
                out.append(Issue(addr, "error", f"{v}" + (f" (from {src})" if src else "")))
            elif is_error(v):
                out.append(Issue(addr, "error", str(v)))
        return out

    def _error_source(self, node: _Node) -> str:
        fx = _fx()
        for op in node.operands:
            if op[0] == "value":
                continue
            for p in self._formula_cells_in(op):
                if isinstance(p.value, fx["XlError"]) or p.problem:
                    return self.address(p)
            si, r1, c1, r2, c2 = op
            if (r2 - r1 + 1) * (c2 - c1 + 1) <= 4096:
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        if isinstance(self.values.get((si, r, c)), fx["XlError"]) and (si, r, c) not in self.node_at:
                            return self.address((si, r, c))
        return ""

    def resolve(self, name: str) -> Rect:
        """A defined name (or a Sheet!A1 reference) -> its cells; RecalcError if it is not a plain reference."""
        probe = _Node(0, 1, 1, "")
        res = self._resolve(name.strip(), probe) if "!" in name else self._resolve_name(name.strip(), 0)
        if isinstance(res, str):
            raise RecalcError(res)
        if res[0] == "value":
            raise RecalcError(f"defined name {name} is a constant, not a cell")
        return res  # type: ignore[return-value]

    def _names(self) -> list[str]:
        seen: dict[str, str] = {}
        for d in self.pkg.defined_names:
            if d.name.startswith("_xlnm.") or d.name.casefold() in seen:
                continue
            seen[d.name.casefold()] = d.name
        return list(seen.values())

    def _constant_cell(self, name: str) -> tuple[int, int, int] | None:
        """The single constant (or blank) cell a defined name refers to, else None."""
        try:
            si, r1, c1, r2, c2 = self.resolve(name)
        except RecalcError:
            return None
        if (r1, c1) != (r2, c2) or (si, r1, c1) in self.node_at:
            return None
        return (si, r1, c1)

    def input_names(self) -> list[str]:
        """Names ``--set`` may change: defined names of one constant cell, and ``NAME`` for ``NAME_input``.

        A computed name ``NAME`` whose input cell is named ``NAME_input`` (gpuecon.names) is listed
        once, as ``NAME``.
        """
        names = self._names()
        folded = {n.casefold() for n in names}
        out = []
        for name in names:
            if self._constant_cell(name) is None:
                continue
            base = name[: -len(INPUT_SUFFIX)] if name.casefold().endswith(INPUT_SUFFIX) else None
            out.append(base if base and base.casefold() in folded else name)
        return out

    def input_cell(self, name: str) -> tuple[str, tuple[int, int, int]]:
        """The cell ``--set NAME=...`` changes, and the defined name it was found under.

        Looked up as typed (case-insensitive, as Excel does), then by its canonical spelling
        (``Hurdle`` -> ``hurdle_irr_annual``, ``System`` -> ``system_name``); a name computed by a
        formula is set through its ``NAME_input`` cell. Anything else is a RecalcError naming the
        closest input names.
        """
        defined = {n.casefold(): n for n in self._names()}
        for cand in input_name_candidates(name):
            found = defined.get(cand.casefold())
            if found is None:
                continue
            key = self._constant_cell(found)
            if key is not None:
                return found, key
            typed = defined.get((found + INPUT_SUFFIX).casefold())
            key = self._constant_cell(typed) if typed else None
            if key is not None:
                return typed, key  # type: ignore[return-value]
            si, r1, c1, r2, c2 = self.resolve(found)
            if (r1, c1) != (r2, c2):
                raise RecalcError(f"--set {name}: the name {found} covers {_a1(r1, c1)}:{_a1(r2, c2)}; "
                                  "only single-cell inputs can be set")
            raise RecalcError(f"--set {name}: {found} is {self.address((si, r1, c1))}, a formula, and the workbook "
                              f"names no input cell {found}{INPUT_SUFFIX}; only constant inputs can be set")
        import difflib

        pool = self.input_names()
        folded = {p.casefold() for p in pool}
        spellings = pool + [a for a, canon in INPUT_ALIASES.items() if canon in folded]
        near = difflib.get_close_matches(name.strip().casefold(), spellings, n=3, cutoff=0.6)
        near += [p for p in pool if name.strip().casefold() in p.casefold() and p not in near]
        hint = f"did you mean {', '.join(near[:3])}?" if near else f"its inputs are {', '.join(pool[:12])}" + (
            f" and {len(pool) - 12} more" if len(pool) > 12 else "")
        raise RecalcError(f"--set {name}: the workbook has no input named {name.strip()!r}; {hint}")

    def output_names(self) -> list[str]:
        """Defined names whose cells include a formula."""
        out = []
        for name in self._names():
            try:
                rect = self.resolve(name)
            except RecalcError:
                continue
            if any(True for _ in self._formula_cells_in(rect)):
                out.append(name)
        return out

    def check_output(self, name: str) -> None:
        """RecalcError unless ``name`` is a defined name of cells (suggests the closest output names)."""
        try:
            self.resolve(name)
        except RecalcError as exc:
            import difflib

            near = difflib.get_close_matches(name.strip(), self.output_names(), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(near)}?" if near else "; `gpuecon recalc BOOK -o OUT` lists the named outputs"
            raise RecalcError(f"output {name}: {exc}{hint}") from None

    def check_input(self, name: str) -> tuple[int, int, int]:
        """The cell ``--set NAME`` changes (see :meth:`input_cell`)."""
        return self.input_cell(name)[1]

    def set_inputs(self, values: Mapping[str, object]) -> list[_Node]:
        """Change named inputs; returns the formula cells that read them (what to recompute)."""
        keys = {}
        for name in values:  # every name checked before anything changes
            key = self.check_input(name)
            if key in keys.values():
                other = next(n for n, k in keys.items() if k == key)
                raise RecalcError(f"--set {name}: the same input as --set {other} ({self.address(key)}); give it once")
            keys[name] = key
            _check_field_value(name, self.input_cell(name)[0], values[name])
        touched: list[_Node] = []
        for name, value in values.items():
            key = keys[name]
            if value is None:
                self.values.pop(key, None)
            else:
                self.values[key] = _load_value(value, "", _fx()["errors"])
            self.inputs_set[key] = value
            touched += self._readers(key)
        return touched

    def _readers(self, key: tuple[int, int, int]) -> list[_Node]:
        si, r, c = key
        out = []
        for node in self.nodes:
            for op in node.operands:
                if op[0] != "value" and op[0] == si and op[1] <= r <= op[3] and op[2] <= c <= op[4]:
                    out.append(node)
                    break
        return out

    def named_values(self, names: Iterable[str]) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in names:
            si, r1, c1, r2, c2 = self.resolve(name)
            vals = [[_plain(self.values.get((si, r, c))) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
            out[name] = vals[0][0] if (r1, c1) == (r2, c2) else vals
        return out

    def calculate_named(self, sets: Mapping[str, object], outputs: Sequence[str]) -> dict[str, object]:
        """Set named inputs, recompute what depends on them, return the named outputs (batch --workbook)."""
        if not self._calculated:
            self.calculate()
            self._calculated = True
        touched = self.set_inputs(sets)
        if touched:
            self.calculate(only=touched)
        return self.named_values(outputs)

    # --- writing -----------------------------------------------------------------------------------

    def write(self, out: str | os.PathLike[str], *, in_place: bool = False) -> tuple[Path, int]:
        """Cached values into a copy of the original file (or the file itself, atomically)."""
        fx = _fx()
        cell_values: dict[tuple[str, str], object] = {}
        for key in self.node_at:
            new = self.values.get(key)
            if _same(new, self.cached.get(key), fx):
                continue
            cell_values[(self.sheet_names[key[0]], _a1(key[1], key[2]))] = _writable(new, fx)
        inputs = {(self.sheet_names[k[0]], _a1(k[1], k[2])): _writable(v, fx) if v is not None else None
                  for k, v in self.inputs_set.items()}
        try:
            path = self.pkg.write(out, cell_values, inputs, in_place=in_place)
        except XlsxError as exc:
            raise RecalcError(f"cannot write {out}: {exc}") from None
        return path, len(cell_values)


# --- value helpers ---------------------------------------------------------------------------------

def _check_field_value(name: str, found: str, value: object) -> None:
    """A value set into a named engine field passes the engine's own check (range, percent typos)."""
    from ..engine.assumptions import FIELDS
    from ..engine.numbers import is_explicit

    field_name = found[: -len(INPUT_SUFFIX)] if found.casefold().endswith(INPUT_SUFFIX) else found
    f = FIELDS.get(field_name.casefold())
    if f is None or value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecalcError(f"--set {name}: {f.name} must be a number ({f.allowed}), got {value!r}")
    if not f.ok(float(value), explicit=is_explicit(value)):
        raise RecalcError(f"--set {name}: {f.message(float(value))}")


def _load_value(v: object, t: str, errors) -> object:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str) and (t == "e" or (t == "" and v in errors)):
        return errors.get(v, errors["#VALUE!"])
    return v


def _scalar(result: object, fx) -> object:
    v = result
    while isinstance(v, np.ndarray):
        v = v.reshape(-1)[0] if v.size else fx["EMPTY"]
    if v is fx["EMPTY"] or v is None:
        return 0.0  # a formula that points at a blank cell shows 0
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return fx["errors"]["#NUM!"]
    return v


def _writable(v: object, fx) -> object:
    if isinstance(v, fx["XlError"]):
        return str(v)
    return v


def _plain(v: object) -> object:
    fx = _fx()
    if isinstance(v, fx["XlError"]):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _same(new: object, old: object, fx) -> bool:
    if isinstance(new, fx["XlError"]):
        return isinstance(old, fx["XlError"]) and str(old) == str(new)
    if isinstance(new, bool) or isinstance(old, bool):
        return type(new) is type(old) and new == old
    if isinstance(new, float) and isinstance(old, float):
        return new == old or (math.isnan(new) and math.isnan(old))
    return type(new) is type(old) and new == old


def _freeze(v: object) -> object:
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


def _thaw(v: object) -> object:
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    return v


def _kahn(members: dict[int, list[int]], rep: list[int], preds: list[set[int]],
          done: set[int]) -> tuple[list[list[int]], list[int]]:
    """Topological order of batches (``members``: representative -> cell indices); cells in ``done``
    count as computed. Returns the ordered batches (cell indices) and the representatives left over."""
    spreds: dict[int, set[int]] = {}
    users: dict[int, list[int]] = defaultdict(list)
    for r, ids in members.items():
        ps = {rep[p] for i in ids for p in preds[i] if p not in done}
        spreds[r] = ps
        for p in ps:
            users[p].append(r)
    indeg = {r: len(ps) for r, ps in spreds.items()}
    ready = [r for r, d in indeg.items() if d == 0]
    order: list[list[int]] = []
    while ready:
        r = ready.pop()
        order.append(members[r])
        for u in users.get(r, ()):
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    left = [r for r, d in indeg.items() if d > 0]
    return order, left


def _cycles(rest: set[int], preds: dict[int, set[int]], by_id) -> list[list[int]]:
    """Strongly connected components of the leftover graph that are real cycles (iterative Tarjan)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on: set[int] = set()
    stack: list[int] = []
    comps: list[list[int]] = []
    counter = 0
    for root in rest:
        if root in index:
            continue
        work = [(root, iter(sorted(p for p in preds[root] if p in rest)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(p for p in preds[w] if p in rest))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in preds[v]:
                    comps.append(comp[::-1])
    return comps


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
            raise RecalcError("--in-place writes the workbook itself; do not give -o as well")
        out = src
    if out is None:
        raise RecalcError("give an output file (-o OUT.xlsx) or --in-place")
    dst = Path(out)
    if not in_place and dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise RecalcError(f"refusing to overwrite the input {src}; use --in-place")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    wb = Workbook.open(src, **limits)
    t1 = time.perf_counter()
    seconds["load"] = t1 - t0
    for name in outputs or ():
        wb.check_output(name)
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
    return RecalcResult(path, len(wb.nodes), written, issues, named, seconds)

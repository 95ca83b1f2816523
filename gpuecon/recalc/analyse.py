"""Formula analysis: a formula cell's text -> its shape's :class:`~gpuecon.recalc.program.Program` and its
operands. openpyxl's formula ``Tokenizer`` finds the references and functions, once per shape with the
digits masked (``=B2*C2`` and ``=B3*C3`` share one tokenization, re-filled with each formula's own
digit runs). Each reference or defined name is resolved to cells and replaced by a placeholder;
``ROW()`` and ``COLUMN()`` become numbers; functions that need the reference itself (OFFSET,
INDIRECT, ...) make the cell unsupported. Programs are compiled once per canonical text.
"""

from __future__ import annotations

import re

from .bridge import UDF_NAMES, freeze, fx
from .cells import Node
from .dynamic import OFFSET, offset_base
from .excel_functions import NOT_EVALUABLE, RANGE_TO, aggregate_problem, subtotal_problem
from .program import Program
from .refs import References
from .rewrite import double_negation, intersect, reference_operator

__all__ = ["REF_FUNCTIONS", "Analyser", "check_subtotals", "tokens"]

#: functions that need the reference itself (not its values); ROW/COLUMN are rewritten to numbers, and
#: OFFSET of a reference written in the formula is recalc's own OFFSET (.dynamic)
REF_FUNCTIONS = {"OFFSET", "CELL", "ISREF", "AREAS", "INFO", "FORMULATEXT", "SHEET", "SHEETS"}
#: functions that build a reference from values while calculating (see :mod:`.dynamic`)
DYNAMIC = {"INDIRECT"}
#: functions whose value may change at a recalculation with no input changed. OFFSET and INDIRECT, also
#: volatile in Excel's sense (always recalculated), are deterministic given the book: their cells are
#: evaluated at every calculation (.dynamic), and the cells that read them are exact
VOLATILE = {"RAND", "RANDBETWEEN", "RANDARRAY", "NOW", "TODAY", "CELL", "INFO"}
_DIGITS = re.compile(r"\d+")
_DIGIT_RUNS = re.compile(r"(\d+)")  # split keeps the runs
#: a spill reference as typed (``E22#``, ``Sheet2!E22#``); Excel stores it as ``_xlfn.ANCHORARRAY(E22)``
_SPILL = re.compile(r"(?<![A-Za-z0-9_.\]])((?:'(?:[^']|'')+'!|[A-Za-z_][\w.]*!)?\$?[A-Za-z]{1,3}\$?\d+)#")
_STRING = re.compile(r'("(?:[^"]|"")*")')
_PLACEHOLDER = re.compile(r"\bA(\d+)\b")
#: a cell or a range of cells on one sheet, as the tokenizer gives it (no name, no whole column or row)
_PLAIN_REF = re.compile(r"(?P<pre>(?:'(?:[^'\[\]]|'')+'|[^'!:\[\]]+)!)?\$?[A-Za-z]{1,3}(?P<d1>\$?)(?P<r1>\d+)"
                        r"(?::\$?[A-Za-z]{1,3}(?P<d2>\$?)(?P<r2>\d+))?")
#: functions whose analysis depends on the formula's own cell (or on a reference as text): no reuse
#: (a function whose value is put in the formula as a constant while analysing belongs here when the
#: constant depends on the cell or on what it reads: ROW(), ISFORMULA(A1))
_CELL_CONTEXT = {"ROW", "COLUMN", "OFFSET", "INDIRECT", "ANCHORARRAY", "ISREF", "AREAS", "ISFORMULA"} | REF_FUNCTIONS
_MAX_ROWS = 1_048_576


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

    def __init__(self, refs: References, node_at: dict | None = None) -> None:
        self.refs = refs
        self.node_at = node_at or {}  # (sheet, row, column) -> the formula that writes it (spill anchors)
        self.programs: dict[str, Program] = {}
        self.shapes: dict[str, object] = {}
        # reuse of an analysis down a column: shape -> which digit runs are relative rows (None: never),
        # and row-relative formula -> (row, canonical, program, operands, row shifts, volatile, udf)
        self.relative: dict[str, tuple[bool, ...] | None] = {}
        self.done: dict[tuple, tuple | None] = {}

    def analyse(self, node: Node) -> None:
        """Tokenize, resolve references, pick or compile the shape's program; or set ``node.problem``
        (and then still find the cells it reads, so that a change to them makes it stale). A formula
        that is an analysed one moved down (``=B7-C6`` after ``=B5-C4``) reuses its analysis."""
        key = self._key(node)
        entry = self.done.get(key) if key is not None else None
        if entry is None or not self._reuse(node, entry):
            self._analyse(node)
        if node.problem:
            node.operands = self.references(node)

    def _key(self, node: Node) -> tuple | None:
        """The formula with every relative row number as its offset from the cell's row (the same for
        ``=B5-C4`` in row 5 and ``=B7-C6`` in row 7); None when its analysis is not reused."""
        text = node.text
        if node.area is not None or "#" in text:
            return None
        pieces = _DIGIT_RUNS.split(text)  # text, digit run, text, ...: one pass for the shape and the runs
        shape = "#".join(pieces[0::2])  # as _DIGITS.sub("#", text)
        rel = self.relative.get(shape)
        if rel is None:
            return None
        row = node.row
        return (node.sheet, shape, *[int(v) - row if r else v for v, r in zip(pieces[1::2], rel, strict=True)])

    def _reuse(self, node: Node, entry: tuple) -> bool:
        """The analysis of a formula moved down by whole rows: its references moved with it (those
        without ``$`` before the row); False when they leave the sheet, turn round or meet."""
        row, canonical, prog, operands, shifts, volatile, udf = entry
        d = node.row - row
        out = []
        for op, shift in zip(operands, shifts, strict=True):
            if shift is not None and d:
                si, r1, c1, r2, c2 = op
                r1, r2 = r1 + d * shift[0], r2 + d * shift[1]
                if not 1 <= r1 <= r2 <= _MAX_ROWS or (shift[0] != shift[1] and (r2 - r1 + 1) * (c2 - c1 + 1)
                                                       > self.refs.pkg.max_cells):
                    return False
                op = (si, r1, c1, r2, c2)
            out.append(op)
        if d and len(set(out)) != len(out):  # two references that are one cell here share a placeholder
            return False
        if prog.scalar_slots:  # a range read as one value: the cell on this formula's row (as _analyse)
            for k in prog.scalar_slots:
                if out[k][0] != "value":
                    out[k] = intersect(out[k], node.row, node.col)
            if any(op == ("value", "#VALUE!") for op in out):
                out = [("value", fx().errors["#VALUE!"]) if op == ("value", "#VALUE!") else op for op in out]
        node.volatile, node.udf = volatile, udf
        node.key, node.program, node.operands = canonical, prog, out
        return True

    def _remember(self, node: Node, items: list, canonical: str, prog: Program, operands: list,
                  texts: list[str]) -> None:
        """Keep the analysis of ``node`` for the formulas that are it moved down (see :meth:`_reuse`)."""
        shape = _DIGITS.sub("#", node.text)
        if shape not in self.relative:
            self.relative[shape] = _relative_rows(items, node.text)
        key = self._key(node)
        if key is None or key in self.done:
            return
        if not {v for t, st, v in items if (t, st) == ("OPERAND", "RANGE")} <= set(texts):
            self.done[key] = None  # two references written differently are one cell here: not moved
            return
        shifts: list[tuple[int, int] | None] = []
        for op, text in zip(operands, texts, strict=True):
            m = _PLAIN_REF.fullmatch(text) if op[0] != "value" else None  # type: ignore[index]
            if m is None:
                shifts.append(None)
                continue
            r1, r2 = int(m.group("r1")), int(m.group("r2") or m.group("r1"))
            if (op[1], op[3]) != (r1, r2):  # type: ignore[index]  # written bottom to top: not moved
                self.done[key] = None
                return
            rel1 = not m.group("d1")
            shifts.append((int(rel1), int(not m.group("d2")) if m.group("r2") else int(rel1)))
        self.done[key] = (node.row, canonical, prog, list(operands), shifts, node.volatile, node.udf)

    def references(self, node: Node) -> list[object]:
        """The cells a formula reads, as far as they resolve (for a cell that cannot be evaluated)."""
        try:
            items = tokens(node.text, self.shapes)
        except Exception:  # noqa: BLE001
            return []
        out: list[object] = []
        for t, st, v in items:
            if (t, st) == ("OPERAND", "RANGE"):
                res = self.refs.resolve(v, node.sheet, at=(node.row, node.col))
                if isinstance(res, tuple) and res[0] != "value" and res not in out:
                    out.append(res)
        return out

    def _spill(self, node: Node, items: list, i: int) -> tuple | str:
        """``_xlfn.ANCHORARRAY(E22)`` (``E22#``): the range of the array formula anchored at E22 as the
        book saved it (Excel saves a spilled formula as an array formula with its range), or the reason."""
        if i + 2 >= len(items) or items[i + 1][:2] != ("OPERAND", "RANGE") or items[i + 2][:2] != ("FUNC", "CLOSE"):
            return "a spill reference to something other than a cell is not supported"
        ref = items[i + 1][2]
        res = self.refs.resolve(ref, node.sheet, at=(node.row, node.col))
        if isinstance(res, str) or res[0] == "value" or len(res) != 5 or res[1:3] != res[3:5]:
            return f"spill reference {ref}#: {res if isinstance(res, str) else 'not a single cell on a sheet'}"
        anchor = self.node_at.get((res[0], res[1], res[2]))
        if anchor is None or anchor.area is None or (anchor.row, anchor.col) != (res[1], res[2]):
            return (f"spill reference {ref}#: {ref} holds no array formula with a saved range "
                    "(recalc does not spill formulas the book did not save as spilled)")
        r1, c1, r2, c2 = anchor.area
        return (res[0], r1, c1, r2, c2)

    def _offset(self, node: Node, v: str, items: list, i: int, slot) -> str | None:
        """``OFFSET(R,`` -> ``GPUECON.OFFSET("corners of R",`` and ``X:OFFSET(R,`` -> the same with the
        corners of X, whose bounding range with the result is the reference (:func:`.dynamic.offset`);
        None when X or R is not a reference on a sheet (on one sheet). The cell becomes dynamic."""
        start, _, fname = v[:-1].rpartition(":")
        if fname.upper().removeprefix("_XLFN.") != "OFFSET" or i + 2 >= len(items) \
                or items[i + 1][:2] != ("OPERAND", "RANGE") or items[i + 2][:2] not in (("SEP", "ARG"), ("FUNC", "CLOSE")):
            return None
        at = (node.row, node.col)
        rects = [self.refs.resolve(t, node.sheet, at=at) for t in ((start,) if start else ()) + (items[i + 1][2],)]
        if any(isinstance(r, str) or r[0] == "value" or len(r) != 5 or r[0] != rects[0][0] for r in rects):
            return None
        node.dynamic = True
        code = offset_base(rects[-1]) + ("|" + offset_base(rects[0]) if start else "")
        return f"{OFFSET}({slot(('value', code), v[:-1] + '(' + items[i + 1][2])}{items[i + 2][2]}"

    def _range_to(self, node: Node, v: str, items: list, i: int, slot) -> str | None:
        """``X:INDEX(R, row[, col])`` -> ``GPUECON.RANGE_TO(box, ..., row[, col])`` (see
        :func:`.excel_functions.range_to`) when X and R are references on one sheet; else None."""
        start, _, fname = v[:-1].rpartition(":")
        if fname.upper() != "INDEX" or not start or i + 2 >= len(items) \
                or items[i + 1][:2] != ("OPERAND", "RANGE") or items[i + 2][:2] != ("SEP", "ARG"):
            return None
        x = self.refs.resolve(start, node.sheet, at=(node.row, node.col))
        r = self.refs.resolve(items[i + 1][2], node.sheet, at=(node.row, node.col))
        if isinstance(x, str) or isinstance(r, str) or x[0] == "value" or r[0] == "value" or x[0] != r[0]:
            return None
        box = (x[0], min(x[1], r[1]), min(x[2], r[2]), max(x[3], r[3]), max(x[4], r[4]))
        if (box[3] - box[1] + 1) * (box[4] - box[2] + 1) > self.refs.pkg.max_cells:
            return None
        return _range_to_head(box, x, r, slot(box, f"{start}:{items[i + 1][2]}"))

    def _about_reference(self, node: Node, fname: str, arg: tuple[str, str, str]) -> object:
        """What ISREF, AREAS or ISFORMULA of one argument written in the formula is, known from the book
        itself (the references do not change when values do): ISREF(A1) TRUE and ISREF(0) FALSE, AREAS(A1:B2)
        1, ISFORMULA(A1) whether A1 holds a formula (a range: cell by cell in an array formula); None
        when it is not one of these (the cell is then reported)."""
        if arg[:2] != ("OPERAND", "RANGE"):
            return False if fname == "ISREF" and arg[0] == "OPERAND" else None
        rect = self.refs.resolve(arg[2], node.sheet, at=(node.row, node.col))
        if isinstance(rect, str) or rect[0] == "value" or len(rect) != 5:
            return None
        if fname == "ISREF":
            return True
        if fname == "AREAS":
            return 1.0
        si, r1, c1, r2, c2 = rect
        if (r1, c1) == (r2, c2):
            return (si, r1, c1) in self.node_at
        if node.area is None:
            return None  # a range in a plain formula: Excel's reading is not reproduced
        return [[(si, r, c) in self.node_at for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    def _analyse(self, node: Node) -> None:
        text = _anchor_arrays(node.text) if "#" in node.text else node.text
        try:
            items = tokens(text, self.shapes)
        except Exception as exc:  # noqa: BLE001
            node.problem = f"cannot tokenize formula ({' '.join(str(exc).split())[:120]})"
            return
        op_problem = reference_operator(items)
        if op_problem:
            node.problem = op_problem
            return
        if "-" in node.text and any(t[0] == "OPERATOR-PREFIX" for t in items):
            items = double_negation(items)
        parts: list[str] = []
        operands: list[object] = []
        slots: dict[object, int] = {}
        texts: list[str] = []  # each placeholder's text in the formula
        arrays: set[int] = set()  # placeholders holding the array ROW(A1:A9) / COLUMN(A1:C1) gives

        def slot(operand: object, text: str) -> str:
            k = slots.get(operand)
            if k is None:
                k = slots[operand] = len(operands)
                operands.append(operand)
                texts.append(text)
            return f"A{k + 1}"

        extent = (1, 1) if node.area is None else (node.area[2] - node.area[0] + 1, node.area[3] - node.area[1] + 1)
        i = 0
        n = len(items)
        while i < n:
            t, st, v = items[i]
            if t == "FUNC" and st == "OPEN":
                fname = v[:-1].upper()
                if ":" in fname:  # A2:INDEX(...), INDEX(...):INDEX(...): a reference a function returns
                    head = self._range_to(node, v, items, i, slot) or self._offset(node, v, items, i, slot)
                    if head is None:
                        node.problem = (f"a range to or from the reference a function returns ({v[:-1]}(...)) "
                                        "is not supported")
                        return
                    parts.append(head)
                    i += 3  # the function, its range argument and the separator after it
                    continue
                bare = fname.removeprefix("_XLFN.").removeprefix("_XLWS.")
                if bare == "ANCHORARRAY":  # E22#: the range of the array formula anchored at E22
                    res = self._spill(node, items, i)
                    if isinstance(res, str):
                        node.problem = res
                        return
                    parts.append(slot(res, items[i + 1][2] + "#"))
                    i += 3
                    continue
                if bare in VOLATILE:
                    node.volatile = True
                if bare == "INDIRECT" and i + 2 < n and items[i + 1][:2] == ("OPERAND", "TEXT") \
                        and items[i + 2][:2] == ("FUNC", "CLOSE"):  # INDIRECT("Sheet!A1:B9"): a fixed reference
                    target = items[i + 1][2][1:-1].replace('""', '"')
                    res = self.refs.resolve(target, node.sheet, at=(node.row, node.col))
                    if isinstance(res, str) and not res.startswith("unknown name"):
                        node.problem = f"INDIRECT({items[i + 1][2]}): {res}"
                        return
                    parts.append(slot(("value", fx().errors["#REF!"]) if isinstance(res, str) or res[0] == "value"
                                      else res, target))
                    i += 3
                    continue
                if bare == "OFFSET" and i + 2 < n and items[i + 1][:2] == ("OPERAND", "RANGE") \
                        and items[i + 2][:2] in (("SEP", "ARG"), ("FUNC", "CLOSE")):
                    head = self._offset(node, v, items, i, slot)
                    if head is None:
                        node.problem = f"OFFSET({items[i + 1][2]}, ...): the base is not a reference on a sheet"
                        return
                    parts.append(head)
                    i += 3  # OFFSET(, its base and the separator after it
                    continue
                if bare in DYNAMIC:
                    node.dynamic = True
                if bare in ("ISREF", "AREAS", "ISFORMULA") and i + 2 < n and items[i + 2][:2] == ("FUNC", "CLOSE"):
                    known = self._about_reference(node, bare, items[i + 1])
                    if known is not None:
                        parts.append(slot(("value", freeze(known)), f"{v}{items[i + 1][2]})"))
                        i += 3
                        continue
                if bare in REF_FUNCTIONS:
                    node.problem = f"unsupported function {bare} (needs the reference, not its values)"
                    return
                if bare in NOT_EVALUABLE:
                    node.problem = f"{bare} is not evaluated: {NOT_EVALUABLE[bare]}"
                    return
                if bare in ("ROW", "COLUMN"):  # ROW(ref)/ROW() become numbers
                    j = i + 1
                    target = None
                    if j < n and items[j][:2] == ("OPERAND", "RANGE"):
                        target = items[j][2]
                        j += 1
                    if j < n and items[j][:2] == ("FUNC", "CLOSE"):
                        rect = self.refs.resolve(target, node.sheet, at=(node.row, node.col)) if target else (
                            node.sheet, node.row, node.col, node.row, node.col)
                        if isinstance(rect, str):
                            node.problem = rect
                            return
                        _, r1, c1, r2, c2 = rect
                        if bare == "ROW":
                            val = [[float(r)] for r in range(r1, r2 + 1)] if r2 > r1 else float(r1)
                        else:
                            val = [[float(c) for c in range(c1, c2 + 1)]] if c2 > c1 else float(c1)
                        placeholder = slot(("value", freeze(val)), f"{bare}({target or ''})")
                        parts.append(placeholder)
                        if isinstance(val, list):
                            arrays.add(int(placeholder[1:]) - 1)
                        i = j + 1
                        continue
                    node.problem = f"unsupported use of {bare}()"
                    return
                udf = fname.removeprefix("_XLUDF.").removeprefix("_XLL.")
                parts.append(udf + "(")
                if udf in UDF_NAMES:
                    node.udf = True
            elif t == "OPERAND" and st == "RANGE":
                if v.startswith(":"):  # OFFSET(...):D22, INDIRECT(...):D22
                    node.problem = f"a range from the reference a function returns ({v}) is not supported"
                    return
                res = self.refs.resolve(v, node.sheet, extent, at=(node.row, node.col))
                if isinstance(res, str):
                    node.problem = res
                    return
                if len(res) > 2 and res[2] == "external":  # a value cached for a linked workbook
                    node.external = ", ".join(filter(None, (node.external, res[3])))
                    res = res[:2]
                parts.append(slot(res, v))
            elif t == "OPERAND" and st == "TEXT" and ("\n" in v or "\r" in v):
                # the formulas parser drops a line break inside a text literal: pass the text as a value
                parts.append(slot(("value", v[1:-1].replace('""', '"')), v))
            elif t == "WHITE-SPACE":
                parts.append(" ")
            else:
                parts.append(v)
            i += 1
        canonical = "".join(parts)
        prog = self.programs.get(canonical)
        if prog is None:
            prog = self.programs[canonical] = Program(canonical)
        if prog.problem:  # in the book's own words, not the shape's placeholders
            node.problem = _PLACEHOLDER.sub(lambda m: _nth(texts, int(m.group(1)) - 1, m.group(0)), prog.problem)
            return
        if not (node.external or node.dynamic or node.area is not None or "#" in node.text):
            self._remember(node, items, canonical, prog, operands, texts)
        if node.area is None and prog.scalar_slots:
            for k in prog.scalar_slots:
                op = operands[k]
                if op[0] != "value":
                    operands[k] = intersect(op, node.row, node.col)  # type: ignore[arg-type]
                elif k in arrays:  # an array read as one value: its first (ROW(C11:C14) in one cell is 11)
                    operands[k] = ("value", op[1][0][0])
            if any(op == ("value", "#VALUE!") for op in operands):
                operands = [("value", fx().errors["#VALUE!"]) if op == ("value", "#VALUE!") else op
                            for op in operands]
        if node.area is not None and _ERROR_TESTS.search(node.text):
            node.problem = _padded(node.area, operands)
            if node.problem:
                return
        node.key = canonical
        node.program = prog
        node.operands = operands


#: in an array formula larger than a range they read, these give Excel's answer for "no value" in the
#: cells past the range (``{=ISNA(A1:A3)}`` over 4 cells ends TRUE, ISBLANK FALSE: the corpus' book 20),
#: where recalc fills #N/A; other functions' cells there are #N/A in Excel too
_ERROR_TESTS = re.compile(r"\b(?:_XLFN\.)?IS(?:BLANK|ERR|ERROR|LOGICAL|NA|NONTEXT|NUMBER|TEXT)\s*\(", re.IGNORECASE)


def _padded(area: tuple[int, int, int, int], operands: list) -> str:
    """The reason an array formula over ``area`` reads a range Excel would pad with #N/A, or ""."""
    h, w = area[2] - area[0] + 1, area[3] - area[1] + 1
    for op in operands:
        if op[0] == "value":
            continue
        oh, ow = op[3] - op[1] + 1, op[4] - op[2] + 1
        if 1 < oh < h or 1 < ow < w:
            return ("an array formula larger than a range an IS function (ISNA, ISBLANK, ...) reads: Excel's value "
                    "past the range is not reproduced")
    return ""


def check_subtotals(nodes: list[Node], cells_in, hidden_rows) -> None:
    """Mark the SUBTOTAL and AGGREGATE formulas that recalc does not reproduce (nested SUBTOTAL/AGGREGATE
    cells or hidden rows in their references, that they skip) as a problem: the saved value is kept and
    reported.
    ``cells_in(rect)``: formula cells in a range; ``hidden_rows(sheet index)``: its hidden rows."""
    hidden: dict[int, set[int]] = {}
    for node in nodes:
        upper = node.text.upper()
        if node.problem or "SUBTOTAL" not in upper and "AGGREGATE" not in upper:
            continue
        rects = [op for op in node.operands if op[0] != "value"]
        inside = [cell for rect in rects for cell in cells_in(rect)]
        rows = [r for rect in rects for r in hidden.setdefault(rect[0], hidden_rows(rect[0])) if rect[1] <= r <= rect[3]]
        node.problem = (subtotal_problem(node.text, inside, rows) if "SUBTOTAL" in upper else "") \
            or (aggregate_problem(node.text, inside, rows) if "AGGREGATE" in upper else "")


def _relative_rows(items: list[tuple[str, str, str]], text: str) -> tuple[bool, ...] | None:
    """For each digit run of a formula's text, whether it is the row of a reference without ``$``
    (it moves with the formula); None when the formula's analysis depends on its own cell."""
    rel: list[bool] = []
    for t, st, v in items:
        if t == "FUNC" and st == "OPEN":
            fname = v[:-1].upper()
            if ":" in fname or fname.removeprefix("_XLFN.").removeprefix("_XLWS.") in _CELL_CONTEXT:
                return None
        if (t, st) == ("OPERAND", "RANGE"):
            if "[" in v or v.startswith(":"):
                return None
            m = _PLAIN_REF.fullmatch(v)
            if m:
                rel += [False] * len(_DIGITS.findall(m.group("pre") or ""))
                rel.append(not m.group("d1"))
                if m.group("r2") is not None:
                    rel.append(not m.group("d2"))
                continue
        rel += [False] * len(_DIGITS.findall(v))
    return tuple(rel) if len(rel) == len(_DIGITS.findall(text)) else None


def _range_to_head(box: tuple, x: tuple, r: tuple, box_slot: str) -> str:
    """The call that replaces ``X:INDEX(R,``: the bounding range's slot and where X and R lie in it."""
    _, b_r1, b_c1, _, _ = box
    nums = (x[1] - b_r1, x[2] - b_c1, x[3] - b_r1, x[4] - b_c1, r[1] - b_r1, r[2] - b_c1,
            r[3] - r[1] + 1, r[4] - r[2] + 1)
    return f"{RANGE_TO}({box_slot}," + ",".join(str(n) for n in nums) + ","


def _nth(texts: list[str], k: int, default: str) -> str:
    return texts[k] if 0 <= k < len(texts) else default


def _anchor_arrays(text: str) -> str:
    """``E22#`` -> ``_xlfn.ANCHORARRAY(E22)`` outside text literals (the tokenizer knows no ``#``)."""
    parts = _STRING.split(text)
    return "".join(part if k % 2 else _SPILL.sub(r"_xlfn.ANCHORARRAY(\1)", part) for k, part in enumerate(parts))

"""recalc's speed paths give what the slow paths give: the engine's IRR for unique-root flows (held to
numpy-financial and hand values), numpy for all-number operators (held to the ``formulas`` operators
element by element), the deferred scipy import (PERCENTILE still right, scipy intact after), the type
ids that lookups use (held to ``formulas``' own function), and the hubs of the dependency graph (a range
of many formula cells as one node: values by hand, circular references and changes through it)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy_financial as npf
import openpyxl
import pytest

from gpuecon.recalc.bridge import fx
from gpuecon.recalc.cells import HUB_CELLS
from gpuecon.recalc.fastops import FAST_OPERATORS, fast_operator
from gpuecon.recalc.functable import type_ids, unique_root_irr
from gpuecon.recalc.workbook import Workbook

LONG = [-1000.0] + [4.0] * 480  # 481 monthly flows, as the template's project schedule
MULTI = [-100.0, 230.0, -132.0]  # roots at 10% and 20%: two sign changes


def _irr_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for i, v in enumerate(LONG, start=1):
        ws.cell(i, 1, v)
    for i, v in enumerate([-100, 0.5], start=1):
        ws.cell(i, 2, v)
    for i, v in enumerate(MULTI, start=1):
        ws.cell(i, 3, v)
    ws["E1"] = "=IRR(A1:A481)"
    ws["E2"] = "=IRR(B1:B2)"
    ws["E3"] = "=IRR(C1:C3,0.15)"
    ws["E4"] = '=IRR(A1:A481,"x")'
    ws["E5"] = "=IRR(A1:A481*2+0,0.01)"  # an array argument built by operators
    wb.save(path)
    return path


def test_irr_cells_match_numpy_financial_and_excel(tmp_path: Path) -> None:
    wb = Workbook.open(_irr_book(tmp_path / "irr.xlsx"))
    wb.calculate()
    v = {a: wb.values[(0, r, 5)] for a, r in (("E1", 1), ("E2", 2), ("E3", 3), ("E4", 4), ("E5", 5))}
    assert math.isclose(v["E1"], npf.irr(LONG), rel_tol=1e-9)
    assert math.isclose(v["E5"], npf.irr(LONG), rel_tol=1e-9)  # scaling the flows keeps the rate
    assert math.isclose(v["E2"], -0.995, rel_tol=1e-12)  # Excel =IRR({-100,0.5}) = -99.5%
    assert math.isclose(v["E3"], npf.irr(MULTI), rel_tol=1e-9)  # two roots: formulas' own IRR decides
    assert str(v["E4"]) == "#VALUE!"  # a text guess, as Excel


def test_unique_root_irr_takes_only_plain_unique_root_flows() -> None:
    A = fx().Array
    col = np.array([[x] for x in LONG], dtype=object).view(A)
    assert math.isclose(unique_root_irr(col, 0.1), npf.irr(LONG), rel_tol=1e-9)
    assert unique_root_irr(np.array([[x] for x in MULTI], dtype=object).view(A)) is None
    assert unique_root_irr(np.array([[-1.0], ["2"], [3.0]], dtype=object).view(A)) is None  # text among flows
    assert unique_root_irr(np.array([[-1.0], [True], [3.0]], dtype=object).view(A)) is None  # a logical
    assert unique_root_irr(np.array([[-1.0], [fx().EMPTY], [3.0]], dtype=object).view(A)) is None  # a blank
    assert unique_root_irr(col, "0.1") is None and unique_root_irr(np.array([[1.0], [2.0]]), 0.1) is None


def _samples(A: type) -> list[object]:
    f = fx()
    rng = np.random.default_rng(7)
    floats = rng.normal(size=(6, 1)) * 10
    return [
        np.array(floats.tolist(), dtype=object).view(A),
        np.array([[0.0], [1.5], [-2.0], [0.0], [3.0], [1e308]], dtype=object).view(A),  # /0 and overflow
        np.array([[True], [False], [True], [False], [True], [True]], dtype=object).view(A),
        np.array([[1.0], ["2"], [3.0], ["a"], [5.0], [6.0]], dtype=object).view(A),
        np.array([[1.0], [f.EMPTY], [3.0], [f.errors["#N/A"]], [5.0], [6.0]], dtype=object).view(A),
        np.array([[1.0, 2.0]], dtype=object).view(A),  # another shape
        np.linspace(-2.0, 3.0, 6).reshape(6, 1).view(A),  # a float array (numpy elements)
        2.5, 0.0, True, "3", 7, np.float64(-1.5), np.array(2.0, dtype=object).view(A),
        np.array(0.0, dtype=object).view(A), np.array(True, dtype=object).view(A),
    ]


@pytest.mark.parametrize("name", sorted(FAST_OPERATORS))
def test_fast_operators_equal_formulas_operators(name: str) -> None:
    f = fx()
    from formulas.functions.operators import OPERATORS

    fn = OPERATORS[name]
    fast = fast_operator(name, fn, f.Array)
    samples = _samples(f.Array)
    pairs = [(a,) for a in samples] if name == "U-" else [(a, b) for a in samples for b in samples]
    for args in pairs:
        want, got = np.asarray(fn(*args), dtype=object), np.asarray(fast(*args), dtype=object)
        assert want.shape == got.shape
        for w, g in zip(want.ravel(), got.ravel(), strict=True):
            assert type(w) is type(g) and (w == g or str(w) == str(g)), (name, args, w, g)


def test_scipy_interpolate_deferred_and_intact() -> None:
    code = """
import sys
from gpuecon.recalc.bridge import fx
from gpuecon.recalc.program import Program
fx()
assert "scipy.interpolate" not in sys.modules, "loaded at start-up"
arr = fx().Array
import numpy as np
col = np.array([[1.0], [2.0], [3.0], [4.0]], dtype=object).view(arr)
print(float(np.asarray(Program("PERCENTILE(A1,0.4)")([col])).ravel()[0]))
import scipy.interpolate
print(isinstance(scipy.interpolate.interp1d, type))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert math.isclose(float(out[0]), 2.2, rel_tol=1e-12)  # rank 0.4*(4-1) = 1.2: 2 + 0.2*(3-2)
    assert out[1] == "True"


def test_recalculated_workbook_is_freed(tmp_path: Path) -> None:
    """Nothing keeps a recalculated workbook alive (an engine error cached with its traceback held the
    frames of the first recalculation, and with them the whole workbook, for the life of the process)."""
    book = tmp_path / "systems.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    from gpuecon.engine.catalog import system_names

    for i, name in enumerate(system_names(), start=1):  # every system, incl. ones without public capex
        ws.cell(i, 1, name)
        ws.cell(i, 2, f"=FLOOR_RENT(A{i},0.1)")
    wb.save(book)
    code = f"""
import gc, weakref
gc.disable()
from gpuecon.recalc.workbook import Workbook
wb = Workbook.open({str(book)!r})
wb.calculate()
ref = weakref.ref(wb)
del wb
print(ref() is None)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True"]


def test_type_ids_equal_formulas_own() -> None:
    from formulas.functions.look import _get_type_id
    from formulas.tokens.operand import XlError

    f = fx()
    values = [1.0, 2, "a", np.str_("b"), True, np.bool_(False), f.EMPTY, *f.errors.values(), None, np.float64(3),
              np.int64(4), 1 + 2j, XlError("#N/A"), XlError("#FOO!"), np.array([[1.0]]).view(f.Array)]
    grid = np.empty((2, len(values)), dtype=object)
    for j, v in enumerate(values):
        grid[0, j] = grid[1, j] = v
    want = np.vectorize(_get_type_id, otypes=[int])(grid)
    assert want.shape == type_ids(grid).shape and (type_ids(grid) == want).all()
    assert set(want.ravel()) >= {0, 1, 2, 4, 10, 12}  # numbers, text, logicals, errors, blanks all covered
    import formulas.functions.look as look

    fx().formulas.get_functions()
    assert look._vect_get_type_id is type_ids  # what MATCH, XMATCH, LOOKUP and FILTER call


def test_ranges_of_many_formula_cells_are_hubs(tmp_path: Path) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    n = HUB_CELLS + 8  # B1:B40 = A*2 are formulas: a range over them is a hub
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["E1"] = 1
    for r in range(1, n + 1):
        ws[f"A{r}"] = r
        ws[f"B{r}"] = f"=A{r}*2*$E$1"
        ws[f"C{r}"] = f"=SUM($B$1:$B${n})-B{r}"  # every row reads the whole column: sum 2 * n(n+1)/2 minus its own
    ws["D1"] = f"=MAX(C1:C{n})"  # a hub over a hub's readers
    ws["D2"] = f"=SUM(D3,B1:B{n})"  # D3 reads D2 through a range of many formulas: circular
    ws["D3"] = f"=SUM(D2:D2,B1:B{n})"
    ws["F1"] = f"=SUM(F2:F{n + 1})"
    for r in range(2, n + 1):
        ws[f"F{r}"] = "=E1*0"
    ws[f"F{n + 1}"] = "=F1"  # F1 reads F2:F41 (a hub) and F41 reads F1: circular
    wb.defined_names["k"] = DefinedName("k", attr_text="S!$E$1")
    wb.defined_names["out"] = DefinedName("out", attr_text="S!$D$1")
    wb.save(tmp_path / "h.xlsx")
    book = Workbook.open(tmp_path / "h.xlsx")
    total = n * (n + 1)  # sum of B = 2 * n(n+1)/2
    assert book.calculate_named({}, ["out"]) == {"out": total - 2}  # row 1 removes the least, B1 = 2
    assert book.values[(0, 5, 3)] == total - 10
    assert book.calculate_named({"k": 3}, ["out"]) == {"out": 3 * (total - 2)}  # through the hubs
    circular = {book.address(nd) for nd in book.nodes if nd.problem.startswith("circular")}
    assert circular == {"S!D2", "S!D3", "S!F1", f"S!F{n + 1}"}
    assert sum(len(nd.users) for nd in book.nodes) < 8 * n  # not one edge per reader and cell (n * n)

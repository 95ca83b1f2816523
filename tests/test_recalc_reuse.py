"""A formula that is an analysed one moved down by whole rows reuses its analysis (analyse.Analyser): the
references without ``$`` before the row move with it, the others stay; references that turn round, meet
or depend on the cell itself (ROW(), a range read as one value) are right too. Values by hand."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from gpuecon.recalc import analyse
from gpuecon.recalc.workbook import Workbook

N = 10


def _book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    other = wb.create_sheet("Sheet 2")
    for r in range(1, N + 1):
        ws.cell(r, 1, r)  # A: r
        ws.cell(r, 2, 100 * r)  # B: 100 r
        other.cell(r, 1, 3 * r)  # 'Sheet 2'!A: 3 r
        ws[f"F{r}"] = f"=A{r}+$B$1"
        ws[f"G{r}"] = f"=A{r}+A$5"  # row 5: one cell written twice
        ws[f"I{r}"] = f"=ROW()*2+A{r}"
        ws[f"J{r}"] = f"=base+A{r}"
        ws[f"K{r}"] = f"='Sheet 2'!A{r}*2"
        ws[f"L{r}"] = f"=$A$1:$A${N}*2"  # a range read as one value: the cell on the formula's row
        ws[f"M{r}"] = f'=IF(A{r}>5,"row 12","x"&A{r})'
        ws[f"N{r}"] = f"=SUM(A$1:A{r})"
        ws[f"O{r}"] = f"=SUM(A{r}:A${N})"
    for r in range(2, N + 1):
        ws[f"C{r}"] = f"=A{r}*10+B{r - 1}"
    for r in range(1, N - 1):
        ws[f"H{r}"] = f"=SUM(A{r + 2}:A{r})"  # written bottom to top
    wb.defined_names["base"] = DefinedName("base", attr_text="S!$B$2")
    wb.save(path)
    return path


def _expected(col: str, r: int) -> object:
    return {
        "C": r * 10 + 100 * (r - 1),
        "F": r + 100,
        "G": r + 5,
        "H": 3 * r + 3,
        "I": 3 * r,
        "J": 200 + r,
        "K": 6 * r,
        "L": 2 * r,
        "M": "row 12" if r > 5 else f"x{r}",
        "N": r * (r + 1) // 2,
        "O": sum(range(r, N + 1)),
    }[col]


def test_formulas_moved_down_give_the_hand_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    full = analyse.Analyser._analyse
    monkeypatch.setattr(analyse.Analyser, "_analyse", lambda self, node: calls.append(node) or full(self, node))
    wb = Workbook.open(_book(tmp_path / "moved.xlsx"))
    wb.calculate()
    rows = {"C": range(2, N + 1), "H": range(1, N - 1)}
    cells = 0
    for col in "CFGHIJKLMNO":
        c = openpyxl.utils.column_index_from_string(col)
        for r in rows.get(col, range(1, N + 1)):
            got = wb.values[(0, r, c)]
            want = _expected(col, r)
            assert got == want, f"{col}{r}: {got!r} != {want!r}"
            cells += 1
    assert not wb.flagged()
    assert wb.node_at[(0, 5, 7)].key == "A1+A1" and wb.node_at[(0, 4, 7)].key == "A1+A2"
    assert len(calls) < cells / 2  # most formulas reused an analysis (ROW() never does)
    assert sum(n.col == 9 for n in calls) == N


def test_a_change_reaches_the_moved_formulas(tmp_path: Path) -> None:
    wb = Workbook.open(_book(tmp_path / "moved.xlsx"))
    wb.calculate()
    wb.values[(0, 7, 1)] = 70.0  # A7: 7 -> 70
    wb.calculate(only=wb._readers((0, 7, 1)))
    assert wb.values[(0, 7, 6)] == 170  # F7
    assert wb.values[(0, 8, 14)] == 36 - 7 + 70  # N8 = SUM(A$1:A8)
    assert wb.values[(0, 5, 8)] == 5 + 6 + 70  # H5 = SUM(A7:A5)
    assert wb.values[(0, 6, 8)] == 6 + 70 + 8  # H6 = SUM(A8:A6)
    assert wb.values[(0, 7, 12)] == 140  # L7 reads A7 by intersection
    assert wb.values[(0, 3, 12)] == 6  # L3 does not
